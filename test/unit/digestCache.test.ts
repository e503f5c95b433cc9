import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  CachedHashPool,
  DIGEST_CACHE_VERSION,
  DigestCache,
  FileStamp,
  HASH_ALGORITHMS,
  HashProgress,
  HashTask,
  KeySigner,
  KeyVerifier,
  fileStamp,
  loadPrivateKey,
  loadPublicKey,
  serializeModel,
  signModel,
  verifyModel,
} from '../../src/core';
import { makeKeyPair, makeModel, pool, tempDir } from '../helpers/fixtures';

/** No racy window: these tests hash files they have just written and need their digests stored (no sleep). */
const STORE_ALL = { racyWindowMs: 0 };

function keys() {
  const k = makeKeyPair();
  return { signer: new KeySigner(loadPrivateKey(fs.readFileSync(k.privateKey))), verifier: new KeyVerifier(loadPublicKey(fs.readFileSync(k.publicKey))) };
}

/** Signs a model with a plain pool; returns what verify needs. */
async function signed(model: string) {
  const { signer, verifier } = keys();
  const signaturePath = path.join(tempDir(), 'model.sig');
  await signModel(model, { pool: pool(2), signer, signaturePath });
  return { verifier, signaturePath };
}

/**
 * Waits until the file system's clock has moved past `file`'s ctime, so that a write from now on shows in its
 * stamp (the tests store digests with no racy window; this is the window, as a condition).
 */
