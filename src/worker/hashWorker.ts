// Worker-thread entry of the hashing pool: it only hashes. Tasks arrive in
// batches; results go back per batch, progress every 50 ms.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { isModelSigningError } from '../core/errors';
import { hashFileRange } from '../core/hashing/fileHasher';
import type { FromWorker, ToWorker } from '../core/hashing/hashPool';

const port = parentPort!;
const { chunkSize, niceness } = workerData as { chunkSize: number; niceness?: number };
const buffer = Buffer.allocUnsafe(chunkSize);
if (niceness) {
  // On Linux the nice value is per thread: this lowers only this worker, so the
  // thread that spawned it (an editor's UI loop) gets a core the moment it needs one.
  try {
    setPriority(niceness);
  } catch {
    // Not permitted here: hash at normal priority.
  }
}
const post = (m: FromWorker) => port.postMessage(m);

let unreported = 0;
let current = '';
let lastReport = Date.now();
const onBytes = (n: number, name: string) => {
  unreported += n;
  current = name;
  const now = Date.now();
  if (now - lastReport >= 50) {
    post({ type: 'progress', bytes: unreported, name });
    unreported = 0;
    lastReport = now;
  }
};

port.on('message', (m: ToWorker) => void hashTasks(m));

/** Hashes one batch and posts its results, or the error that stopped it: it never rejects. */
async function hashTasks(m: ToWorker): Promise<void> {
  try {
    const results = [];
    for (const task of m.tasks) results.push(await hashFileRange(task, m.algorithm, buffer, onBytes));
    if (unreported > 0) post({ type: 'progress', bytes: unreported, name: current });
    unreported = 0;
    post({ type: 'done', results });
  } catch (e) {
    if (isModelSigningError(e)) post({ type: 'error', code: e.code, message: e.message, data: e.data });
    else post({ type: 'error', code: 'FILE_READ_ERROR', message: String(e), data: {} });
  }
}
