import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CacheLoadStatus, DigestCache, DigestCacheDir, FileStamp, cacheLoadWarning, userCacheDir } from '../../src/core';
import { tempDir } from '../helpers/fixtures';

const stamp: FileStamp = { dev: 1, ino: 2, size: 3, mtimeMs: 4.5, ctimeMs: 6.25 };
const range = (p: string) => ({ path: p, start: 0, end: null });
const DIGEST = 'ab'.repeat(32);

describe('a folder of digest caches', () => {
  it('keeps one file per model, named after its absolute path', async () => {
    const dir = new DigestCacheDir(path.join(tempDir(), 'cache'));
    const [a, b] = [path.join(tempDir(), 'a'), path.join(tempDir(), 'b')];
    assert.match(path.basename(dir.fileFor(a)), /^[0-9a-f]{64}\.json$/);
    assert.equal(dir.fileFor(path.join(a, '..', 'a')), dir.fileFor(a));
    assert.notEqual(dir.fileFor(a), dir.fileFor(b));
    const cache = await dir.load(a);
    assert.equal(cache.loadStatus, 'missing');
    cache.set(range(path.join(a, 'f')), 'sha256', stamp, DIGEST);
    await dir.save(a, cache);
    assert.equal((await dir.load(a)).get(range(path.join(a, 'f')), 'sha256', stamp), DIGEST);
    assert.equal((await dir.load(b)).size, 0);
  });

  it('a save keeps what another process saved since this one loaded', async () => {
    const dir = new DigestCacheDir(tempDir());
    const model = tempDir();
    const [first, second] = [await dir.load(model), await dir.load(model)];
    first.set(range(path.join(model, 'one')), 'sha256', stamp, DIGEST);
    second.set(range(path.join(model, 'two')), 'sha256', stamp, 'cd'.repeat(32));
    second.set(range(path.join(model, 'one')), 'sha256', { ...stamp, size: 9 }, 'ef'.repeat(32));
    await dir.save(model, first);
    await dir.save(model, second);
    const back = await dir.load(model);
    assert.equal(back.size, 2);
    assert.equal(back.get(range(path.join(model, 'two')), 'sha256', stamp), 'cd'.repeat(32));
    assert.equal(back.get(range(path.join(model, 'one')), 'sha256', { ...stamp, size: 9 }), 'ef'.repeat(32), 'the later save wins for the same key');
  });

  it('keepOthers stays within the entry bound, dropping the other process entries first', () => {
    const mine = new DigestCache({ maxEntries: 2 });
    const theirs = new DigestCache({ maxEntries: 2 });
    const dir = tempDir();
    mine.set(range(path.join(dir, 'm')), 'sha256', stamp, DIGEST);
    theirs.set(range(path.join(dir, 't1')), 'sha256', stamp, DIGEST);
    theirs.set(range(path.join(dir, 't2')), 'sha256', stamp, DIGEST);
    mine.keepOthers(theirs);
    assert.equal(mine.size, 2);
    assert.equal(mine.get(range(path.join(dir, 'm')), 'sha256', stamp), DIGEST);
    assert.equal(mine.get(range(path.join(dir, 't1')), 'sha256', stamp), undefined);
    assert.equal(mine.get(range(path.join(dir, 't2')), 'sha256', stamp), DIGEST);
    const empty = new DigestCache();
    empty.keepOthers(new DigestCache());
    assert.equal(empty.dirty, false);
  });

  it('a folder or file others may write is not read, and the folder not written', async () => {
    const root = tempDir();
    const model = tempDir();
    const dir = new DigestCacheDir(root);
    const cache = await dir.load(model);
    cache.set(range(path.join(model, 'f')), 'sha256', stamp, DIGEST);
    await dir.save(model, cache);
    fs.chmodSync(dir.fileFor(model), 0o622);
    assert.equal((await dir.load(model)).loadStatus, 'not-private');
    fs.chmodSync(dir.fileFor(model), 0o600);
    assert.equal((await dir.load(model)).loadStatus, 'loaded');
    fs.chmodSync(root, 0o775);
    assert.equal((await dir.load(model)).loadStatus, 'not-private');
    await assert.rejects(dir.save(model, cache), { code: 'WRITE_FAILED' });
    const notAFolder = path.join(tempDir(), 'file');
    fs.writeFileSync(notAFolder, '');
    assert.equal((await new DigestCacheDir(notAFolder).load(model)).loadStatus, 'not-private');
  });

  it('within takes the entries of one model out of a cache that holds several', () => {
    const cache = new DigestCache();
    const dir = tempDir();
    for (const f of ['m/a', 'm/sub/b', 'm2/c', 'single.bin']) cache.set(range(path.join(dir, f)), 'sha256', stamp, DIGEST);
    const m = cache.within(path.join(dir, 'm'));
    assert.equal(m.size, 2, 'm2 is not under m');
    assert.equal(m.get(range(path.join(dir, 'm/sub/b')), 'sha256', stamp), DIGEST);
    assert.equal(m.dirty, true);
    assert.equal(cache.within(path.join(dir, 'single.bin')).size, 1, 'a one-file model');
    assert.equal(cache.within(path.join(dir, 'none')).dirty, false);
  });

  it('warns in one line for every status but loaded and missing', () => {
    const statuses: CacheLoadStatus[] = ['loaded', 'missing', 'corrupt', 'other-version', 'not-private'];
    const warnings = statuses.map((s) => cacheLoadWarning(s, '/c/x.json'));
    assert.deepEqual(warnings.slice(0, 2), [undefined, undefined]);
    for (const w of warnings.slice(2)) assert.match(w!, /^The digest cache '\/c\/x\.json' [^\n]+every file is hashed$/);
  });

  it('the user cache folder follows each platform convention', () => {
    assert.equal(userCacheDir('linux', { XDG_CACHE_HOME: '/x/cache' }, '/home/u'), '/x/cache/model-signing');
    assert.equal(userCacheDir('linux', {}, '/home/u'), '/home/u/.cache/model-signing');
    assert.equal(userCacheDir('freebsd', { XDG_CACHE_HOME: 'relative' }, '/home/u'), '/home/u/.cache/model-signing', 'a relative XDG path is ignored');
    assert.equal(userCacheDir('darwin', { XDG_CACHE_HOME: '/x' }, '/Users/u'), '/Users/u/Library/Caches/model-signing');
    assert.equal(userCacheDir('win32', { LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'C:\\Users\\u'), 'C:\\Users\\u\\AppData\\Local\\model-signing\\Cache');
    assert.equal(userCacheDir('win32', {}, 'C:\\Users\\u'), 'C:\\Users\\u\\AppData\\Local\\model-signing\\Cache');
  });
});
