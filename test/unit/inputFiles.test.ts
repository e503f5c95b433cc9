// The one reader of every input file and the one JSON parser of every JSON
// input: special files and oversized files are refused at once, before a byte
// is read, and JSON nested too deep is refused before anything recurses on it.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import {
  FormatError,
  InputFileOptions,
  ModelSigningError,
  jsonDepthExceeds,
  pae,
  parseJson,
  policyFilePath,
  readInputFile,
  readInputFileSync,
  readPolicyFile,
} from '../../src/core';
import { CliResult, makeKeyPair, makeModel, runCli, tempDir } from '../helpers/fixtures';
import { IN_TOTO, ecKeys, sha256, statement, writeProvenance } from '../helpers/provenance';

const OPTS: InputFileOptions = { what: 'test file', maxBytes: 1024, unreadableCode: 'FILE_READ_ERROR', tooLargeCode: 'BUNDLE_INVALID' };

function reason(e: unknown): string {
  assert.ok(e instanceof FormatError, `expected a FormatError, got ${String(e)}`);
  return (e.data as { reason: string }).reason;
}

/** Both readers reject the file with this code and reason. */
async function assertRefused(file: string, code: string, why: string): Promise<void> {
  await assert.rejects(readInputFile(file, OPTS), (e: unknown) => reason(e) === why && (e as FormatError).code === code);
  assert.throws(
    () => readInputFileSync(file, OPTS),
    (e: unknown) => reason(e) === why && (e as FormatError).code === code,
  );
}

describe('readInputFile', () => {
  it('reads a regular file, and one exactly at the cap', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.txt');
    fs.writeFileSync(file, Buffer.alloc(1024, 0x61));
    assert.equal((await readInputFile(file, OPTS)).length, 1024);
    assert.equal(readInputFileSync(file, OPTS).length, 1024);
  });

  it('a named pipe with no writer: refused at once, not read (it would block forever)', { skip: process.platform === 'win32' }, async () => {
    const fifo = path.join(tempDir(), 'sig.fifo');
    execFileSync('mkfifo', [fifo]);
    await assertRefused(fifo, 'FILE_READ_ERROR', 'not-a-file');
  });

  it('a symlink to /dev/zero: refused before any byte is read', { skip: !fs.existsSync('/dev/zero') }, async () => {
    const link = path.join(tempDir(), 'zero.sig');
    fs.symlinkSync('/dev/zero', link);
    await assertRefused(link, 'FILE_READ_ERROR', 'not-a-file');
  });

  it('a folder: refused', async () => {
    await assertRefused(tempDir(), 'FILE_READ_ERROR', 'not-a-file');
  });

  it('one byte over the cap: the too-large code', async () => {
    const file = path.join(tempDir(), 'big');
    fs.writeFileSync(file, Buffer.alloc(1025));
    await assertRefused(file, 'BUNDLE_INVALID', 'too-large');
  });

  it('a missing file: the errno code as the reason', async () => {
    await assertRefused(path.join(tempDir(), 'nope'), 'FILE_READ_ERROR', 'ENOENT');
  });
});

describe('parseJson', () => {
  const fail = (why: string): Error => new Error(why);

  it('parses JSON nested up to the limit, and refuses one level more before parsing', () => {
    const nest = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    assert.deepEqual(parseJson(nest(3), fail, { maxDepth: 3 }), { a: { a: { a: 1 } } });
    assert.throws(() => parseJson(nest(4), fail, { maxDepth: 3 }), /nests deeper than 3 levels/);
  });

  it('100,000 levels (what crashed JSON.stringify) is refused with the default limit', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    assert.throws(() => parseJson(deep, fail), /nests deeper than 100 levels/);
  });

  it('brackets inside strings, escaped quotes included, do not count', () => {
    const text = JSON.stringify({ s: '[[[[{{{{"\\"[[[[' });
    assert.equal(jsonDepthExceeds(text, 1), false);
    assert.deepEqual(parseJson(text, fail, { maxDepth: 1 }), { s: '[[[[{{{{"\\"[[[[' });
  });

  it('text that is not JSON: the caller’s error, without quoting the text', () => {
    assert.throws(
      () => parseJson('{secret', fail),
      (e: unknown) => (e as Error).message === 'is not JSON',
    );
  });

  it('a length limit', () => {
    assert.throws(() => parseJson('[1,2,3]', fail, { maxLength: 3 }), /is too large/);
  });
});