async function pastCtimeOf(file: string): Promise<void> {
  const { ctimeMs } = fs.statSync(file);
  const probe = path.join(tempDir(), 'clock-probe');
  try {
    for (let i = 0; ; i++) {
      fs.writeFileSync(probe, String(i));
      if (fs.statSync(probe).ctimeMs > ctimeMs) return;
      if (i > 1_000_000) throw new Error(`the clock did not pass ${ctimeMs}`);
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    fs.rmSync(probe, { force: true });
  }
}

function sparseFile(file: string, bytes: number): void {
  const fd = fs.openSync(file, 'w');
  fs.ftruncateSync(fd, bytes);
  fs.closeSync(fd);
}

/** Stats gained by one call. */
async function delta<T>(p: CachedHashPool, fn: () => Promise<T>): Promise<{ value: T; hits: number; misses: number; bytesHashed: number; notStored: number }> {
  const before = { ...p.stats };
  const value = await fn();
  return {
    value,
    hits: p.stats.hits - before.hits,
    misses: p.stats.misses - before.misses,
    bytesHashed: p.stats.bytesHashed - before.bytesHashed,
    notStored: p.stats.notStored - before.notStored,
  };
}

const stamp: FileStamp = { dev: 1, ino: 2, size: 3, mtimeMs: 4.5, ctimeMs: 6.25 };
const task = (p: string, start = 0, end: number | null = null): HashTask => ({
  name: 'x',
  path: p,
  start,
  end,
  size: 3,
  mtimeMs: 4.5,
  dev: 1,
  ino: 2,
  viaLink: false,
});
const DIGEST = 'ab'.repeat(32);

describe('the digest cache', () => {
  it('serves a digest only for the same path, algorithm, range and every stamp field', () => {
    const cache = new DigestCache();
    const p = path.join(tempDir(), 'f');
    cache.set(task(p), 'sha256', stamp, DIGEST);
    assert.equal(cache.get(task(p), 'sha256', stamp), DIGEST);
    assert.equal(cache.get(task(path.join(p, '..', 'f')), 'sha256', { ...stamp }), DIGEST, 'paths are resolved');
    for (const field of ['dev', 'ino', 'size', 'mtimeMs', 'ctimeMs'] as const) {
      assert.equal(cache.get(task(p), 'sha256', { ...stamp, [field]: stamp[field] + 1 }), undefined, field);
    }
    assert.equal(cache.get(task(p), 'blake2b', stamp), undefined);
    assert.equal(cache.get(task(p, 0, 3), 'sha256', stamp), undefined, 'a shard is not the whole file');
    assert.equal(cache.get(task(p + '2'), 'sha256', stamp), undefined);
    assert.throws(() => cache.set(task(p), 'blake2b', stamp, DIGEST), { code: 'INVALID_OPTION' }, 'a digest of the wrong length');
  });

  it('is bounded: the least recently used entries go first', () => {
    const cache = new DigestCache({ maxEntries: 3 });
    const dir = tempDir();
    const t = (i: number) => task(path.join(dir, `f${i}`));
    for (let i = 0; i < 3; i++) cache.set(t(i), 'sha256', stamp, DIGEST);
    assert.equal(cache.get(t(0), 'sha256', stamp), DIGEST); // f0 is now the most recent
    cache.set(t(3), 'sha256', stamp, DIGEST);
    assert.equal(cache.size, 3);
    assert.equal(cache.get(t(1), 'sha256', stamp), undefined, 'the oldest, f1, was dropped');
    assert.equal(cache.get(t(0), 'sha256', stamp), DIGEST);
  });

  it('saves atomically and loads back, with a version field', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'sub', 'digests.json');
    const cache = new DigestCache();
    const p = path.join(dir, 'f');
    cache.set(task(p), 'sha256', stamp, DIGEST);
    cache.set(task(p, 0, 2), 'blake3', { ...stamp, mtimeMs: 1795823470005.5894 }, 'cd'.repeat(32));
    assert.equal(cache.dirty, true);
    await cache.save(file);
    assert.equal(cache.dirty, false);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['digests.json'], 'no temporary file left');
    assert.equal((JSON.parse(fs.readFileSync(file, 'utf8')) as { version: unknown }).version, DIGEST_CACHE_VERSION);
    const back = await DigestCache.load(file);
    assert.equal(back.loadStatus, 'loaded');
    assert.equal(back.size, 2);
    assert.equal(back.dirty, false);
    assert.equal(back.get(task(p), 'sha256', stamp), DIGEST);
    assert.equal(back.get(task(p, 0, 2), 'blake3', { ...stamp, mtimeMs: 1795823470005.5894 }), 'cd'.repeat(32), 'fractional times survive JSON');
  });

  it('a missing, corrupt or other-version file is an empty cache, not an error', async () => {
    const dir = tempDir();
    const write = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const good = [path.join(dir, 'f'), 'sha256', 0, null, 1, 2, 3, 4.5, 6.25, DIGEST];
    const cases: Array<[string, string, string]> = [
      ['missing', path.join(dir, 'none.json'), 'missing'],
      ['not JSON', write('a.json', '{"version": 1, "entries": [[tru'), 'corrupt'],
      ['empty', write('b.json', ''), 'corrupt'],
      ['a list', write('c.json', '[]'), 'corrupt'],
      ['no version', write('d.json', JSON.stringify({ entries: [good] })), 'corrupt'],
      ['another version', write('e.json', JSON.stringify({ version: DIGEST_CACHE_VERSION + 1, entries: [good] })), 'other-version'],
      ['a bad entry', write('f.json', JSON.stringify({ version: DIGEST_CACHE_VERSION, entries: [good, [...good.slice(0, 9), 'not hex']] })), 'corrupt'],
      ['a relative path', write('g.json', JSON.stringify({ version: DIGEST_CACHE_VERSION, entries: [['f', ...good.slice(1)]] })), 'corrupt'],
      ['a folder', dir, 'corrupt'],
    ];
    for (const [what, file, status] of cases) {
      const cache = await DigestCache.load(file);
      assert.equal(cache.size, 0, what);
      assert.equal(cache.loadStatus, status, what);
    }
    const ok = await DigestCache.load(write('h.json', JSON.stringify({ version: DIGEST_CACHE_VERSION, entries: [good] })));
    assert.equal(ok.size, 1);
  });
});

