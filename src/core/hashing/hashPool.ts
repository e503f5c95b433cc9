import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { throwIfAborted } from '../abort';
import { HashingError, ModelSigningError } from '../errors';
import { HashAlgorithm } from './algorithm';
import { DEFAULT_CHUNK_SIZE, HashResult, HashTask, hashFileRange } from './fileHasher';

export interface HashJobOptions {
  signal?: AbortSignal;
  /** Called with the number of bytes hashed since the last call, and the file being hashed. */
  onBytes?: (n: number, name: string) => void;
}

/** Where hashing runs. The worker pool is the product's; the inline pool exists for invariance tests. */
export interface HashPool {
  hash(tasks: readonly HashTask[], algorithm: HashAlgorithm, options?: HashJobOptions): Promise<HashResult[]>;
  dispose(): Promise<void>;
}

/** Messages between the pool and a worker (src/worker/hashWorker.ts). */
export type ToWorker = { type: 'hash'; tasks: HashTask[]; algorithm: HashAlgorithm };
export type FromWorker =
  | { type: 'progress'; bytes: number; name: string }
  | { type: 'done'; results: HashResult[] }
  | { type: 'error'; code: ModelSigningError['code']; message: string; data: Record<string, unknown> };

/** Hashes on the calling thread, one task after another. */
export class InlineHashPool implements HashPool {
  constructor(private readonly chunkSize = DEFAULT_CHUNK_SIZE) {}

  async hash(tasks: readonly HashTask[], algorithm: HashAlgorithm, options: HashJobOptions = {}): Promise<HashResult[]> {
    const buffer = Buffer.allocUnsafe(this.chunkSize);
    const results: HashResult[] = [];
    for (const task of tasks) {
      throwIfAborted(options.signal);
      results.push(await hashFileRange(task, algorithm, buffer, options.onBytes));
    }
    return results;
  }

  async dispose(): Promise<void> {}
}

export interface WorkerHashPoolOptions {
  /** Path of the built worker script (dist/hashWorker.js). */
  workerScript: string;
  /** Number of worker threads (default: the CPUs available). */
  size?: number;
  chunkSize?: number;
  /**
   * Nice value for the worker threads (Linux: per thread). An editor sets it so
   * hashing never delays its event loop; the CLI leaves it at 0.
   */
  niceness?: number;
}

// A worker is handed tasks in batches, so 20,000 small files cost a few hundred
// messages rather than 40,000, while big files still spread across workers.
const BATCH_BYTES = 32 << 20;
const BATCH_TASKS = 256;

/**
 * A pool of worker threads that stream files through the hash engines. Workers
 * are started on first use and kept for the next job; a cancelled job terminates
 * them at once. Jobs run one at a time, in the order they were asked for.
 */
export class WorkerHashPool implements HashPool {
  readonly size: number;
  private readonly workers: Worker[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(private readonly options: WorkerHashPoolOptions) {
    this.size = Math.max(1, Math.floor(options.size ?? availableParallelism()));
  }

  /** Starts every worker now, before the first job: their ~35 ms boot overlaps the listing of the model. */
  startWorkers(): void {
    while (this.workers.length < this.size && !this.disposed) this.workers.push(this.spawn());
  }

  hash(tasks: readonly HashTask[], algorithm: HashAlgorithm, options: HashJobOptions = {}): Promise<HashResult[]> {
    const job = this.queue.then(() => this.run(tasks, algorithm, options));
    this.queue = job.catch(() => undefined);
    return job;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.terminateAll();
  }

  private async run(tasks: readonly HashTask[], algorithm: HashAlgorithm, options: HashJobOptions): Promise<HashResult[]> {
    if (this.disposed) throw new HashingError('CANCELLED', 'The hashing pool was disposed');
    throwIfAborted(options.signal);
    if (tasks.length === 0) return [];
    // Largest first, so one big file does not start last and leave the others idle.
    const pending = [...tasks].sort((a, b) => taskBytes(b) - taskBytes(a));
    let next = 0;
    const nextBatch = (): HashTask[] => {
      const batch: HashTask[] = [];
      let bytes = 0;
      while (next < pending.length && batch.length < BATCH_TASKS && (batch.length === 0 || bytes < BATCH_BYTES)) {
        const t = pending[next++]!;
        bytes += taskBytes(t);
        batch.push(t);
      }
      return batch;
    };
    const count = Math.min(this.size, tasks.length);
    while (this.workers.length < count) this.workers.push(this.spawn());

    const results: HashResult[] = [];
    return new Promise<HashResult[]>((resolve, reject) => {
      let active = 0;
      let settled = false;
      const listeners: Array<() => void> = [];
      const finish = (err?: HashingError) => {
        if (settled) return;
        settled = true;
        listeners.forEach((off) => off());
        this.workers.forEach((w) => w.unref());
        options.signal?.removeEventListener('abort', onAbort);
        if (err) {
          // Workers may be mid-file: stop them now; new ones start on the next job.
          void this.terminateAll();
          reject(err);
        } else {
          resolve(results);
        }
      };
      const onAbort = () => finish(new HashingError('CANCELLED', 'Cancelled'));
      options.signal?.addEventListener('abort', onAbort, { once: true });

      const feed = (w: Worker) => {
        const batch = nextBatch();
        if (batch.length === 0) {
          if (active === 0) finish();
          return;
        }
        active++;
        w.postMessage({ type: 'hash', tasks: batch, algorithm } satisfies ToWorker);
      };
      for (const w of this.workers.slice(0, count)) {
        const onMessage = (m: FromWorker) => {
          if (settled) return;
          if (m.type === 'progress') {
            options.onBytes?.(m.bytes, m.name);
          } else if (m.type === 'done') {
            active--;
            results.push(...m.results);
            feed(w);
          } else {
            finish(new HashingError(m.code, m.message, m.data));
          }
        };
        const onError = (e: Error) => finish(new HashingError('FILE_READ_ERROR', `Hashing worker failed: ${e.message}`, {}, e));
        const onExit = (code: number) => finish(new HashingError('FILE_READ_ERROR', `Hashing worker stopped (exit code ${code})`));
        // A running job keeps the process alive; an idle pool does not.
        w.ref();
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', onExit);
        listeners.push(() => {
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
        });
      }
      for (const w of this.workers.slice(0, count)) feed(w);
    });
  }

  private spawn(): Worker {
    const w = new Worker(this.options.workerScript, {
      workerData: { chunkSize: this.options.chunkSize ?? DEFAULT_CHUNK_SIZE, niceness: this.options.niceness ?? 0 },
    });
    w.unref();
    // A worker that stops while the pool is idle never answers, and a job listens for exits only while it runs:
    // forget it now, so the next job starts another rather than wait for it forever.
    w.once('exit', () => {
      const i = this.workers.indexOf(w);
      if (i >= 0) this.workers.splice(i, 1);
    });
    return w;
  }

  private async terminateAll(): Promise<void> {
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

function taskBytes(t: HashTask): number {
  return (t.end ?? t.size) - t.start;
}