describe('through the CLI: every input file and every JSON input', () => {
  let model: string;
  let keys: ReturnType<typeof makeKeyPair>;
  let sig: string;

  before(async () => {
    model = makeModel({ 'w.bin': 'weights' });
    keys = makeKeyPair();
    sig = path.join(tempDir(), 'model.sig');
    const s = await runCli(['sign', 'key', model, '--signature', sig, '--private-key', keys.privateKey]);
    assert.equal(s.code, 0, s.stderr);
  });

  /** Exit 1 and one line on stderr: no stack, no internal error. */
  function assertOneLine(r: CliResult, line: RegExp): void {
    const where = `\nexit ${r.code}\nstderr: ${r.stderr}`;
    assert.equal(r.code, 1, where);
    assert.equal(r.stderr.split('\n').length, 2, `one line expected${where}`);
    assert.ok(!/internal error| {4}at /.test(r.stderr), where);
    assert.match(r.stderr, line, where);
  }

  function fifo(): string {
    const p = path.join(tempDir(), 'pipe');
    execFileSync('mkfifo', [p]);
    return p;
  }

  // Without the check each of these blocked forever in open() (no writer ever comes).
  const posix = { skip: process.platform === 'win32', timeout: 60_000 };

  it('a named pipe as --signature: one line at once', posix, async () => {
    assertOneLine(await runCli(['verify', 'key', model, '--signature', fifo(), '--public-key', keys.publicKey]), /named pipe, not a regular file/);
  });

  it('a link to /dev/zero as --signature: refused before reading (it used to read 64 MB first)', posix, async () => {
    const link = path.join(tempDir(), 'zero.sig');
    fs.symlinkSync('/dev/zero', link);
    assertOneLine(await runCli(['verify', 'key', model, '--signature', link, '--public-key', keys.publicKey]), /device or special file/);
  });

  it('a named pipe as --public-key, --private-key, --certificate-chain, --trust-config, --provenance', posix, async () => {
    assertOneLine(await runCli(['verify', 'key', model, '--signature', sig, '--public-key', fifo()]), /public key .*named pipe/);
    assertOneLine(await runCli(['sign', 'key', model, '--signature', path.join(tempDir(), 's.sig'), '--private-key', fifo()]), /private key .*named pipe/);
    assertOneLine(await runCli(['verify', 'certificate', model, '--signature', sig, '--certificate-chain', fifo()]), /certificate chain .*named pipe/);
    assertOneLine(
      await runCli(['verify', 'sigstore', model, '--signature', sig, '--identity', 'a@b.c', '--identity-provider', 'https://x', '--trust-config', fifo()]),
      /trust config .*named pipe/,
    );
    assertOneLine(await runCli(['provenance', 'show', fifo()]), /provenance file .*named pipe/);
  });

  it('a signature with a field nested 100,000 deep: one line (it verified, carrying the bomb along)', async () => {
    const text = fs.readFileSync(sig, 'utf8');
    const bomb = path.join(tempDir(), 'bomb.sig');
    fs.writeFileSync(bomb, text.slice(0, -1) + `,"extra":${deepArray(100_000)}}`);
    for (const json of [[], ['--json']]) {
      assertOneLine(await runCli(['verify', 'key', model, '--signature', bomb, '--public-key', keys.publicKey, ...json]), /nests deeper than 100 levels/);
    }
  });

  it('a validly signed provenance with parameters nested 100,000 deep: one line from show and verify, --json or not', async () => {
    const { privateKey, publicKeyPath } = ecKeys();
    const st = statement('https://slsa.dev/provenance/v1', [{ name: 'w.bin', digest: { sha256: sha256('weights') } }], {
      buildDefinition: { buildType: 'https://example.com/build', externalParameters: { deep: 'DEEP' } },
      runDetails: { builder: { id: 'https://example.com/builder' } },
    });
    // JSON.stringify itself overflows on such a value: the text is spliced.
    const payload = Buffer.from(JSON.stringify(st).replace('"DEEP"', deepArray(100_000)));
    const sigBytes = crypto.sign('sha256', pae(IN_TOTO, payload), { key: privateKey, dsaEncoding: 'der' });
    const file = writeProvenance('deep.intoto.jsonl', {
      payloadType: IN_TOTO,
      payload: payload.toString('base64'),
      signatures: [{ keyid: '', sig: sigBytes.toString('base64') }],
    });
    for (const json of [[], ['--json']]) {
      assertOneLine(await runCli(['provenance', 'show', file, ...json]), /nests deeper than 100 levels/);
      assertOneLine(
        await runCli(['provenance', 'verify', '--provenance', file, '--public-key', publicKeyPath, '--model-path', model, ...json]),
        /nests deeper than 100 levels/,
      );
    }
  });
});

describe('the workspace policy file (read by the extension)', () => {
  const policyIn = (write: (file: string) => void): string => {
    const file = policyFilePath(tempDir());
    fs.mkdirSync(path.dirname(file), { recursive: true });
    write(file);
    return file;
  };
  const rejectsWith = (file: string, code: string) => assert.rejects(readPolicyFile(file), (e: unknown) => e instanceof ModelSigningError && e.code === code);

  it('a named pipe: POLICY_UNREADABLE at once (it used to block the extension host)', { skip: process.platform === 'win32', timeout: 60_000 }, async () => {
    await rejectsWith(
      policyIn((f) => execFileSync('mkfifo', [f])),
      'POLICY_UNREADABLE',
    );
  });

  it('nested 100,000 deep: POLICY_INVALID before anything recurses into it', async () => {
    await rejectsWith(
      policyIn((f) => fs.writeFileSync(f, `{"models":[],"$comment":${deepArray(100_000)}}`)),
      'POLICY_INVALID',
    );
  });

  it('a missing file is still no policy', async () => {
    assert.equal(await readPolicyFile(policyFilePath(tempDir())), undefined);
  });
});

function deepArray(n: number): string {
  return '['.repeat(n) + ']'.repeat(n);
}
