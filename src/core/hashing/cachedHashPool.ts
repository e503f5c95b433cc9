import * as fs from 'node:fs';
import { throwIfAborted } from '../abort';
import { DigestCache, FileStamp, fileStamp, sameStamp } from './digestCache';
import { HashAlgorithm } from './algorithm';
import { HashResult, HashTask } from './fileHasher';
import { HashJobOptions, HashPool } from './hashPool';

export interface CachedHashPoolOptions {
  /**
   * A file whose last change (mtime or ctime) is this close to the moment it
   * was stat'ed is hashed but not cached: a write in the same timestamp tick
   * would leave every stat field as it was (git's "racy clean" problem).
   * Default: 100 ms, or 2,100 ms when the file's times are whole seconds
   * (a file system with coarse timestamps: FAT, HFS+, some network mounts).
   * 0 turns the check off: for tests, which hash files they have just written
   * and should not sleep to step out of the window.
   */
  racyWindowMs?: number;
  /** Stats between two yields to the event loop (default 256: about a millisecond). */
  yieldEvery?: number;
  /**
   * Serve digests from the cache (default true). False re-hashes everything and
   * only refreshes the cache: an explicit verification that trusts no earlier run.
   */
  readCache?: boolean;
}

export interface CachedHashPoolStats {
  /** Tasks served from the cache. */
  hits: number;
  /** Tasks sent to the inner pool. */
  misses: number;
  /** Bytes of the tasks sent to the inner pool. */
  bytesHashed: number;
  /** Bytes of the tasks served from the cache. */
  bytesCached: number;
  /** Hashed tasks not stored: changed while hashed, or changed too recently to trust their stamp. */
  notStored: number;
}

const FINE_RACY_WINDOW_MS = 100;
const COARSE_RACY_WINDOW_MS = 2100;

/**
 * A HashPool that answers from a DigestCache what it can and sends only the
 * rest to an inner pool. Each task's file is stat'ed again (the listing has no
 * inode or ctime); a task is a hit only if that stat agrees with the task's
 * size and mtime and with the cached stamp in every field. Misses go to the
 * inner pool as they are, so its changed-while-hashing check applies to them,
 * and their digests are stored only if the file's stamp is the same after
 * hashing as before and is not racy (see `racyWindowMs`).
 *
 * Results come back in the order of the tasks (the worker pool returns them
 * in completion order, so callers never depend on order). Progress reports
 * cached bytes at once, then the inner pool's as they come.
 *
 * The extension's live status uses it, and Verify Model when the user allows it; the CLI only with
 * `--cache`, where the user accepts that an unchanged stamp means unchanged content (as git and rsync do).
 */
export class CachedHashPool implements HashPool {
  readonly stats: CachedHashPoolStats = { hits: 0, misses: 0, bytesHashed: 0, bytesCached: 0, notStored: 0 };

  constructor(
    readonly inner: HashPool,
    readonly cache: DigestCache,
    private readonly options: CachedHashPoolOptions = {},
  ) {}

  resetStats(): void {
    Object.assign(this.stats, { hits: 0, misses: 0, bytesHashed: 0, bytesCached: 0, notStored: 0 } satisfies CachedHashPoolStats);
  }

