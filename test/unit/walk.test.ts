import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { HashingError, InlineHashPool, Serialization, hashListing, listModelFiles, resolveIgnorePaths } from '../../src/core';
import { makeKeyPair, makeModel, pool, readStatement, runCli, tempDir } from '../helpers/fixtures';

const hashPool = pool(2);

async function names(model: string, options: Parameters<typeof listModelFiles>[1] = {}) {
  return (await listModelFiles(model, options)).files.map((f) => f.name);
}

async function rejectsWithCode(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof HashingError, `expected a HashingError, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  });
}

describe('listing a model', () => {
  it('keeps dotfiles and hidden folders, drops git paths only at the root', async () => {
    const model = makeModel({
      '.hidden': 'h',
      '.cache/x': 'x',
      'a/.gitignore': 'nested',
      '.git/HEAD': 'ref',
      '.github/workflows/w.yml': 'w',
      '.gitignore': 'g',
      '.gitattributes': 'ga',
      '.github2': 'not git',
      'w.bin': 'w',
    });
    assert.deepEqual(await names(model), ['.cache/x', '.github2', '.hidden', 'a/.gitignore', 'w.bin']);
    assert.deepEqual(await names(model, { ignoreGitPaths: false }), [
      '.cache/x',
      '.git/HEAD',
      '.gitattributes',
      '.github/workflows/w.yml',
      '.github2',
      '.gitignore',
      '.hidden',
      'a/.gitignore',
      'w.bin',
    ]);
  });

  it('names files as POSIX paths in canonical order, unicode and spaces included', async () => {
    const model = makeModel({ 'a/b': '1', 'a/c': '2', 'a b': '3', 'a-b/c': '4', 'a.b': '5', 'ü/ß file': '6', '日本/模型 .bin': '7', z: '8' });
    assert.deepEqual(await names(model), ['a/b', 'a/c', 'a b', 'a-b/c', 'a.b', 'z', 'ü/ß file', '日本/模型 .bin']);
  });

  it('ignores paths given relative to the model or absolute, as whole components', async () => {
    const model = makeModel({ 'keep/a': 'a', 'skip/a': 'a', skipped: 's', 'x/y/z': 'z', 'x/y2': 'y' });
    assert.deepEqual(await names(model, { ignorePaths: ['skip', path.join(model, 'x/y')] }), ['keep/a', 'skipped', 'x/y2']);
    // Paths outside the model are dropped, as the reference drops them.
    assert.deepEqual(resolveIgnorePaths(model, ['../elsewhere', '/etc/passwd', 'skip/'], false), ['skip']);
  });

  it('a single file is one resource named "."', async () => {
    const model = makeModel({ 'weights.safetensors': 'w' });
    const listing = await listModelFiles(path.join(model, 'weights.safetensors'));
    assert.equal(listing.isFile, true);
    assert.deepEqual(
      listing.files.map((f) => f.name),
      ['.'],
    );
  });

  it('a missing model is MODEL_NOT_FOUND; a fifo is SPECIAL_FILE', async () => {
    await rejectsWithCode(listModelFiles(path.join(tempDir(), 'nope')), 'MODEL_NOT_FOUND');
    const model = makeModel({ a: 'a' });
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [path.join(model, 'pipe')]);
    await rejectsWithCode(listModelFiles(model), 'SPECIAL_FILE');
  });
});

describe('symbolic links', () => {
  it('are refused by default, even a link to a file inside the model', async () => {
    const model = makeModel({ 'real.bin': 'r' });
    fs.symlinkSync('real.bin', path.join(model, 'link.bin'));
    await rejectsWithCode(listModelFiles(model), 'SYMLINK_NOT_ALLOWED');
  });

  it('an ignored link is no error', async () => {
    const model = makeModel({ 'real.bin': 'r' });
    fs.symlinkSync('real.bin', path.join(model, 'link.bin'));
    assert.deepEqual(await names(model, { ignorePaths: ['link.bin'] }), ['real.bin']);
  });

  it('when allowed, a link to a file is hashed under the link name, and linked folders are followed', async () => {
    const model = makeModel({ 'real.bin': 'r', 'sub/w': 'w' });
    fs.symlinkSync('real.bin', path.join(model, 'link.bin'));
    fs.symlinkSync('sub', path.join(model, 'sublink'));
    const listing = await listModelFiles(model, { allowSymlinks: true });
    assert.deepEqual(
      listing.files.map((f) => f.name),
      ['link.bin', 'real.bin', 'sub/w', 'sublink/w'],
    );
  });

  it('a link out of the model root is an error, also when allowed', async () => {
    const outside = makeModel({ secret: 's' }, 'outside');
    const model = makeModel({ a: 'a' });
    fs.symlinkSync(path.join(outside, 'secret'), path.join(model, 'stolen'));
    await rejectsWithCode(listModelFiles(model, { allowSymlinks: true }), 'SYMLINK_OUTSIDE_MODEL');
    fs.unlinkSync(path.join(model, 'stolen'));
    fs.symlinkSync('..', path.join(model, 'up'));
    await rejectsWithCode(listModelFiles(model, { allowSymlinks: true }), 'SYMLINK_OUTSIDE_MODEL');
  });

  it('a cycle is an error: a folder link back to an ancestor, and a link to itself', async () => {
    const model = makeModel({ 'd/e/f': 'f' });
    fs.symlinkSync('..', path.join(model, 'd/e/back'));
    await assert.rejects(listModelFiles(model, { allowSymlinks: true }), {
      code: 'SYMLINK_CYCLE',
      data: { path: 'd/e/back', target: fs.realpathSync(path.join(model, 'd')) },
    });
    const model2 = makeModel({ a: 'a' });
    fs.symlinkSync('self', path.join(model2, 'self'));
    await rejectsWithCode(listModelFiles(model2, { allowSymlinks: true }), 'SYMLINK_CYCLE');
  });

  it('a model given as a link: refused by default; when allowed, listed as the folder or file it leads to', async () => {
    const model = makeModel({ 'w.bin': 'w', 'sub/x': 'x' });
    const link = path.join(tempDir(), 'model-link');
    fs.symlinkSync(model, link);
    await rejectsWithCode(listModelFiles(link), 'SYMLINK_NOT_ALLOWED');
    assert.deepEqual(await names(link, { allowSymlinks: true }), ['sub/x', 'w.bin']);
    const fileLink = path.join(tempDir(), 'w-link.bin');
    fs.symlinkSync(path.join(model, 'w.bin'), fileLink);
    const single = await listModelFiles(fileLink, { allowSymlinks: true });
    assert.deepEqual([single.isFile, single.files.map((f) => f.name)], [true, ['.']]);
  });

  it('an allowed link to a named pipe in the model is SPECIAL_FILE', { skip: process.platform === 'win32' }, async () => {
    const model = makeModel({ a: 'a' });
    execFileSync('mkfifo', [path.join(model, 'pipe')]);
    fs.symlinkSync('pipe', path.join(model, 'pipe-link'));
    await assert.rejects(listModelFiles(model, { allowSymlinks: true, ignorePaths: ['pipe'] }), { code: 'SPECIAL_FILE', data: { path: 'pipe-link' } });
  });

  it('a broken link is an error', async () => {
    const model = makeModel({ a: 'a' });
    fs.symlinkSync('nothing-here', path.join(model, 'broken'));
    await rejectsWithCode(listModelFiles(model, { allowSymlinks: true }), 'SPECIAL_FILE');
  });
});

describe('the signature file and the CLI walk', () => {
  it('a signature inside the model is left out of it and recorded in ignore_paths', async () => {
    const model = makeModel({ 'w.bin': 'w', 'sub/x': 'x' });
    const keys = makeKeyPair();
    const sig = path.join(model, 'sub', 'model.sig');
    const s = await runCli(['sign', 'key', model, '--signature', sig, '--private-key', keys.privateKey]);
    assert.equal(s.code, 0, s.stderr);
    const st = readStatement(sig);
    assert.deepEqual(
      st.predicate.resources.map((r: { name: string }) => r.name),
      ['sub/x', 'w.bin'],
    );
    assert.ok(st.predicate.serialization.ignore_paths!.includes('sub/model.sig'));
    // Re-signing over the old signature gives the same manifest: the signature never signs itself.
    assert.equal((await runCli(['sign', 'key', model, '--signature', sig, '--private-key', keys.privateKey])).code, 0);
    const v = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', keys.publicKey]);
    assert.equal(v.code, 0, v.stderr);
  });

  it('the default model.sig is relative to the working directory', async () => {
    const model = makeModel({ 'w.bin': 'w' });
    const keys = makeKeyPair();
    const s = await runCli(['sign', 'key', '.', '--private-key', keys.privateKey], { cwd: model });
    assert.equal(s.code, 0, s.stderr);
    assert.ok(fs.existsSync(path.join(model, 'model.sig')));
    const st = readStatement(path.join(model, 'model.sig'));
    assert.deepEqual(
      st.predicate.resources.map((r: { name: string }) => r.name),
      ['w.bin'],
    );
    assert.equal(st.subject[0]!.name, 'model');
    const v = await runCli(['verify', 'key', '.', '--signature', 'model.sig', '--public-key', keys.publicKey], { cwd: model });
    assert.equal(v.code, 0, v.stderr);
  });

  it('--ignore-paths are relative to the working directory; recorded paths apply on verify', async () => {
    const model = makeModel({ 'w.bin': 'w', 'logs/run.txt': 'log' });
    const keys = makeKeyPair();
    const sig = path.join(tempDir(), 'model.sig');
    const s = await runCli(['sign', 'key', 'model', '--signature', sig, '--private-key', keys.privateKey, '--ignore-paths', 'model/logs'], {
      cwd: path.dirname(model),
    });
    assert.equal(s.code, 0, s.stderr);
    assert.ok(readStatement(sig).predicate.serialization.ignore_paths!.includes('logs'));
    fs.writeFileSync(path.join(model, 'logs/new.txt'), 'more logs');
    const v = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', keys.publicKey]);
    assert.equal(v.code, 0, v.stderr);
  });

  it("a model signed with --allow-symlinks verifies without the flag (the signer's setting applies)", async () => {
    const model = makeModel({ 'real.bin': 'r' });
    fs.symlinkSync('real.bin', path.join(model, 'link.bin'));
    const keys = makeKeyPair();
    const sig = path.join(tempDir(), 'model.sig');
    assert.equal((await runCli(['sign', 'key', model, '--signature', sig, '--private-key', keys.privateKey])).code, 1);
    assert.ok(!fs.existsSync(sig));
    const s = await runCli(['sign', 'key', model, '--signature', sig, '--private-key', keys.privateKey, '--allow_symlinks']);
    assert.equal(s.code, 0, s.stderr);
    const v = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', keys.publicKey]);
    assert.equal(v.code, 0, v.stderr);
  });
});

describe('file names that are not UTF-8', () => {
  /** `x\xff.txt`, a name no UTF-8 string can spell, written through a Buffer path. */
  function addLatin1Name(model: string, content: string): void {
    fs.writeFileSync(Buffer.concat([Buffer.from(path.join(model, 'x')), Buffer.from([0xff]), Buffer.from('.txt')]), content);
  }

  it('are refused, the bad byte shown escaped (not listed as their U+FFFD twin)', async () => {
    const model = makeModel({ 'x\uFFFD.txt': 'twin', 'w.bin': 'w' });
    addLatin1Name(model, 'unsigned');
    await rejectsWithCode(listModelFiles(model), 'FILE_NAME_NOT_UTF8');
    await assert.rejects(listModelFiles(model), (e: Error) => e.message.includes(String.raw`'x\xff.txt'`));
  });

  it('added beside a signed U+FFFD twin, it fails verification (it used to be never hashed)', async () => {
    const model = makeModel({ 'x\uFFFD.txt': 'twin', 'w.bin': 'w' });
    const keys = makeKeyPair();
    const sig = path.join(tempDir(), 'model.sig');
    const s = await runCli(['sign', 'key', model, '--signature', sig, '--private-key', keys.privateKey]);
    assert.equal(s.code, 0, s.stderr);
    addLatin1Name(model, 'unsigned');
    for (const extra of [[], ['--ignore-unsigned-files']]) {
      const v = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', keys.publicKey, ...extra]);
      assert.equal(v.code, 1, v.stderr);
      assert.match(v.stderr, /^Verification failed with error: .*'x\\xff\.txt'.*UTF-8.*\n$/);
    }
  });

  it('refused on sign and digest too, nothing written', async () => {
    const model = makeModel({ 'sub/a.bin': 'a' });
    addLatin1Name(path.join(model, 'sub'), 'x');
    const sig = path.join(tempDir(), 'model.sig');
    const s = await runCli(['sign', 'key', model, '--signature', sig, '--private-key', makeKeyPair().privateKey]);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /'sub\/x\\xff\.txt'/);
    assert.ok(!fs.existsSync(sig));
    const d = await runCli(['digest', model]);
    assert.equal(d.code, 1);
    assert.match(d.stderr, /'sub\/x\\xff\.txt'/);
  });
});

// Worker threads in the CLI and the extension; the calling thread where no worker script is bundled.
for (const [where, swapPool] of [
  ['worker threads', hashPool],
  ['the calling thread', new InlineHashPool()],
] as const) {
  describe(`a file swapped between listing and hashing (${where})`, () => {
    const FILES: Serialization = { method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: [] };

    /** Lists the model, lets `swap` replace w.bin, then hashes what was listed. */
    async function hashAfterSwap(swap: (file: string) => void): Promise<unknown> {
      const model = makeModel({ 'w.bin': 'signed bytes', 'other.bin': 'o' });
      const listing = await listModelFiles(model);
      swap(path.join(model, 'w.bin'));
      return hashListing(listing, FILES, { pool: swapPool });
    }

    /** Another file of the same size and mtime: size and mtime checks alone cannot tell. */
    function sameStampReplacement(file: string, dir: string): string {
      const st = fs.statSync(file);
      const other = path.join(dir, 'evil.bin');
      fs.writeFileSync(other, 'EVIL bytes!!');
      assert.equal(fs.statSync(other).size, st.size);
      fs.utimesSync(other, st.atime, st.mtime);
      return other;
    }

    it('another file renamed over it (same size and mtime): FILE_REPLACED, not hashed', async () => {
      await rejectsWithCode(
        hashAfterSwap((file) => fs.renameSync(sameStampReplacement(file, path.dirname(file)), file)),
        'FILE_REPLACED',
      );
    });

    it('a link to a file outside the model put in its place: FILE_REPLACED', async () => {
      const outside = tempDir();
      await rejectsWithCode(
        hashAfterSwap((file) => {
          const target = sameStampReplacement(file, outside);
          fs.rmSync(file);
          fs.symlinkSync(target, file);
        }),
        'FILE_REPLACED',
      );
    });

    it(
      'a named pipe put in its place: FILE_REPLACED at once (opening it used to block the worker)',
      { skip: process.platform === 'win32', timeout: 60_000 },
      async () => {
        await rejectsWithCode(
          hashAfterSwap((file) => {
            fs.rmSync(file);
            execFileSync('mkfifo', [file]);
          }),
          'FILE_REPLACED',
        );
      },
    );

    it('deleted: FILE_READ_ERROR naming it', async () => {
      await assert.rejects(
        hashAfterSwap((file) => fs.rmSync(file)),
        { code: 'FILE_READ_ERROR', data: { path: 'w.bin' } },
      );
    });

    it('cut shorter, its mtime put back: FILE_CHANGED_WHILE_HASHING naming it', async () => {
      await assert.rejects(
        hashAfterSwap((file) => {
          const st = fs.statSync(file);
          fs.truncateSync(file, 3);
          fs.utimesSync(file, st.atime, st.mtime);
        }),
        { code: 'FILE_CHANGED_WHILE_HASHING', data: { files: ['w.bin'] } },
      );
    });

    it('the same file, untouched, hashes as before', async () => {
      const results = (await hashAfterSwap(() => undefined)) as Array<{ name: string }>;
      assert.deepEqual(results.map((r) => r.name).sort(), ['other.bin', 'w.bin']);
    });
  });
}

describe('verification follows the ignore list the signature records', () => {
  /** A .git/config whose fsmonitor runs a command as soon as git (or an editor) looks at the folder. */
  function addGitConfig(model: string): void {
    fs.mkdirSync(path.join(model, '.git'), { recursive: true });
    fs.writeFileSync(path.join(model, '.git', 'config'), '[core]\n\tfsmonitor = touch /tmp/pwned\n');
  }

  it('signed with --no-ignore-git-paths: a .git/config added later is an extra file (it verified before)', async () => {
    const keys = makeKeyPair();
    for (const inside of [false, true]) {
      const model = makeModel({ 'w.bin': 'w' });
      const sig = inside ? path.join(model, 'model.sig') : path.join(tempDir(), 'model.sig');
      const s = await runCli(['sign', 'key', model, '--signature', sig, '--private-key', keys.privateKey, '--no-ignore-git-paths']);
      assert.equal(s.code, 0, s.stderr);
      assert.deepEqual(readStatement(sig).predicate.serialization.ignore_paths, inside ? ['model.sig'] : []);
      const verify = ['verify', 'key', model, '--signature', sig, '--public-key', keys.publicKey];
      assert.equal((await runCli(verify)).code, 0);
      addGitConfig(model);
      const v = await runCli(verify);
      assert.equal(v.code, 1, v.stderr);
      assert.match(v.stderr, /^extra:\s+\.git\/config$/m);
      // The verifier's own --ignore-paths still apply (as in the reference): a choice made at verify time.
      const chosen = await runCli([...verify, '--ignore-paths', path.join(model, '.git')]);
      assert.equal(chosen.code, 0, chosen.stderr);
    }
  });

  it('signed with the default git paths: they are recorded, and a .git folder added later is left out', async () => {
    const model = makeModel({ 'w.bin': 'w' });
    const keys = makeKeyPair();
    const sig = path.join(tempDir(), 'model.sig');
    assert.equal((await runCli(['sign', 'key', model, '--signature', sig, '--private-key', keys.privateKey])).code, 0);
    addGitConfig(model);
    const v = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', keys.publicKey, '--no-ignore-git-paths']);
    assert.equal(v.code, 0, v.stderr);
  });
});
