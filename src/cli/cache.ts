// `--cache[=DIR]` (digest, sign, verify, attest): the digest cache in front of the worker pool for one
// run, saved after it, and one line on stderr saying what it reused and what it hashed.
import * as path from 'node:path';
import { safeText } from '../core/display';
import { CachedHashPool } from '../core/hashing/cachedHashPool';
import { DigestCacheDir, cacheLoadWarning, defaultDigestCacheDir } from '../core/hashing/digestCacheDir';
import type { HashPool, WorkerHashPool } from '../core/hashing/hashPool';
import { formatBytes } from '../core/units';
import type { Parsed } from './args';
import { describeFailure } from './report';
import { ProgressLine, err } from './terminal';

/**
 * Runs `task` with the worker pool, its workers started at once, or with `--cache` the cache in front of
 * it, which starts workers only for what it misses. The cache is saved even when the task fails after
 * hashing (a refused signature need not cost a full hash again).
 */
export async function withCommandPool<T>(
  p: Parsed,
  modelPath: string,
  workers: WorkerHashPool,
  progress: ProgressLine,
  task: (pool: HashPool) => Promise<T>,
): Promise<T> {
  const given = p.strings.cache;
  if (given === undefined) {
    workers.startWorkers();
    return task(workers);
  }
  const dir = new DigestCacheDir(given === '' ? defaultDigestCacheDir() : path.resolve(given));
  const cache = await dir.load(modelPath);
  const warning = cacheLoadWarning(cache.loadStatus, dir.fileFor(modelPath));
  if (warning) err(safeText`WARNING: ${warning}\n`);
  const pool = new CachedHashPool(workers, cache);
  let result: T;
  try {
    result = await task(pool);
  } finally {
    if (cache.dirty && cache.loadStatus !== 'not-private') {
      // The cache only saves time: failing to save it fails nothing.
      await dir.save(modelPath, cache).catch((e: unknown) => err(safeText`WARNING: Could not save the digest cache: ${describeFailure(e)}\n`));
    }
  }
  progress.done();
  const s = pool.stats;
  err(
    safeText`Digest cache: ${s.hits} of ${s.hits + s.misses} digests reused (${formatBytes(s.bytesCached)}), ${s.misses} computed (${formatBytes(s.bytesHashed)})\n`,
  );
  return result;
}