  async hash(tasks: readonly HashTask[], algorithm: HashAlgorithm, options: HashJobOptions = {}): Promise<HashResult[]> {
    throwIfAborted(options.signal);
    // Taken before any stat: a change after this moment shows in the stamp unless it falls in the racy window.
    const statTime = Date.now();
    const stamps = await statAll(tasks, options.signal, this.options.yieldEvery ?? 256);

    const results = new Array<HashResult | undefined>(tasks.length);
    const missIndex: number[] = [];
    let cachedBytes = 0;
    let lastHit = '';
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i]!;
      const stamp = stamps.get(task.path);
      // A file that moved or was replaced since it was listed is a miss: the inner pool reports it.
      const usable =
        this.options.readCache !== false &&
        stamp &&
        stamp.size === task.size &&
        stamp.mtimeMs === task.mtimeMs &&
        stamp.dev === task.dev &&
        stamp.ino === task.ino;
      const digest = usable ? this.cache.get(task, algorithm, stamp) : undefined;
      if (digest !== undefined) {
        results[i] = { name: task.name, digest };
        cachedBytes += taskBytes(task);
        lastHit = task.name;
      } else {
        missIndex.push(i);
      }
    }
    this.stats.hits += tasks.length - missIndex.length;
    this.stats.bytesCached += cachedBytes;
    if (cachedBytes > 0) options.onBytes?.(cachedBytes, lastHit);
    if (missIndex.length === 0) return results as HashResult[];

    const missTasks = missIndex.map((i) => tasks[i]!);
    this.stats.misses += missTasks.length;
    this.stats.bytesHashed += missTasks.reduce((n, t) => n + taskBytes(t), 0);
    const hashed = await this.inner.hash(missTasks, algorithm, options);

    // The inner pool may answer in any order: place its results by name.
    const byName = new Map<string, number[]>();
    missIndex.forEach((i) => {
      const name = tasks[i]!.name;
      const list = byName.get(name);
      if (list) list.push(i);
      else byName.set(name, [i]);
    });
    const after = new Map<string, FileStamp | undefined>();
    for (const r of hashed) {
      const i = byName.get(r.name)?.shift();
      if (i === undefined) throw new Error(`The hashing pool returned a result for '${r.name}', which it was not asked for`);
      results[i] = r;
      const task = tasks[i]!;
      const before = stamps.get(task.path);
      if (!after.has(task.path)) after.set(task.path, statOrUndefined(task.path));
      const now = after.get(task.path);
      const storable =
        !r.changed &&
        before !== undefined &&
        now !== undefined &&
        sameStamp(before, now) &&
        before.size === task.size &&
        before.mtimeMs === task.mtimeMs &&
        before.dev === task.dev &&
        before.ino === task.ino &&
        !this.isRacy(before, statTime);
      if (storable) this.cache.set(task, algorithm, before, r.digest);
      else this.stats.notStored++;
    }
    if (results.some((r) => r === undefined)) throw new Error('The hashing pool left tasks without a result');
    return results as HashResult[];
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }

  private isRacy(stamp: FileStamp, statTime: number): boolean {
    const window = this.options.racyWindowMs ?? (stamp.mtimeMs % 1000 === 0 && stamp.ctimeMs % 1000 === 0 ? COARSE_RACY_WINDOW_MS : FINE_RACY_WINDOW_MS);
    // Off, rather than a window of 0, which would still call a file changed in the stat's millisecond racy.
    if (window <= 0) return false;
    return Math.max(stamp.mtimeMs, stamp.ctimeMs) > statTime - window;
  }
}

/** One stat per file (shards share theirs), direct calls with a yield every `yieldEvery`: as the walk does. */
async function statAll(tasks: readonly HashTask[], signal: AbortSignal | undefined, yieldEvery: number): Promise<Map<string, FileStamp | undefined>> {
  const stamps = new Map<string, FileStamp | undefined>();
  let since = 0;
  for (const t of tasks) {
    if (stamps.has(t.path)) continue;
    if (++since >= yieldEvery) {
      since = 0;
      await new Promise<void>((r) => setImmediate(r));
      throwIfAborted(signal);
    }
    stamps.set(t.path, statOrUndefined(t.path));
  }
  return stamps;
}

function statOrUndefined(p: string): FileStamp | undefined {
  try {
    // Follows links, as the hash does: the stamp is the content's.
    const st = fs.statSync(p);
    return st.isFile() ? fileStamp(st) : undefined;
  } catch {
    // Missing or unreadable: a miss, and the inner pool reports the error.
    return undefined;
  }
}

function taskBytes(t: HashTask): number {
  return (t.end ?? t.size) - t.start;
}
