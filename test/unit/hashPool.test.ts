import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { HashProgress, KeySigner, loadPrivateKey, serializeModel, signModel } from '../../src/core';
import { makeKeyPair, makeModel, pool, sampleModel, tempDir } from '../helpers/fixtures';

/** A model with one sparse file: large to hash, free to write. */
function bigSparseModel(bytes: number): string {
  const model = makeModel({ 'small.txt': 'hello' });
  const fd = fs.openSync(path.join(model, 'big.bin'), 'w');
  fs.ftruncateSync(fd, bytes);
  fs.closeSync(fd);
  return model;
}

describe('the worker pool', () => {
  it('reports progress up to the total, with the file being hashed', async () => {
    const model = bigSparseModel(64 << 20);
    const seen: HashProgress[] = [];
    const manifest = await serializeModel(model, { pool: pool(2), onProgress: (p) => seen.push(p) });
    assert.equal(manifest.resources.length, 2);
    const last = seen[seen.length - 1]!;
    assert.equal(last.bytesTotal, (64 << 20) + 5);
    assert.equal(last.bytesDone, last.bytesTotal);
    assert.equal(last.filesTotal, 2);
    assert.ok(seen.some((p) => p.currentFile === 'big.bin'));
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.bytesDone >= seen[i - 1]!.bytesDone);
  });

  it('a cancelled job stops promptly and the pool works again after it', async () => {
    const model = bigSparseModel(4 * 2 ** 30);
    const p = pool(2);
    const ac = new AbortController();
    let cancelledAt = 0;
    let lastDone = 0;
    const job = serializeModel(model, {
      pool: p,
      signal: ac.signal,
      onProgress: (pr) => {
        lastDone = pr.bytesDone;
        if (pr.bytesDone > 0 && !ac.signal.aborted) {
          cancelledAt = pr.bytesDone;
          ac.abort();
        }
      },
    });
    await assert.rejects(job, { code: 'CANCELLED' });
    assert.ok(cancelledAt > 0, 'no progress before the cancel');
    // Promptly, measured in bytes rather than milliseconds: the workers stopped far short of the 4 GiB.
    assert.ok(lastDone < 2 ** 30, `${lastDone} bytes hashed after a cancel at ${cancelledAt}`);
    // New workers are started for the next job.
    const again = await serializeModel(makeModel({ a: 'a' }), { pool: p });
    assert.equal(again.resources.length, 1);
  });

  it('a worker that stopped between jobs is replaced, not handed the next job', { timeout: 20_000 }, async () => {
    const p = pool(2);
    await serializeModel(sampleModel(), { pool: p });
    // A worker gone while the pool was idle (a crash, the system's OOM killer) sends no answer and no second exit:
    // before, the next job waited for it forever, and a "Verifying …: 0%" notification stayed on screen.
    const idle = (p as unknown as { workers: Worker[] }).workers;
    assert.equal(idle.length, 2);
    await idle[0]!.terminate();
    const again = await serializeModel(sampleModel(), { pool: p });
    assert.equal(again.resources.length, 10);
  });

  it('a cancelled sign writes nothing', async () => {
    const model = bigSparseModel(4 * 2 ** 30);
    const sig = path.join(tempDir(), 'model.sig');
    const ac = new AbortController();
    const signer = new KeySigner(loadPrivateKey(fs.readFileSync(makeKeyPair().privateKey)));
    const job = signModel(model, { pool: pool(2), signer, signaturePath: sig, signal: ac.signal, onProgress: (pr) => pr.bytesDone > 0 && ac.abort() });
    await assert.rejects(job, { code: 'CANCELLED' });
    assert.deepEqual(fs.readdirSync(path.dirname(sig)), []);
  });

  it('a file that changes while it is hashed is reported, never signed', async () => {
    const model = bigSparseModel(2 ** 30);
    const sig = path.join(tempDir(), 'model.sig');
    const signer = new KeySigner(loadPrivateKey(fs.readFileSync(makeKeyPair().privateKey)));
    let touched = false;
    const job = signModel(model, {
      pool: pool(2),
      signer,
      signaturePath: sig,
      onProgress: (pr) => {
        if (!touched && pr.currentFile === 'big.bin') {
          touched = true;
          fs.appendFileSync(path.join(model, 'big.bin'), 'late write');
        }
      },
    });
    await assert.rejects(job, { code: 'FILE_CHANGED_WHILE_HASHING', data: { files: ['big.bin'] } });
    assert.ok(!fs.existsSync(sig));
  });
});
