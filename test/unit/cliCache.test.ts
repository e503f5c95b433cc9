// `--cache[=DIR]` on digest, sign, verify and attest: what each run hashed is read from the CLI's
// "Digest cache:" line on stderr (counts, never timings), and the cache files from disk.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DIGEST_CACHE_VERSION, DigestCache, DigestCacheDir } from '../../src/core';
import { CliResult, makeKeyPair, makeModel, runCli, tempDir } from '../helpers/fixtures';

/** The CLI's default racy window for files with fine timestamps: a file changed this recently is hashed, not stored. */
const RACY_WINDOW_MS = 100;

/** What one run took from the cache and hashed, from its "Digest cache:" line. */
function cacheLine(r: CliResult): { reused: number; total: number; computed: number } {
  assert.equal(r.code, 0, r.stderr);
  const m = /^Digest cache: (\d+) of (\d+) digests reused \([^)]*\), (\d+) computed \([^)]*\)$/m.exec(r.stderr);
  assert.ok(m, `no cache line in: ${r.stderr}`);
  return { reused: Number(m[1]), total: Number(m[2]), computed: Number(m[3]) };
}

/** Waits until every file of `dir` was last changed longer ago than the racy window: then their digests are stored. */
async function settled(dir: string): Promise<void> {
  const newest = Math.max(
    ...fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const st = fs.statSync(path.join(e.parentPath, e.name));
        return Math.max(st.mtimeMs, st.ctimeMs);
      }),
  );
  while (Date.now() <= newest + RACY_WINDOW_MS) await new Promise((r) => setTimeout(r, 10));
}

/** Rewrites a file with other content of the same size, once out of the racy window. */
async function change(file: string): Promise<void> {
  const before = fs.readFileSync(file);
  const after = Buffer.from(before.map((b) => b ^ 0xff));
  fs.writeFileSync(file, after);
  await settled(path.dirname(file));
}

function model() {
  return makeModel({ 'weights.bin': crypto.randomBytes(300_000), 'config.json': '{"layers": 32}', 'tok/vocab.txt': 'a b c' });
}

