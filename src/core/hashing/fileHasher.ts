import * as fs from 'node:fs';
import { HashingError, errnoCode } from '../errors';
import { createHash } from 'node:crypto';
import { HashAlgorithm, StreamingHasher, createHasher } from './algorithm';

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
export async function hashFileRange(task: HashTask, algorithm: HashAlgorithm, buffer: Buffer, onBytes?: (n: number, name: string) => void): Promise<HashResult> {
  // node:crypto engines are made synchronously: no await (and no microtask) per file.
  return hashFileRangeWith(task, algorithm === 'blake3' ? await createHasher(algorithm) : createNodeHasher(algorithm), buffer, onBytes);
}

function createNodeHasher(algorithm: 'sha256' | 'blake2b'): StreamingHasher {
  const h = createHash(algorithm === 'sha256' ? 'sha256' : 'blake2b512');
  return { update: (d) => void h.update(d), digest: () => h.digest() };
}

/** The synchronous body: one fstat after reading (a change since listing shows in size or mtime). */
export function hashFileRangeWith(task: HashTask, hasher: StreamingHasher, buffer: Buffer, onBytes?: (n: number, name: string) => void): HashResult {
  let fd: number;
  try {
    fd = fs.openSync(task.path, 'r');
  } catch (e) {
    throw readError(task, e);
  }
  try {
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
    throw readError(task, e);
  } finally {
    fs.closeSync(fd);
  }
}

function readError(task: HashTask, e: unknown): HashingError {
  return new HashingError('FILE_READ_ERROR', `Cannot read '${task.name}': ${errnoCode(e) ?? String(e)}`, { path: task.name }, e);
}
