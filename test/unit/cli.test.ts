import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ProgressLine } from '../../src/cli/terminal';
import { makeKeyPair, makeModel, readStatement, runCli, sampleModel, tempDir } from '../helpers/fixtures';
import { verifyJson } from '../helpers/cliJson';

describe('model-signing CLI', () => {
  // Most runs are in process; these spawn dist/cli.js, for the exit codes a shell sees.
  it('--help, --version and usage errors (exit 2)', async () => {
    const help = await runCli(['--help'], { spawn: true });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Commands:\n\s+digest/);
    assert.match((await runCli(['--version'], { spawn: true })).stdout, /^model-signing, version \d+\.\d+\.\d+/);
    assert.match((await runCli(['sign', 'key', '--help'])).stdout, /--private-key PATH/);
    for (const args of [
      ['frobnicate'],
      ['verify', 'key', 'm', '--public-key', 'k'],
      ['sign', 'key', 'm'],
      ['digest'],
      ['digest', 'a', 'b'],
      ['digest', 'm', '--no-such-flag'],
      ['digest', 'm', '--hash-algorithm', 'md5'],
      ['digest', 'm', '--serialization', 'shards', '--shard-size', '0'],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^Usage: [\s\S]*\nError: .+\n$/);
    }
    assert.equal((await runCli(['frobnicate'], { spawn: true })).code, 2);
    assert.equal((await runCli(['--log-level', 'DEBUG', 'digest', sampleModel()], { spawn: true })).code, 0);
  });

  it('digest prints sha256:<root>, the same for every way of writing the flags', async () => {
    const model = makeModel({ 'a.bin': 'a', '.gitignore': 'x', 'sub/b.bin': 'b' });
    const base = await runCli(['digest', model]);
    assert.equal(base.code, 0);
    assert.match(base.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal((await runCli(['digest', '--ignore-git-paths', model])).stdout, base.stdout);
    const noGit = await runCli(['digest', model, '--no-ignore-git-paths']);
    assert.notEqual(noGit.stdout, base.stdout);
    assert.equal((await runCli(['digest', model, '--no_ignore_git_paths'])).stdout, noGit.stdout);
    const ignored = await runCli(['digest', model, `--ignore-paths=${path.join(model, 'sub')}`]);
    assert.equal((await runCli(['digest', model, '--ignore_paths', path.join(model, 'sub')])).stdout, ignored.stdout);
    assert.notEqual(ignored.stdout, base.stdout);
    // The root digest is SHA-256 whatever the file hash; blake2b gives another root.
    const b2 = await runCli(['digest', model, '--hash-algorithm', 'blake2b']);
    assert.match(b2.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.notEqual(b2.stdout, base.stdout);
  });

  it('verify detects the serialization and hash from the bundle', async () => {
    const model = sampleModel();
    const keys = makeKeyPair();
    const sig = path.join(tempDir(), 'model.sig');
    assert.equal(
      (
        await runCli([
          'sign',
          'key',
          model,
          '--signature',
          sig,
          '--private-key',
          keys.privateKey,
          '--serialization',
          'shards',
          '--shard-size',
          '7',
          '--hash-algorithm',
          'blake3',
        ])
      ).code,
      0,
    );
    const st = readStatement(sig);
    assert.equal(st.predicate.resources[0]!.algorithm, 'blake3-sharded-7');
    const v = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', keys.publicKey, '--json']);
    assert.equal(v.code, 0, v.stderr);
    const out = verifyJson(v.stdout);
    assert.equal(out.verified, true);
    assert.deepEqual(out.serialization, {
      method: 'shards',
      hashType: 'blake3',
      allowSymlinks: false,
      shardSize: 7,
      ignorePaths: ['.git', '.gitattributes', '.github', '.gitignore'],
    });
    assert.equal(out.signer.method, 'key');
    assert.equal(out.model.name, 'sample_model');
    assert.equal(out.model.rootDigest, `sha256:${st.subject[0]!.digest.sha256}`);
    assert.equal(out.resources.length, st.predicate.resources.length);
    assert.deepEqual(out.diff, { extra: [], missing: [], changed: [] });
  });

  it('a failed verify lists every extra, missing and changed file, one per line; --json says the same', async () => {
    const model = sampleModel();
    const keys = makeKeyPair();
    const sig = path.join(tempDir(), 'model.sig');
    assert.equal((await runCli(['sign', 'key', model, '--signature', sig, '--private-key', keys.privateKey])).code, 0);
    fs.writeFileSync(path.join(model, 'f0'), 'changed');
    fs.writeFileSync(path.join(model, 'd0/f01'), 'changed too');
    fs.rmSync(path.join(model, 'd1/f12'));
    fs.writeFileSync(path.join(model, 'new file.txt'), 'extra');
    const v = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', keys.publicKey]);
    assert.equal(v.code, 1);
    assert.equal(v.stdout, '');
    const lines = v.stderr.trimEnd().split('\n');
    assert.equal(lines[0], 'Verification failed with error: the model does not match its signature (2 changed, 1 missing, 1 extra)');
    assert.match(lines[1]!, /^changed: d0\/f01 \(expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}\)$/);
    assert.match(lines[2]!, /^changed: f0 /);
    assert.equal(lines[3], 'missing: d1/f12');
    assert.equal(lines[4], 'extra:   new file.txt');
    assert.equal(lines.length, 5);
    const j = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', keys.publicKey, '--json']);
    assert.equal(j.code, 1);
    const out = verifyJson(j.stdout);
    assert.equal(out.verified, false);
    assert.deepEqual(out.diff.missing, ['d1/f12']);
    assert.deepEqual(out.diff.extra, ['new file.txt']);
    assert.deepEqual(
      out.diff.changed.map((c: { name: string }) => c.name),
      ['d0/f01', 'f0'],
    );
    // Unsigned extras can be waved through; changes cannot.
    fs.writeFileSync(path.join(model, 'f0'), 'This is file f0 in root.');
    fs.writeFileSync(path.join(model, 'd0/f01'), 'This is file f01 in d0.');
    fs.writeFileSync(path.join(model, 'd1/f12'), 'This is file f12 in d1.');
    assert.equal((await runCli(['verify', 'key', model, '--signature', sig, '--public-key', keys.publicKey], { spawn: true })).code, 1);
    assert.equal((await runCli(['verify', 'key', model, '--signature', sig, '--public-key', keys.publicKey, '--ignore-unsigned-files'])).code, 0);
  });

  it('shows a progress line only on a terminal, and clears it', () => {
    const writes: string[] = [];
    const tty = { isTTY: true, columns: 80, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream;
    const line = new ProgressLine(tty);
    (line as unknown as { started: number }).started = Date.now() - 5000;
    line.update({ bytesDone: 500_000_000, bytesTotal: 2_000_000_000, filesTotal: 2, currentFile: 'weights-1.bin' });
    line.done();
    assert.equal(writes.length, 2);
    assert.match(writes[0]!, /Hashing 25% · 500\.0 MB of 2\.0 GB · \d+\.\d MB\/s · \d+s left · weights-1\.bin/);
    assert.equal(writes[1], '\r\x1b[K');
    const pipe = { isTTY: false, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream;
    const quiet = new ProgressLine(pipe);
    quiet.update({ bytesDone: 1, bytesTotal: 2, filesTotal: 1 });
    quiet.done();
    assert.equal(writes.length, 2);
  });
});