describe('model-signing --cache', () => {
  it('digest, sign, verify and attest hash only the files that changed since the last run with the cache', async () => {
    const key = makeKeyPair();
    const sig = path.join(tempDir(), 'model.sig');
    const commands: Record<string, (m: string, cache: string) => string[]> = {
      digest: (m, c) => ['digest', m, `--cache=${c}`],
      sign: (m, c) => ['sign', 'key', m, '--private-key', key.privateKey, '--signature', sig, `--cache=${c}`],
      verify: (m, c) => ['verify', 'key', m, '--public-key', key.publicKey, '--signature', sig, `--cache=${c}`],
      attest: (m, c) => ['attest', m, '--method', 'key', '--private-key', key.privateKey, '--output', path.join(tempDir(), 'p.json'), `--cache=${c}`],
    };
    for (const [name, args] of Object.entries(commands)) {
      const m = model();
      await settled(m);
      const cache = tempDir();
      // verify needs a signature of this model, made without the cache.
      if (name === 'verify') assert.equal((await runCli(['sign', 'key', m, '--private-key', key.privateKey, '--signature', sig])).code, 0);
      assert.deepEqual(cacheLine(await runCli(args(m, cache))), { reused: 0, total: 3, computed: 3 }, `${name}: first run`);
      assert.deepEqual(cacheLine(await runCli(args(m, cache))), { reused: 3, total: 3, computed: 0 }, `${name}: unchanged`);
      await change(path.join(m, 'config.json'));
      const third = await runCli(args(m, cache));
      if (name === 'verify') {
        // The change is found, from the one file hashed again.
        assert.equal(third.code, 1);
        assert.match(third.stdout + third.stderr, /config\.json/);
        assert.match(third.stderr, /^Digest cache: 2 of 3 digests reused \([^)]*\), 1 computed \(14 B\)$/m);
      } else {
        assert.deepEqual(cacheLine(third), { reused: 2, total: 3, computed: 1 }, `${name}: one file changed`);
      }
    }
  });

  it('gives the digest a full hash gives; without --cache no cache is read or written', async () => {
    const m = model();
    await settled(m);
    const cache = tempDir();
    const plain = await runCli(['digest', m]);
    assert.doesNotMatch(plain.stderr, /Digest cache/);
    assert.deepEqual(fs.readdirSync(cache), []);
    await runCli(['digest', m, `--cache=${cache}`]);
    const cached = await runCli(['digest', m, `--cache=${cache}`]);
    assert.equal(cacheLine(cached).reused, 3);
    assert.equal(cached.stdout, plain.stdout);
  });

  it('with shards, only the shards of the changed file are hashed', async () => {
    const m = makeModel({ 'big.bin': crypto.randomBytes(10_000), 'small.txt': 'hello' });
    await settled(m);
    const cache = tempDir();
    const args = ['digest', m, '--serialization', 'shards', '--shard-size', '1000', `--cache=${cache}`];
    const plain = await runCli(args.slice(0, -1));
    assert.deepEqual(cacheLine(await runCli(args)), { reused: 0, total: 11, computed: 11 });
    await change(path.join(m, 'small.txt'));
    assert.deepEqual(cacheLine(await runCli(args)), { reused: 10, total: 11, computed: 1 });
    await change(path.join(m, 'big.bin'));
    const r = await runCli(args);
    assert.deepEqual(cacheLine(r), { reused: 1, total: 11, computed: 10 });
    assert.notEqual(r.stdout, plain.stdout);
    assert.equal(r.stdout, (await runCli(args.slice(0, -1))).stdout, 'the same digest as a full hash');
  });

  it('a corrupt, foreign or other-version cache file is ignored with a one-line warning, and replaced', async () => {
    const m = model();
    await settled(m);
    const cache = tempDir();
    const file = new DigestCacheDir(cache).fileFor(m);
    const cases: Array<[string, () => void, RegExp]> = [
      ['corrupt', () => fs.writeFileSync(file, '{"version": 1, "entries": [['), /is not a cache file this tool wrote: ignored, every file is hashed/],
      ['foreign JSON', () => fs.writeFileSync(file, JSON.stringify({ name: 'something else' })), /is not a cache file this tool wrote/],
      ['other version', () => fs.writeFileSync(file, JSON.stringify({ version: DIGEST_CACHE_VERSION + 1, entries: [] })), /is of another version/],
      ['writable by others', () => fs.chmodSync(file, 0o666), /can be written by other users: not used/],
    ];
    for (const [what, spoil, warning] of cases) {
      await runCli(['digest', m, `--cache=${cache}`]);
      spoil();
      const r = await runCli(['digest', m, `--cache=${cache}`]);
      assert.deepEqual(cacheLine(r), { reused: 0, total: 3, computed: 3 }, what);
      const warnings = r.stderr.split('\n').filter((l) => l.startsWith('WARNING'));
      assert.equal(warnings.length, 1, what);
      assert.match(warnings[0]!, warning, what);
      if (what === 'writable by others') {
        assert.equal((fs.statSync(file).mode & 0o777).toString(8), '666', 'not written');
        fs.chmodSync(file, 0o600);
      } else {
        assert.equal(cacheLine(await runCli(['digest', m, `--cache=${cache}`])).reused, 3, `${what}: rewritten, then used`);
      }
    }
  });

  it('a cache folder others can write to is not used', async () => {
    const m = model();
    await settled(m);
    const cache = tempDir();
    fs.chmodSync(cache, 0o777);
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['digest', m, `--cache=${cache}`]);
      assert.deepEqual(cacheLine(r), { reused: 0, total: 3, computed: 3 });
      assert.match(r.stderr, /^WARNING: The digest cache .* can be written by other users: not used, every file is hashed$/m);
    }
    assert.deepEqual(fs.readdirSync(cache), []);
  });

  it('writes its folder 0700 and files 0600, holding only paths, stamps and digests', async () => {
    const m = model();
    await settled(m);
    const cache = path.join(tempDir(), 'new', 'cache');
    await runCli(['digest', m, `--cache=${cache}`]);
    assert.equal((fs.statSync(cache).mode & 0o777).toString(8), '700');
    const file = new DigestCacheDir(cache).fileFor(m);
    assert.deepEqual(fs.readdirSync(cache), [path.basename(file)]);
    assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
    const { entries } = JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: unknown[][] };
    assert.deepEqual(
      entries.map((e) => e[0]).sort(),
      ['config.json', 'tok/vocab.txt', 'weights.bin'].map((f) => path.join(m, f)),
    );
  });

  it('files changed within the racy window are hashed but not stored', async () => {
    const m = model();
    await settled(m);
    // A change "now" as the file system sees it: mtime put a minute ahead keeps config.json in the window.
    const ahead = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(m, 'config.json'), ahead, ahead);
    const cache = tempDir();
    assert.deepEqual(cacheLine(await runCli(['digest', m, `--cache=${cache}`])), { reused: 0, total: 3, computed: 3 });
    assert.deepEqual(cacheLine(await runCli(['digest', m, `--cache=${cache}`])), { reused: 2, total: 3, computed: 1 }, 'config.json again');
  });

  it('two processes sharing a cache folder at once: both models kept, every file loads', async () => {
    const models = [model(), model(), model()];
    for (const m of models) await settled(m);
    const cache = tempDir();
    // Two models, and one model twice with two hash algorithms (both write its file).
    const runs = await Promise.all([
      runCli(['digest', models[0]!, `--cache=${cache}`], { spawn: true }),
      runCli(['digest', models[1]!, `--cache=${cache}`], { spawn: true }),
      runCli(['digest', models[2]!, `--cache=${cache}`], { spawn: true }),
      runCli(['digest', models[2]!, '--hash-algorithm', 'blake2b', `--cache=${cache}`], { spawn: true }),
    ]);
    for (const r of runs) assert.equal(cacheLine(r).computed, 3);
    const dir = new DigestCacheDir(cache);
    for (const m of models) {
      const loaded = await DigestCache.load(dir.fileFor(m));
      assert.equal(loaded.loadStatus, 'loaded');
      assert.ok(loaded.size >= 3);
    }
    assert.equal(cacheLine(await runCli(['digest', models[0]!, `--cache=${cache}`])).reused, 3);
    assert.equal(cacheLine(await runCli(['digest', models[1]!, `--cache=${cache}`])).reused, 3);
    assert.deepEqual(fs.readdirSync(cache).sort(), models.map((m) => path.basename(dir.fileFor(m))).sort(), 'no temporary file left');
  });

  it('--cache with no value uses $XDG_CACHE_HOME/model-signing/digests, and never takes the model path as its folder', async () => {
    const m = model();
    await settled(m);
    const xdg = tempDir();
    const env = { XDG_CACHE_HOME: xdg };
    assert.equal(cacheLine(await runCli(['digest', '--cache', m], { env })).computed, 3);
    const dir = path.join(xdg, 'model-signing', 'digests');
    assert.deepEqual(fs.readdirSync(dir), [path.basename(new DigestCacheDir(dir).fileFor(m))]);
    assert.equal(cacheLine(await runCli(['digest', m, '--cache'], { env })).reused, 3);

    const usage = async (args: string[], message: RegExp) => {
      const r = await runCli(args, { env });
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
    };
    await usage(['digest', '--cache', xdg, m], /unexpected extra argument .* \(a folder for --cache is given as --cache=DIR\)/);
    await usage(['digest', m, '--cache='], /Option '--cache' needs a value after '=', or none/);
  });
});