describe('the cached hashing pool', () => {
  it('a second verify of an unchanged 64 MiB model hashes 0 bytes; touching one file re-hashes only it', async () => {
    const model = makeModel({ 'weights.bin': crypto.randomBytes(64 << 20), 'config.json': '{"a": 1}', 'tok/vocab.txt': 'a b c' });
    const { verifier, signaturePath } = await signed(model);
    const cached = new CachedHashPool(pool(2), new DigestCache(), STORE_ALL);
    const verify = () => verifyModel(model, { verifier, pool: cached, signaturePath });

    const first = await delta(cached, verify);
    assert.equal(first.value.ok, true);
    assert.equal(first.misses, 3);
    assert.equal(first.bytesHashed, (64 << 20) + 8 + 5);
    assert.equal(first.notStored, 0);

    const second = await delta(cached, verify);
    assert.equal(second.value.ok, true);
    assert.equal(second.bytesHashed, 0);
    assert.equal(second.hits, 3);
    assert.equal(second.value.rootDigest, first.value.rootDigest);

    // Same content, new mtime: only that file is read again, and it still verifies.
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(model, 'config.json'), later, later);
    const third = await delta(cached, verify);
    assert.equal(third.value.ok, true);
    assert.equal(third.misses, 1);
    assert.equal(third.hits, 2);
    assert.equal(third.bytesHashed, 8);
  });

  it('a file rewritten with the same size and its mtime put back is caught (ctime), and one replaced by another (inode)', async () => {
    const model = makeModel({ 'a.bin': 'original content', 'b.bin': 'other original.' });
    // Whole seconds: utimes takes them back exactly (a Date's milliseconds go through a float).
    const past = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    for (const f of ['a.bin', 'b.bin']) fs.utimesSync(path.join(model, f), past, past);
    const { verifier, signaturePath } = await signed(model);
    const cached = new CachedHashPool(pool(2), new DigestCache(), STORE_ALL);
    const verify = () => verifyModel(model, { verifier, pool: cached, signaturePath });
    assert.equal((await verify()).ok, true);
    assert.equal((await delta(cached, verify)).bytesHashed, 0);

    // In place: same inode, same size, same mtime; only ctime moves.
    const a = path.join(model, 'a.bin');
    const before = fs.statSync(a);
    await pastCtimeOf(a);
    fs.writeFileSync(a, 'tampered content');
    fs.utimesSync(a, before.atime, before.mtime);
    const after = fs.statSync(a);
    assert.equal(after.size, before.size);
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.equal(after.ino, before.ino);
    const r1 = await delta(cached, verify);
    assert.equal(r1.value.ok, false);
    assert.deepEqual(
      r1.value.diff.changed.map((c) => c.name),
      ['a.bin'],
    );
    assert.equal(r1.misses, 1);

    // Replaced by rename: a new inode with the same size and mtime.
    const b = path.join(model, 'b.bin');
    const bStat = fs.statSync(b);
    const tmp = path.join(model, '..', 'b.new');
    fs.writeFileSync(tmp, 'other tampered.');
    fs.utimesSync(tmp, bStat.atime, bStat.mtime);
    fs.renameSync(tmp, b);
    assert.notEqual(fs.statSync(b).ino, bStat.ino);
    const r2 = await delta(cached, verify);
    assert.deepEqual(
      r2.value.diff.changed.map((c) => c.name),
      ['a.bin', 'b.bin'],
    );
  });

  it('a file changed within the racy window is hashed but not stored, and stored once it is out of it', async () => {
    const model = makeModel({ 'a.txt': 'a', 'b.txt': 'b' });
    const cache = new DigestCache();
    // Both files were written a moment ago: inside a window of a minute, a same-size write in the same tick would not show.
    const racy = new CachedHashPool(pool(1), cache, { racyWindowMs: 60_000 });
    const hashRacy = () => serializeModel(model, { pool: racy });
    const first = await delta(racy, hashRacy);
    assert.equal(first.misses, 2);
    assert.equal(first.notStored, 2);
    const second = await delta(racy, hashRacy);
    assert.equal(second.hits, 0);
    assert.equal(second.misses, 2, 'both are read again');
    // The same cache behind a pool with no window: the digests are stored, and served after.
    const settled = new CachedHashPool(pool(1), cache, STORE_ALL);
    const hashSettled = () => serializeModel(model, { pool: settled });
    assert.equal((await delta(settled, hashSettled)).notStored, 0);
    assert.equal((await delta(racy, hashRacy)).hits, 2, 'stored digests are served');
  });

  it('gives the same digests as the plain pool, for files and shards, with all three algorithms', async () => {
    const model = makeModel({ 'a.bin': crypto.randomBytes(300_000), 'b/c.txt': 'hello', empty: '', 'ü/ß.bin': crypto.randomBytes(1000) });
    const plain = pool(2);
    const cached = new CachedHashPool(pool(2), new DigestCache(), STORE_ALL);
    for (const hashAlgorithm of HASH_ALGORITHMS) {
      for (const method of ['files', 'shards'] as const) {
        const options = { method, hashAlgorithm, shardSize: 65_536 };
        const expected = await serializeModel(model, { ...options, pool: plain });
        const cold = await delta(cached, () => serializeModel(model, { ...options, pool: cached }));
        const warm = await delta(cached, () => serializeModel(model, { ...options, pool: cached }));
        const what = `${hashAlgorithm} ${method}`;
        assert.deepEqual(cold.value.resources, expected.resources, what);
        assert.deepEqual(warm.value.resources, expected.resources, what);
        assert.equal(cold.hits, 0, what);
        assert.equal(warm.misses, 0, what);
        assert.equal(warm.hits, expected.resources.length, what);
        assert.equal(cold.value.rootDigest(), warm.value.rootDigest(), what);
      }
    }
  });

  it('reports progress up to the total when everything comes from the cache', async () => {
    const model = makeModel({ a: 'aaaa', b: 'bb' });
    const cached = new CachedHashPool(pool(1), new DigestCache(), STORE_ALL);
    await serializeModel(model, { pool: cached });
    const seen: HashProgress[] = [];
    await serializeModel(model, { pool: cached, onProgress: (p) => seen.push(p) });
    const last = seen[seen.length - 1]!;
    assert.equal(last.bytesDone, 6);
    assert.equal(last.bytesTotal, 6);
  });

  it('a file that changes while it is hashed is still reported, and not cached', async () => {
    const model = makeModel({ 'small.txt': 'hello' });
    sparseFile(path.join(model, 'big.bin'), 2 ** 30);
    const cache = new DigestCache();
    const cached = new CachedHashPool(pool(2), cache, STORE_ALL);
    let touched = false;
    const job = serializeModel(model, {
      pool: cached,
      onProgress: (pr) => {
        if (!touched && pr.currentFile === 'big.bin') {
          touched = true;
          fs.appendFileSync(path.join(model, 'big.bin'), 'late write');
        }
      },
    });
    await assert.rejects(job, { code: 'FILE_CHANGED_WHILE_HASHING', data: { files: ['big.bin'] } });
    const st = fileStamp(fs.statSync(path.join(model, 'big.bin')));
    assert.equal(cache.get({ path: path.join(model, 'big.bin'), start: 0, end: null }, 'sha256', st), undefined);
  });

  it('re-verifies a 2 GiB model after one small file changes by hashing only that file', async () => {
    const model = makeModel({ 'config.json': '{"layers": 32}', 'tokenizer.json': '{}' });
    sparseFile(path.join(model, 'model-00001.safetensors'), 2 ** 30);
    sparseFile(path.join(model, 'model-00002.safetensors'), 2 ** 30);
    const { verifier, signaturePath } = await signed(model);
    const cacheFile = path.join(tempDir(), 'digests.json');
    const cached = new CachedHashPool(pool(), await DigestCache.load(cacheFile), STORE_ALL);
    const first = await verifyModel(model, { verifier, pool: cached, signaturePath });
    assert.equal(first.ok, true);
    await cached.cache.save(cacheFile);

    // As the extension would after a restart: the cache from its file, a new pool.
    const again = new CachedHashPool(pool(), await DigestCache.load(cacheFile), STORE_ALL);
    // Same size: only the stamp's times tell the new content from the old.
    await pastCtimeOf(path.join(model, 'config.json'));
    fs.writeFileSync(path.join(model, 'config.json'), '{"layers": 31}');
    const second = await delta(again, () => verifyModel(model, { verifier, pool: again, signaturePath }));
    assert.equal(second.value.ok, false);
    assert.deepEqual(
      second.value.diff.changed.map((c) => c.name),
      ['config.json'],
    );
    assert.equal(second.bytesHashed, 14);
    assert.equal(second.hits, 3, 'the two 1 GiB shards of weights and tokenizer.json come from the cache');
  });
});
