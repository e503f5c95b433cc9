import * as fs from 'node:fs';
import { HashingError, errnoCode } from '../errors';
import { HashAlgorithm, StreamingHasher, createHasher, createNodeHasher } from './algorithm';

/** Read size for streaming a file through a hash: large enough to amortize syscalls, small enough to stay in L2. */
export const DEFAULT_CHUNK_SIZE = 1 << 20;

/** One unit of hashing work: a whole file, or the byte range [start, end) of one. */
export interface HashTask {
  /** The resource name the digest is recorded under. */
  name: string;
  path: string;
  start: number;
  /** Exclusive end; `null` hashes to the end of the file. */
  end: number | null;
  /** Size and mtime seen when the model was listed: a change since then is reported. */
  size: number;
  mtimeMs: number;
  /** Device and inode seen when listed: any other file found at `path` is reported, never hashed. */
  dev: number;
  ino: number;
  /** Open through a link at `path` (an allowed link's own name); otherwise a link there is refused. */
  viaLink: boolean;
}

export interface HashResult {
  name: string;
  /** Lowercase hex. */
  digest: string;
  /** Set when the file's size or mtime moved while it was being hashed. */
  changed?: boolean;
}

/**
 * Hashes one task with blocking reads into `buffer`, which is reused across
 * tasks. Meant for worker threads, where blocking is the fastest way to stream
 * from the page cache; `onBytes` is called after every chunk.
 */
export async function hashFileRange(
  task: HashTask,
  algorithm: HashAlgorithm,
  buffer: Buffer,
  onBytes?: (n: number, name: string) => void,
): Promise<HashResult> {
  return hashFileRangeWith(task, algorithm === 'blake3' ? await createHasher(algorithm) : createNodeHasher(algorithm), buffer, onBytes);
}

// O_NOFOLLOW: a file swapped for a link after listing fails to open (ELOOP). O_NONBLOCK:
// one swapped for a FIFO opens at once instead of waiting for a writer. Neither
// changes how a regular file is read; Windows has neither flag.
const NO_FOLLOW = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);
const FOLLOW = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/**
 * The synchronous body: the opened file must be the one listed (same device
 * and inode, a regular file), and one fstat after reading catches a change
 * since listing in size or mtime.
 */
export function hashFileRangeWith(task: HashTask, hasher: StreamingHasher, buffer: Buffer, onBytes?: (n: number, name: string) => void): HashResult {
  let fd: number;
  try {
    fd = fs.openSync(task.path, task.viaLink ? FOLLOW : NO_FOLLOW);
  } catch (e) {
    throw errnoCode(e) === 'ELOOP' && !task.viaLink ? replaced(task, 'a link') : readError(task, e);
  }
  try {
    const opened = fs.fstatSync(fd);
    if (!opened.isFile()) throw replaced(task, 'not a regular file');
    if (opened.ino !== task.ino || opened.dev !== task.dev) throw replaced(task, 'another file');
    const end = task.end ?? task.size;
    let pos = task.start;
    let short = false;
    while (pos < end) {
      const want = Math.min(buffer.length, end - pos);
      const n = fs.readSync(fd, buffer, 0, want, pos);
      if (n === 0) {
        short = true;
        break;
      }
      hasher.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      pos += n;
      onBytes?.(n, task.name);
    }
    const after = fs.fstatSync(fd);
    const changed = short || after.size !== task.size || after.mtimeMs !== task.mtimeMs;
    const result: HashResult = { name: task.name, digest: hasher.digest().toString('hex') };
    if (changed) result.changed = true;
    return result;
  } catch (e) {
    throw e instanceof HashingError ? e : readError(task, e);
  } finally {
    fs.closeSync(fd);
  }
}

function replaced(task: HashTask, now: string): HashingError {
  return new HashingError('FILE_REPLACED', `Cannot hash '${task.name}': it was replaced after the model was listed (now ${now})`, { path: task.name, now });
}

function readError(task: HashTask, e: unknown): HashingError {
  return new HashingError('FILE_READ_ERROR', `Cannot read '${task.name}': ${errnoCode(e) ?? String(e)}`, { path: task.name }, e);
}
