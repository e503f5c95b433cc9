import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelSigningError, errnoCode } from '../errors';
import { writeFileAtomic } from '../io/atomicWrite';
import { parseJson } from '../io/parseJson';
import { readInputText } from '../io/readInputFile';
import { DIGEST_LENGTH, HashAlgorithm, isHashAlgorithm } from './algorithm';
import { HashTask } from './fileHasher';

/** The version of the cache file's format; a file of any other version is ignored. */
export const DIGEST_CACHE_VERSION = 1;

/** Entries kept by default: ~40 MB of JSON at most, enough for 200,000 files or shards. */
export const DEFAULT_MAX_CACHE_ENTRIES = 200_000;

/**
 * What identifies one version of a file's content, as far as `stat` can tell:
 * the device and inode (a replaced file has a new one), the size, and the
 * modification and status-change times (utimes can put mtime back, nothing
 * puts ctime back).
 */
export interface FileStamp {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

export function fileStamp(st: fs.Stats): FileStamp {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** The part of a task a digest depends on: which file, and which byte range of it. */
export type DigestRange = Pick<HashTask, 'path' | 'start' | 'end'>;

/**
 * Why a loaded cache is what it is: the extension logs it, the CLI warns, the tests check it.
 * `not-private`: the file (or its folder) belongs to another user or others may write it, so it could
 * vouch for content it never saw: ignored, never trusted.
 */
export type CacheLoadStatus = 'loaded' | 'missing' | 'corrupt' | 'other-version' | 'not-private';

/** A cache file larger than this is not read: 200,000 entries take ~40 MB. */
const MAX_CACHE_FILE_BYTES = 256 * 1024 * 1024;

export interface DigestCacheOptions {
  /** Entries kept; the least recently used are dropped beyond it (default 200,000). */
  maxEntries?: number;
}

interface Entry extends FileStamp {
  path: string;
  algorithm: HashAlgorithm;
  start: number;
  end: number | null;
  digest: string;
}

/** One entry of the file: [path, algorithm, start, end, dev, ino, size, mtimeMs, ctimeMs, digest]. */
type StoredEntry = [string, HashAlgorithm, number, number | null, number, number, number, number, number, string];

interface CacheFile {
  version: number;
  entries: StoredEntry[];
}

/**
 * Digests of files (and byte ranges of files) already hashed, so that a model
 * is re-verified by hashing only what changed. An entry is served only for the
 * same absolute path, algorithm and range, and a stat stamp equal in every
 * field: any change to size, mtime, ctime, inode or device is a miss.
 *
 * Entries live in insertion order in a Map; a hit moves its entry to the end,
 * and the front is dropped beyond `maxEntries` (least recently used first).
 *
 * The cache vouches for file content, so keep its file where only the user
 * writes: the extension's global storage, never the workspace.
 */
export class DigestCache {
  readonly maxEntries: number;
  /** How `load` found the file (`missing` for a cache made with `new`). */
  loadStatus: CacheLoadStatus = 'missing';
  private readonly entries = new Map<string, Entry>();
  private changed = false;

  constructor(options: DigestCacheOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_MAX_CACHE_ENTRIES;
    if (!Number.isSafeInteger(max) || max < 1)
      throw new ModelSigningError('INVALID_OPTION', `maxEntries must be a positive integer, got ${max}`, { maxEntries: max });
    this.maxEntries = max;
  }

  /**
   * Reads a cache file. A missing, unreadable, corrupt or other-version file
   * gives an empty cache (see `loadStatus`), never an error: the cache only saves time.
   */
  static async load(file: string, options: DigestCacheOptions = {}): Promise<DigestCache> {
    const cache = new DigestCache(options);
    let text: string;
    try {
      if (!isPrivate(await fs.promises.stat(file))) {
        cache.loadStatus = 'not-private';
        return cache;
      }
      // A regular file within the cap (a FIFO or a huge file is refused at once, unread).
      text = await readInputText(file, { what: 'digest cache', maxBytes: MAX_CACHE_FILE_BYTES, unreadableCode: 'FILE_READ_ERROR' });
    } catch (e) {
      cache.loadStatus = errnoCode(e) === 'ENOENT' ? 'missing' : 'corrupt';
      return cache;
    }
    let json: unknown;
    try {
      json = parseJson(text, (why) => new Error(why));
    } catch {
      cache.loadStatus = 'corrupt';
      return cache;
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      cache.loadStatus = 'corrupt';
      return cache;
    }
    const { version, entries } = json as Partial<CacheFile>;
    if (version !== DIGEST_CACHE_VERSION) {
      cache.loadStatus = typeof version === 'number' ? 'other-version' : 'corrupt';
      return cache;
    }
    if (!Array.isArray(entries) || !entries.every(isStoredEntry)) {
      // One bad entry says the file is not ours to trust: start over.
      cache.loadStatus = 'corrupt';
      return cache;
    }
    // Oldest first in the file, as in memory; keep the newest if the file holds more than we keep.
    for (const [p, algorithm, start, end, dev, ino, size, mtimeMs, ctimeMs, digest] of entries.slice(-cache.maxEntries)) {
      cache.entries.set(key(p, algorithm, start, end), { path: p, algorithm, start, end, dev, ino, size, mtimeMs, ctimeMs, digest });
    }
    cache.loadStatus = 'loaded';
    return cache;
  }

  /**
   * Writes the cache as JSON, atomically (a temporary file beside it, renamed
   * over), creating its folder if needed: the file readable by its owner only
   * (0600, a new folder 0700), though it holds only paths, stamps and digests.
   * Errors are WRITE_FAILED.
   */
  async save(file: string): Promise<void> {
    const entries: StoredEntry[] = [];
    for (const e of this.entries.values()) entries.push([e.path, e.algorithm, e.start, e.end, e.dev, e.ino, e.size, e.mtimeMs, e.ctimeMs, e.digest]);
    try {
      await fs.promises.mkdir(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new ModelSigningError('WRITE_FAILED', `Cannot write '${file}': ${errnoCode(e) ?? String(e)}`, { path: file }, e);
    }
    await writeFileAtomic(file, JSON.stringify({ version: DIGEST_CACHE_VERSION, entries } satisfies CacheFile), fs.promises.rename, 0o600);
    this.changed = false;
  }

  /**
   * Adds the entries of `older` (another process's save of the same file) that this cache
   * has no entry for, as less recently used than its own: what both stored survives a save.
   */
  keepOthers(older: DigestCache): void {
    const mine = [...this.entries];
    const added = [...older.entries].filter(([k]) => !this.entries.has(k));
    if (added.length === 0) return;
    this.entries.clear();
    for (const [k, e] of [...added, ...mine].slice(-this.maxEntries)) this.entries.set(k, e);
    this.changed = true;
  }

  /** The digest of this range of the file, if it was stored under exactly this stamp. */
  get(range: DigestRange, algorithm: HashAlgorithm, stamp: FileStamp): string | undefined {
    const k = key(path.resolve(range.path), algorithm, range.start, range.end);
    const e = this.entries.get(k);
    if (!e) return undefined;
    if (!sameStamp(e, stamp)) return undefined;
    // Most recently used goes to the back.
    this.entries.delete(k);
    this.entries.set(k, e);
    return e.digest;
  }

  /** Records a digest; an older entry for the same path, algorithm and range is replaced. */
  set(range: DigestRange, algorithm: HashAlgorithm, stamp: FileStamp, digest: string): void {
    const abs = path.resolve(range.path);
    if (digest.length !== DIGEST_LENGTH[algorithm] * 2 || !HEX.test(digest)) {
      throw new ModelSigningError('INVALID_OPTION', `Not a ${algorithm} digest in lowercase hex: '${digest}'`, { algorithm });
    }
    const k = key(abs, algorithm, range.start, range.end);
    this.entries.delete(k);
    this.entries.set(k, {
      path: abs,
      algorithm,
      start: range.start,
      end: range.end,
      dev: stamp.dev,
      ino: stamp.ino,
      size: stamp.size,
      mtimeMs: stamp.mtimeMs,
      ctimeMs: stamp.ctimeMs,
      digest,
    });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.changed = true;
  }

  /** A new cache of the entries of files at or under `root` (a model folder, or a one-file model). */
  within(root: string): DigestCache {
    const abs = path.resolve(root);
    const part = new DigestCache({ maxEntries: this.maxEntries });
    for (const [k, e] of this.entries) if (e.path === abs || e.path.startsWith(abs + path.sep)) part.entries.set(k, e);
    part.changed = part.entries.size > 0;
    return part;
  }

  /** Drops every entry of a file (all algorithms and ranges). */
  deleteFile(file: string): void {
    const abs = path.resolve(file);
    for (const [k, e] of [...this.entries]) {
      if (e.path === abs) {
        this.entries.delete(k);
        this.changed = true;
      }
    }
  }

  clear(): void {
    if (this.entries.size > 0) this.changed = true;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** True when entries were added or dropped since the cache was loaded or saved: time to save. */
  get dirty(): boolean {
    return this.changed;
  }
}

/**
 * Owned by this user and writable by no one else (POSIX; Windows has no such mode bits, and a
 * user's cache folder there is private by default).
 */
export function isPrivate(st: fs.Stats): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) return true;
  return st.uid === uid && (st.mode & 0o022) === 0;
}

function key(p: string, algorithm: HashAlgorithm, start: number, end: number | null): string {
  // A JSON array: no separator can be forged by a file name.
  return JSON.stringify([p, algorithm, start, end]);
}

const HEX = /^[0-9a-f]+$/;

function isStoredEntry(v: unknown): v is StoredEntry {
  if (!Array.isArray(v) || v.length !== 10) return false;
  const [p, algorithm, start, end, dev, ino, size, mtimeMs, ctimeMs, digest] = v as unknown[];
  const num = (n: unknown) => typeof n === 'number' && Number.isFinite(n);
  return (
    typeof p === 'string' &&
    path.isAbsolute(p) &&
    isHashAlgorithm(algorithm) &&
    Number.isSafeInteger(start) &&
    (start as number) >= 0 &&
    (end === null || (Number.isSafeInteger(end) && (end as number) >= (start as number))) &&
    num(dev) &&
    num(ino) &&
    Number.isSafeInteger(size) &&
    (size as number) >= 0 &&
    num(mtimeMs) &&
    num(ctimeMs) &&
    typeof digest === 'string' &&
    digest.length === DIGEST_LENGTH[algorithm] * 2 &&
    HEX.test(digest)
  );
}
