import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempDir } from '../helpers/fixtures';
import { HUB_MODEL_FILES, hubEnv, hubSuite, publishAltered, publishSigned } from '../helpers/hubModels';

describe('hub download', () => {
  const suite = hubSuite();

  /** Downloads into a new folder of a fresh parent, so that anything left behind shows. */
  const download = async (repo: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) => {
    const parent = tempDir('ms-dl-');
    const to = path.join(parent, 'model');
    const r = await runCli(['hub', 'download', 'key', repo, '--to', to, '--public-key', suite.good.publicKey, ...extra], { env: hubEnv(suite.hub, env) });
    return { ...r, to, parent };
  };

  /** The signed files and the signature, byte for byte as published; nothing else (.gitattributes is not part of the model). */
  const assertDownloaded = (to: string) => {
    const names = fs.readdirSync(to, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() || e.isSymbolicLink());
    const got = names.map((e) => path.relative(to, path.join(e.parentPath, e.name))).sort();
    const expected = [...Object.keys(HUB_MODEL_FILES).filter((n) => n !== '.gitattributes'), 'model.sig'].sort();
    assert.deepEqual(got, expected);
    for (const name of expected) assert.ok(fs.readFileSync(path.join(to, name)).equals(fs.readFileSync(path.join(suite.good.dir, name))), name);
  };

  it('downloads a verified model: every file hashed as it streams, each large file fetched once, then verify passes on it', async () => {
    const from = suite.hub.requests.length;
    const r = await download('org/good');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Commit: ${suite.good.commit}\n`));
    assert.match(r.stdout, /Verification succeeded\nDownloaded 4 file\(s\), .* to .*model\n$/);
    assertDownloaded(r.to);
    assert.deepEqual(fs.readdirSync(r.parent), ['model'], 'no staging folder is left');
    const storage = suite.hub.requests.slice(from).filter((q) => q.server === 'cdn');
    assert.deepEqual(storage.map((q) => q.path).sort(), ['/storage/org/good/model.safetensors', '/storage/org/good/shards/part-2.bin']);
    const local = await runCli(['verify', 'key', r.to, '--signature', path.join(r.to, 'model.sig'), '--public-key', suite.good.publicKey]);
    assert.equal(local.code, 0, local.stderr);
  });

  it('a changed large file is caught from the metadata: nothing is downloaded, no folder appears', async () => {
    publishAltered(suite.hub, 'org/changed', suite.good, { 'model.safetensors': Buffer.alloc(300_000, 8) });
    const from = suite.hub.requests.length;
    const r = await download('org/changed');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /changed: model\.safetensors .*\nNothing was written to .*model\n$/);
    assert.equal(suite.hub.requests.slice(from).filter((q) => q.server === 'cdn').length, 0);
    assert.deepEqual(fs.readdirSync(r.parent), []);
  });

  it('a missing file: nothing is downloaded', async () => {
    publishAltered(suite.hub, 'org/missing', suite.good, { 'shards/part-2.bin': null });
    const r = await download('org/missing');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /missing: shards\/part-2\.bin\n/);
    assert.deepEqual(fs.readdirSync(r.parent), []);
  });

  it('storage that sends other bytes than the listing claims is caught while streaming: the file is named, nothing is left', async () => {
    publishAltered(suite.hub, 'org/liar', suite.good, {});
    const other = path.join(tempDir(), 'other.bin');
    fs.writeFileSync(other, Buffer.alloc(300_000, 6));
    suite.hub.lie('org/liar', 'model.safetensors', other);
    const r = await download('org/liar');
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^Verification failed with error: model\.safetensors: the Hub sent other bytes than were signed \(expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}\); nothing was written/m,
    );
    assert.deepEqual(fs.readdirSync(r.parent), []);

    const longer = path.join(tempDir(), 'longer.bin');
    fs.writeFileSync(longer, Buffer.alloc(300_001, 7));
    suite.hub.lie('org/liar', 'model.safetensors', longer);
    const r2 = await download('org/liar');
    assert.match(r2.stderr, /org\/liar\/model\.safetensors: the Hub sent more than the 300000 bytes it lists\n$/);
    assert.deepEqual(fs.readdirSync(r2.parent), []);
  });

  it('a connection cut mid-file is resumed with a Range request from the last byte written', async () => {
    publishAltered(suite.hub, 'org/flaky', suite.good, {});
    suite.hub.cut('org/flaky', 'model.safetensors', 123_457);
    const r = await download('org/flaky');
    assert.equal(r.code, 0, r.stderr);
    assertDownloaded(r.to);
    const transfers = suite.hub.downloads('org/flaky/model.safetensors').filter((q) => q.server === 'cdn');
    assert.equal(transfers.length, 2);
    assert.equal(transfers[0]!.range, undefined);
    assert.equal(transfers[1]!.range, 'bytes=123457-');
  });

  it('a branch that moves during the download: the pinned commit wins', async () => {
    const first = publishAltered(suite.hub, 'org/moving', suite.good, {});
    const moved = publishAltered(suite.hub, 'org/moving', suite.good, { 'model.safetensors': Buffer.alloc(300_000, 1) });
    suite.hub.setRef('org/moving', 'main', first);
    suite.hub.onRequest = (q) => {
      if (q.server === 'cdn') suite.hub.setRef('org/moving', 'main', moved);
    };
    try {
      const r = await download('org/moving');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Commit: ${first}\n`));
      assertDownloaded(r.to);
    } finally {
      suite.hub.onRequest = undefined;
    }
    const resolves = suite.hub.requests.filter((q) => q.path.startsWith('/org/moving/resolve/'));
    assert.ok(resolves.length > 0 && resolves.every((q) => q.path.startsWith(`/org/moving/resolve/${first}/`)));
  });

  it('a gated repository without a token, a repository that does not exist: one line, nothing left', async () => {
    await publishSigned(suite.hub, 'org/gated', { gated: true });
    for (const [repo, expected] of [
      ['org/gated', /is in a gated repository: log in/],
      ['org/none', /The Hub refused revision 'main' of org\/none \(HTTP 401\)/],
    ] as const) {
      const r = await download(repo);
      assert.equal(r.code, 1);
      assert.match(r.stderr, expected);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.deepEqual(fs.readdirSync(r.parent), []);
    }
  });

  it('a signature over shards or blake2b: every file downloaded, then hashed as signed; a changed one leaves nothing', async () => {
    for (const signArgs of [
      ['--serialization', 'shards', '--shard-size', '100000'],
      ['--hash-algorithm', 'blake2b'],
    ]) {
      const repo = `org/bytes-${signArgs[1]}`;
      const signed = await publishSigned(suite.hub, repo, { signArgs });
      const r = await runCli(['hub', 'download', 'key', repo, '--to', path.join(tempDir(), 'm'), '--public-key', signed.publicKey], { env: hubEnv(suite.hub) });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Checked by the Hub's metadata \(sha256 of LFS\/Xet storage\): 0 file\(s\): none\nChecked by their bytes .*: 4 file\(s\)/);
      const altered = `${repo}-changed`;
      publishAltered(suite.hub, altered, signed, { 'model.safetensors': Buffer.alloc(300_000, 8) });
      const parent = tempDir('ms-dl-');
      const bad = await runCli(['hub', 'download', 'key', altered, '--to', path.join(parent, 'm'), '--public-key', signed.publicKey], {
        env: hubEnv(suite.hub),
      });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /\(\d+ changed, 0 missing, 0 extra\)\nchanged: model\.safetensors/);
      assert.deepEqual(fs.readdirSync(parent), []);
    }
  });

  it('--to the Hugging Face cache: blobs by ETag, snapshot links, refs/main, as huggingface_hub writes them; verify finds it by ORG/NAME', async () => {
    const cache = tempDir('ms-hfcache-');
    const env = { HF_HUB_CACHE: cache };
    const r = await runCli(['hub', 'download', 'key', 'org/good', '--to', cache, '--public-key', suite.good.publicKey], { env: hubEnv(suite.hub, env) });
    assert.equal(r.code, 0, r.stderr);
    const repo = path.join(cache, 'models--org--good');
    const snapshot = path.join(repo, 'snapshots', suite.good.commit);
    assert.match(r.stdout, new RegExp(`to ${snapshot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n$`));
    assert.equal(fs.readFileSync(path.join(repo, 'refs/main'), 'utf8'), suite.good.commit);
    assertDownloaded(snapshot);
    const blobOf = (name: string) => path.basename(fs.readlinkSync(path.join(snapshot, name)));
    const content = fs.readFileSync(path.join(suite.good.dir, 'model.safetensors'));
    assert.equal(blobOf('model.safetensors'), crypto.createHash('sha256').update(content).digest('hex'));
    const config = fs.readFileSync(path.join(suite.good.dir, 'config.json'));
    assert.equal(blobOf('config.json'), crypto.createHash('sha1').update(`blob ${config.length}\0`).update(config).digest('hex'));
    assert.equal(fs.readlinkSync(path.join(snapshot, 'tokenizer/vocab.txt')).split('/')[0], '..');
    assert.deepEqual(fs.readdirSync(cache), ['models--org--good'], 'no staging folder is left');
    const local = await runCli(['verify', 'key', 'org/good', '--signature', path.join(snapshot, 'model.sig'), '--public-key', suite.good.publicKey], { env });
    assert.equal(local.code, 0, local.stderr);
  });

  it('never writes into a folder that has files; an empty one is used', async () => {
    const parent = tempDir('ms-dl-');
    fs.writeFileSync(path.join(parent, 'keep.txt'), 'mine');
    const r = await runCli(['hub', 'download', 'key', 'org/good', '--to', parent, '--public-key', suite.good.publicKey], { env: hubEnv(suite.hub) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not empty: download into a new or empty folder\n$/);
    assert.deepEqual(fs.readdirSync(parent), ['keep.txt']);
    const empty = path.join(tempDir('ms-dl-'), 'empty');
    fs.mkdirSync(empty);
    const ok = await runCli(['hub', 'download', 'key', 'org/good', '--to', empty, '--public-key', suite.good.publicKey, '--json'], { env: hubEnv(suite.hub) });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { hub: { downloadedTo: string } }).hub.downloadedTo, empty);
    assertDownloaded(empty);
  });
});
