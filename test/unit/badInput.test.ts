// Bad input through the CLI and the API: broken signature files, payloads that
// are signed correctly but describe something invalid, bad keys and options.
// Every failure is exit code 1 (2 for command-line mistakes) with one clear line
// on stderr, never a stack trace, and never a partial or overwritten file.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import {
  Bundle,
  ErrorCode,
  FormatError,
  HashingError,
  KeySigner,
  KeyVerifier,
  ModelSigningError,
  VerificationError,
  MAX_BUNDLE_BYTES,
  loadPrivateKey,
  loadPublicKey,
  readBundle,
  rootDigestOf,
  serializeBundle,
  signModel,
  verifyModel,
} from '../../src/core';
import {
  CliResult,
  SignedStatement,
  dropField,
  makeKeyPair,
  makeModel,
  pool,
  readJson,
  readStatement,
  runCli,
  sampleModel,
  setField,
  tempDir,
} from '../helpers/fixtures';

/** An error class the checks expect, e.g. FormatError. */
type ErrorClass = new (...args: never[]) => ModelSigningError;

const VERIFY_PREFIX = 'Verification failed with error: ';
const SIGN_PREFIX = 'Signing failed with error: ';

/** Exit 1, nothing on stdout, exactly one line on stderr with the given prefix, no stack frames. */
function assertOneLineFailure(r: CliResult, prefix: string): string {
  const where = `\nexit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  assert.equal(r.code, 1, `expected exit 1${where}`);
  assert.ok(!r.stderr.includes('    at ') && !r.stdout.includes('    at '), `stack trace printed${where}`);
  assert.ok(!/internal error/i.test(r.stderr), `internal error${where}`);
  assert.equal(r.stdout, '', `nothing expected on stdout${where}`);
  assert.ok(r.stderr.endsWith('\n'), `stderr should end with a newline${where}`);
  const lines = r.stderr.slice(0, -1).split('\n');
  assert.equal(lines.length, 1, `expected exactly one line on stderr${where}`);
  const line = lines[0]!;
  assert.ok(line.startsWith(prefix), `expected prefix '${prefix}'${where}`);
  assert.ok(line.length > prefix.length + 5, `the message should say what is wrong${where}`);
  return line;
}

/** A click-style usage error: exit 2, an `Error:` line naming the problem, no stack frames. */
function assertUsageError(r: CliResult, mention: RegExp): void {
  const where = `\nexit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  assert.equal(r.code, 2, `expected exit 2${where}`);
  assert.ok(!r.stderr.includes('    at '), `stack trace printed${where}`);
  assert.match(r.stderr, /^Error: .+$/m, where);
  assert.match(r.stderr, mention, where);
}

/** A rejection of the given class with the given code; never a message check. */
async function assertRejectsWith(p: Promise<unknown>, cls: ErrorClass, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${(e as Error).message}`);
    return true;
  });
}

/** Every file under a folder with its bytes, to prove nothing was written, replaced or left behind. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const p = path.join(entry.parentPath, entry.name);
    out.set(path.relative(dir, p), entry.isFile() ? crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex') : 'dir');
  }
  return out;
}

const hashPool = pool(2);

// One model signed once with a fresh key; every case below breaks a copy of its signature.
let model: string;
let keys: ReturnType<typeof makeKeyPair>;
let validSig: string;
let validText: string;
let work: string;

before(async () => {
  model = sampleModel();
  keys = makeKeyPair('P-256');
  work = tempDir();
  validSig = path.join(work, 'model.sig');
  const r = await runCli(['sign', 'key', model, '--signature', validSig, '--private-key', keys.privateKey]);
  assert.equal(r.code, 0, r.stderr);
  validText = fs.readFileSync(validSig, 'utf8');
});

let counter = 0;
function writeSig(content: string | Buffer): string {
  const file = path.join(work, `broken-${++counter}.sig`);
  fs.writeFileSync(file, content);
  return file;
}

function verifyCli(sig: string, modelPath = model): Promise<CliResult> {
  return runCli(['verify', 'key', modelPath, '--signature', sig, '--public-key', keys.publicKey]);
}

function verifyApi(sig: string, modelPath = model) {
  return verifyModel(modelPath, { verifier: new KeyVerifier(loadPublicKey(fs.readFileSync(keys.publicKey))), pool: hashPool, signaturePath: sig });
}

/** Runs a broken signature through the CLI (exit 1, one line) and the API (class and code). */
async function expectBroken(content: string | Buffer, cls: ErrorClass, codes: ErrorCode | ErrorCode[]): Promise<void> {
  const sig = writeSig(content);
  const before = fs.readFileSync(sig);
  assertOneLineFailure(await verifyCli(sig), VERIFY_PREFIX);
  const allowed = Array.isArray(codes) ? codes : [codes];
  await assert.rejects(verifyApi(sig), (e: unknown) => {
    assert.ok(
      e instanceof cls,
      `expected ${cls.name}, got ${e instanceof Error ? `${e.constructor.name} ${(e as ModelSigningError).code}: ${e.message}` : String(e)}`,
    );
    assert.ok(allowed.includes(e.code), `expected ${allowed.join('|')}, got ${e.code}: ${(e as Error).message}`);
    return true;
  });
  // Verifying never touches the signature file.
  assert.deepEqual(fs.readFileSync(sig), before);
}

function bundle(): Bundle {
  return JSON.parse(validText) as Bundle;
}

describe('a valid signature verifies (the baseline every case below breaks)', () => {
  it('exit 0 through the CLI, ok through the API', async () => {
    const r = await verifyCli(validSig);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Verification succeeded\n');
    const result = await verifyApi(validSig);
    assert.equal(result.ok, true);
  });
});

describe('broken signature files: exit 1, one line, BUNDLE_INVALID', () => {
  const cases: Array<[string, () => string | Buffer]> = [
    ['empty file', () => ''],
    ['only whitespace', () => '  \n\t\n'],
    ['truncated JSON (first half of the file)', () => validText.slice(0, Math.floor(validText.length / 2))],
    ['not JSON', () => 'this is not a signature'],
    ['binary garbage', () => crypto.randomBytes(512)],
    ['a JSON array', () => JSON.stringify([bundle()])],
    ['a JSON string', () => JSON.stringify('model.sig')],
    ['JSON null', () => 'null'],
    ['wrong mediaType', () => JSON.stringify({ ...bundle(), mediaType: 'application/json' })],
    [
      'mediaType missing',
      () => {
        const b = bundle();
        dropField(b, 'mediaType');
        return JSON.stringify(b);
      },
    ],
    [
      'an older Sigstore mediaType (key bundles need v0.3)',
      () => JSON.stringify({ ...bundle(), mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1' }),
    ],
    [
      'missing dsseEnvelope',
      () => {
        const b = bundle();
        dropField(b, 'dsseEnvelope');
        return JSON.stringify(b);
      },
    ],
    ['dsseEnvelope is a string', () => JSON.stringify({ ...bundle(), dsseEnvelope: 'x' })],
    [
      'missing verificationMaterial',
      () => {
        const b = bundle();
        dropField(b, 'verificationMaterial');
        return JSON.stringify(b);
      },
    ],
    ['verificationMaterial without key or certificate', () => JSON.stringify({ ...bundle(), verificationMaterial: { tlogEntries: [] } })],
    [
      'payload not base64',
      () => {
        const b = bundle();
        b.dsseEnvelope.payload = '%%% not base64 %%%';
        return JSON.stringify(b);
      },
    ],
    [
      'payload empty',
      () => {
        const b = bundle();
        b.dsseEnvelope.payload = '';
        return JSON.stringify(b);
      },
    ],
    [
      'payload a number',
      () => {
        const b = bundle();
        setField(b.dsseEnvelope, 'payload', 42);
        return JSON.stringify(b);
      },
    ],
    [
      'no signatures',
      () => {
        const b = bundle();
        b.dsseEnvelope.signatures = [];
        return JSON.stringify(b);
      },
    ],
    [
      'signatures not a list',
      () => {
        const b = bundle();
        setField(b.dsseEnvelope, 'signatures', { sig: 'AAAA' });
        return JSON.stringify(b);
      },
    ],
    [
      'sig not base64',
      () => {
        const b = bundle();
        b.dsseEnvelope.signatures[0]!.sig = 'not base64!';
        return JSON.stringify(b);
      },
    ],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      await expectBroken(make(), FormatError, 'BUNDLE_INVALID');
    });
  }
});

describe('signature-level tampering: exit 1, one line', () => {
  it('wrong payloadType', async () => {
    const b = bundle();
    b.dsseEnvelope.payloadType = 'application/json';
    // The payload type is covered by the signature and checked by name; either check may catch it.
    await expectBroken(JSON.stringify(b), ModelSigningError, ['PAYLOAD_INVALID', 'SIGNATURE_INVALID']);
  });

  it('payload re-encoded with an edit (the signature no longer matches)', async () => {
    const b = bundle();
    const st = readStatement(validSig);
    st.subject[0]!.name = 'someone-else';
    b.dsseEnvelope.payload = Buffer.from(JSON.stringify(st, null, 2)).toString('base64');
    await expectBroken(JSON.stringify(b), VerificationError, 'SIGNATURE_INVALID');
  });

  it('payload re-encoded with a changed file digest (the signature no longer matches)', async () => {
    const b = bundle();
    const st = readStatement(validSig);
    st.predicate.resources[0]!.digest = '0'.repeat(64);
    st.subject[0]!.digest.sha256 = rootDigestOf(st.predicate.resources);
    b.dsseEnvelope.payload = Buffer.from(JSON.stringify(st, null, 2)).toString('base64');
    await expectBroken(JSON.stringify(b), VerificationError, 'SIGNATURE_INVALID');
  });

  it('one flipped bit in the signature', async () => {
    const b = bundle();
    const sig = Buffer.from(b.dsseEnvelope.signatures[0]!.sig, 'base64');
    sig[sig.length - 1] = sig[sig.length - 1]! ^ 1;
    b.dsseEnvelope.signatures[0]!.sig = sig.toString('base64');
    await expectBroken(JSON.stringify(b), VerificationError, 'SIGNATURE_INVALID');
  });

  it('verified with another public key', async () => {
    const other = makeKeyPair('P-256');
    const r = await runCli(['verify', 'key', model, '--signature', validSig, '--public-key', other.publicKey]);
    assertOneLineFailure(r, VERIFY_PREFIX);
    const verifier = new KeyVerifier(loadPublicKey(fs.readFileSync(other.publicKey)));
    await assertRejectsWith(verifyModel(model, { verifier, pool: hashPool, signaturePath: validSig }), VerificationError, 'KEY_MISMATCH');
  });

  it('the hint removed and verified with another key: the crypto still fails', async () => {
    const b = bundle();
    delete b.verificationMaterial.publicKey!.hint;
    const sig = writeSig(JSON.stringify(b));
    const other = makeKeyPair('P-256');
    const r = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', other.publicKey]);
    assertOneLineFailure(r, VERIFY_PREFIX);
    const verifier = new KeyVerifier(loadPublicKey(fs.readFileSync(other.publicKey)));
    await assertRejectsWith(verifyModel(model, { verifier, pool: hashPool, signaturePath: sig }), VerificationError, 'SIGNATURE_INVALID');
  });

  it('signature file missing', async () => {
    const sig = path.join(work, 'does-not-exist.sig');
    assertOneLineFailure(await verifyCli(sig), VERIFY_PREFIX);
    await assertRejectsWith(verifyApi(sig), FormatError, 'SIGNATURE_FILE_UNREADABLE');
  });

  it('signature path is a folder', async () => {
    const sig = tempDir();
    assertOneLineFailure(await verifyCli(sig), VERIFY_PREFIX);
    await assertRejectsWith(verifyApi(sig), FormatError, 'SIGNATURE_FILE_UNREADABLE');
  });
});

describe('signed payloads that describe something invalid: exit 1, one line, PAYLOAD_INVALID', () => {
  let signer: KeySigner;
  before(() => {
    signer = new KeySigner(loadPrivateKey(fs.readFileSync(keys.privateKey)));
  });

  /** Signs raw payload bytes properly, so only the payload check can fail. */
  async function signedFile(payload: Buffer): Promise<string> {
    return writeSig(serializeBundle(await signer.sign(payload)));
  }

  /** The real statement with one defect; the subject digest is recomputed so nothing else is wrong. */
  async function signedStatement(edit: (st: SignedStatement) => void, { recomputeRoot = true } = {}): Promise<string> {
    const st = readStatement(validSig);
    edit(st);
    const resources = st.predicate?.resources;
    if (recomputeRoot && Array.isArray(st.subject) && Array.isArray(resources) && resources.every((r) => typeof r?.digest === 'string')) {
      for (const s of st.subject) if (s?.digest && 'sha256' in s.digest) s.digest.sha256 = rootDigestOf(st.predicate.resources);
    }
    return signedFile(Buffer.from(JSON.stringify(st)));
  }

  it('control: the unchanged statement re-signed through the API verifies', async () => {
    const sig = await signedStatement(() => undefined);
    const r = await verifyCli(sig);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await verifyApi(sig)).ok, true);
  });

  const cases: Array<[string, (st: SignedStatement) => void]> = [
    ['wrong _type', (st) => (st._type = 'https://in-toto.io/Statement/v0.1')],
    ['_type missing', (st) => dropField(st, '_type')],
    ['wrong predicateType', (st) => (st.predicateType = 'https://slsa.dev/provenance/v1')],
    ['zero subjects', (st) => (st.subject = [])],
    ['two subjects', (st) => st.subject.push({ ...st.subject[0]!, name: 'second' })],
    ['subject not a list', (st) => setField(st, 'subject', st.subject[0])],
    ['subject without a sha256 digest', (st) => (st.subject[0]!.digest = { sha512: 'ab'.repeat(64) })],
    ['predicate missing', (st) => dropField(st, 'predicate')],
    ['empty resources', (st) => (st.predicate.resources = [])],
    ['resources not a list', (st) => setField(st.predicate, 'resources', {})],
    ['resource name "..": escapes the model', (st) => (st.predicate.resources[0]!.name = '..')],
    ['resource name with a ".." component', (st) => (st.predicate.resources[0]!.name = 'd0/../../etc/passwd')],
    ['resource name with a leading /', (st) => (st.predicate.resources[0]!.name = '/etc/passwd')],
    ['resource name with a backslash', (st) => (st.predicate.resources[0]!.name = 'd0\\f00')],
    ['resource name with a NUL', (st) => (st.predicate.resources[0]!.name = 'f0\u0000.txt')],
    ['empty resource name', (st) => (st.predicate.resources[0]!.name = '')],
    ['duplicate resource names', (st) => (st.predicate.resources[1]!.name = st.predicate.resources[0]!.name)],
    ['resource without a digest', (st) => dropField(st.predicate.resources[0]!, 'digest')],
    ['digest too short', (st) => (st.predicate.resources[0]!.digest = st.predicate.resources[0]!.digest.slice(0, 62))],
    ['digest too long', (st) => (st.predicate.resources[0]!.digest += 'ab')],
    ['digest not hex', (st) => (st.predicate.resources[0]!.digest = 'zz' + st.predicate.resources[0]!.digest.slice(2))],
    ['resource algorithm differs from hash_type', (st) => (st.predicate.resources[0]!.algorithm = 'blake3')],
    ['unknown serialization method', (st) => (st.predicate.serialization.method = 'tree')],
    ['serialization missing', (st) => dropField(st.predicate, 'serialization')],
    ['unknown hash_type', (st) => (st.predicate.serialization.hash_type = 'md5')],
    ['shards without a shard_size', (st) => (st.predicate.serialization.method = 'shards')],
    ['ignore_paths not a list', (st) => setField(st.predicate.serialization, 'ignore_paths', '.git')],
  ];
  for (const [name, edit] of cases) {
    it(name, async () => {
      const sig = await signedStatement(edit);
      await expectBroken(fs.readFileSync(sig), FormatError, 'PAYLOAD_INVALID');
    });
  }

  it('payload not JSON', async () => {
    await expectBroken(fs.readFileSync(await signedFile(Buffer.from('not json at all'))), FormatError, 'PAYLOAD_INVALID');
  });

  it('payload a JSON array', async () => {
    await expectBroken(fs.readFileSync(await signedFile(Buffer.from(JSON.stringify([readStatement(validSig)])))), FormatError, 'PAYLOAD_INVALID');
  });

  it('wrong root digest (subject digest does not match the resources): ROOT_DIGEST_MISMATCH', async () => {
    const sig = await signedStatement((st) => (st.subject[0]!.digest.sha256 = crypto.createHash('sha256').update('x').digest('hex')), { recomputeRoot: false });
    await expectBroken(fs.readFileSync(sig), VerificationError, 'ROOT_DIGEST_MISMATCH');
  });

  it('resources reordered without recomputing the root: ROOT_DIGEST_MISMATCH', async () => {
    const sig = await signedStatement((st) => st.predicate.resources.reverse(), { recomputeRoot: false });
    await expectBroken(fs.readFileSync(sig), VerificationError, 'ROOT_DIGEST_MISMATCH');
  });
});

describe('oversized signature files fail fast', () => {
  const SIZE = 100 * 1024 * 1024;
  const cases: Array<[string, () => Buffer]> = [
    ['100 MB of spaces', () => Buffer.alloc(SIZE, 0x20)],
    [
      'a JSON bundle padded to 100 MB',
      () => {
        const head = Buffer.from('{"mediaType":"');
        const tail = Buffer.from(`","verificationMaterial":{},"dsseEnvelope":{}}`);
        return Buffer.concat([head, Buffer.alloc(SIZE - head.length - tail.length, 0x61), tail]);
      },
    ],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const sig = path.join(work, 'huge.sig');
      fs.writeFileSync(sig, make());
      try {
        const r = await verifyCli(sig);
        assertOneLineFailure(r, VERIFY_PREFIX);
        await assertRejectsWith(verifyApi(sig), FormatError, 'BUNDLE_INVALID');
        // Fast because refused on its size, before a byte of it is read or parsed.
        await assert.rejects(readBundle(sig), (e: ModelSigningError) => e.data['size'] === SIZE && MAX_BUNDLE_BYTES < SIZE);
      } finally {
        fs.rmSync(sig, { force: true });
      }
    });
  }
});

describe('command-line mistakes', () => {
  it('missing model path on verify: exit 1', async () => {
    const missing = path.join(tempDir(), 'no-such-model');
    assertOneLineFailure(await verifyCli(validSig, missing), VERIFY_PREFIX);
    await assertRejectsWith(verifyApi(validSig, missing), HashingError, 'MODEL_NOT_FOUND');
  });

  it('missing model path on sign: exit 1, no signature written', async () => {
    const dir = tempDir();
    const sig = path.join(dir, 'model.sig');
    const r = await runCli(['sign', 'key', path.join(dir, 'no-such-model'), '--signature', sig, '--private-key', keys.privateKey]);
    assertOneLineFailure(r, SIGN_PREFIX);
    assert.deepEqual([...snapshot(dir).keys()], []);
  });

  it('verify without --signature: exit 2', async () => {
    assertUsageError(await runCli(['verify', 'key', model, '--public-key', keys.publicKey]), /--signature/);
  });

  it('verify key without --public-key: exit 2', async () => {
    assertUsageError(await runCli(['verify', 'key', model, '--signature', validSig]), /--public-key/);
  });

  it('an unknown option: exit 2', async () => {
    assertUsageError(await runCli(['verify', 'key', model, '--signature', validSig, '--public-key', keys.publicKey, '--frobnicate']), /--frobnicate/);
  });

  it('an unknown option on sign: exit 2, no signature written', async () => {
    const dir = tempDir();
    const sig = path.join(dir, 'model.sig');
    assertUsageError(await runCli(['sign', 'key', model, '--signature', sig, '--private-key', keys.privateKey, '--frobnicate']), /--frobnicate/);
    assert.equal(fs.existsSync(sig), false);
  });

  it('sign key without --private-key: exit 2', async () => {
    const dir = tempDir();
    const sig = path.join(dir, 'model.sig');
    assertUsageError(await runCli(['sign', 'key', model, '--signature', sig]), /--private-key/);
    assert.equal(fs.existsSync(sig), false);
  });

  it('sign without a model path: exit 2', async () => {
    assertUsageError(await runCli(['sign', 'key', '--signature', path.join(tempDir(), 'model.sig'), '--private-key', keys.privateKey]), /MODEL_PATH/);
  });
});

describe('bad keys', () => {
  let rsaDir: string;
  before(() => {
    rsaDir = tempDir('ms-rsa-');
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(path.join(rsaDir, 'rsa.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    fs.writeFileSync(path.join(rsaDir, 'rsa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  });

  it('an RSA private key on sign: exit 1, "Only elliptic curve keys", no signature', async () => {
    const dir = tempDir();
    const sig = path.join(dir, 'model.sig');
    const r = await runCli(['sign', 'key', model, '--signature', sig, '--private-key', path.join(rsaDir, 'rsa.pem')]);
    const line = assertOneLineFailure(r, SIGN_PREFIX);
    assert.match(line, /Only elliptic curve keys/);
    assert.equal(fs.existsSync(sig), false);
    assert.throws(
      () => loadPrivateKey(fs.readFileSync(path.join(rsaDir, 'rsa.pem'))),
      (e: unknown) => e instanceof FormatError && e.code === 'KEY_UNSUPPORTED',
    );
  });

  it('an RSA public key on verify: exit 1, "Only elliptic curve keys"', async () => {
    const r = await runCli(['verify', 'key', model, '--signature', validSig, '--public-key', path.join(rsaDir, 'rsa.pub')]);
    assert.match(assertOneLineFailure(r, VERIFY_PREFIX), /Only elliptic curve keys/);
  });

  it('a private key file that is not a key: exit 1', async () => {
    const bad = path.join(rsaDir, 'garbage.pem');
    fs.writeFileSync(bad, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    const dir = tempDir();
    const r = await runCli(['sign', 'key', model, '--signature', path.join(dir, 'model.sig'), '--private-key', bad]);
    assertOneLineFailure(r, SIGN_PREFIX);
    assert.deepEqual([...snapshot(dir).keys()], []);
  });

  it('a private key file that does not exist: exit 1', async () => {
    const dir = tempDir();
    const r = await runCli(['sign', 'key', model, '--signature', path.join(dir, 'model.sig'), '--private-key', path.join(dir, 'nope.pem')]);
    assertOneLineFailure(r, SIGN_PREFIX);
    assert.deepEqual([...snapshot(dir).keys()], []);
  });

  it('a public key given as the private key: exit 1', async () => {
    const dir = tempDir();
    const r = await runCli(['sign', 'key', model, '--signature', path.join(dir, 'model.sig'), '--private-key', keys.publicKey]);
    assertOneLineFailure(r, SIGN_PREFIX);
    assert.deepEqual([...snapshot(dir).keys()], []);
  });

  describe('an encrypted private key', () => {
    const PASSWORD = 'correct-horse-7f3a9c';
    const WRONG = 'wrong-battery-staple-51d2';
    let enc: ReturnType<typeof makeKeyPair>;
    before(() => {
      enc = makeKeyPair('P-384', PASSWORD);
    });

    it('without --password: exit 1, the message asks for the password', async () => {
      const dir = tempDir();
      const r = await runCli(['sign', 'key', model, '--signature', path.join(dir, 'model.sig'), '--private-key', enc.privateKey]);
      assert.match(assertOneLineFailure(r, SIGN_PREFIX), /password/i);
      assert.deepEqual([...snapshot(dir).keys()], []);
      assert.throws(
        () => loadPrivateKey(fs.readFileSync(enc.privateKey)),
        (e: unknown) => e instanceof FormatError && e.code === 'KEY_PASSWORD_REQUIRED',
      );
    });

    it('with the wrong password: exit 1, the password is never echoed', async () => {
      const dir = tempDir();
      const r = await runCli(['sign', 'key', model, '--signature', path.join(dir, 'model.sig'), '--private-key', enc.privateKey, '--password', WRONG]);
      assertOneLineFailure(r, SIGN_PREFIX);
      assert.ok(!r.stderr.includes(WRONG) && !r.stdout.includes(WRONG), `password echoed: ${r.stderr}`);
      assert.ok(!r.stderr.includes('PRIVATE KEY'), 'key material echoed');
      assert.deepEqual([...snapshot(dir).keys()], []);
      assert.throws(
        () => loadPrivateKey(fs.readFileSync(enc.privateKey), WRONG),
        (e: unknown) => e instanceof FormatError && e.code === 'KEY_INVALID' && !e.message.includes(WRONG),
      );
    });

    it('with the right password: exit 0, and the signature verifies', async () => {
      const sig = path.join(tempDir(), 'model.sig');
      const r = await runCli(['sign', 'key', model, '--signature', sig, '--private-key', enc.privateKey, '--password', PASSWORD]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'Signing succeeded\n');
      assert.ok(!r.stderr.includes(PASSWORD));
      const v = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', enc.publicKey]);
      assert.equal(v.code, 0, v.stderr);
    });
  });
});

describe('signing never leaves a partial or overwritten file', () => {
  it('a signature path in a folder that does not exist: exit 1, nothing created', async () => {
    const dir = tempDir();
    const sig = path.join(dir, 'no', 'such', 'folder', 'model.sig');
    const r = await runCli(['sign', 'key', model, '--signature', sig, '--private-key', keys.privateKey]);
    assertOneLineFailure(r, SIGN_PREFIX);
    assert.equal(fs.existsSync(sig), false);
    assert.deepEqual([...snapshot(dir).keys()], []);
  });

  it('a signature path that is an existing folder: exit 1, the folder untouched', async () => {
    const dir = tempDir();
    const sigDir = path.join(dir, 'model.sig');
    fs.mkdirSync(sigDir);
    fs.writeFileSync(path.join(sigDir, 'keep'), 'keep');
    const before = snapshot(dir);
    const r = await runCli(['sign', 'key', model, '--signature', sigDir, '--private-key', keys.privateKey]);
    assertOneLineFailure(r, SIGN_PREFIX);
    assert.deepEqual(snapshot(dir), before);
  });

  /** An existing, valid model.sig at the target; a failing sign must leave its folder byte-identical. */
  async function assertUntouched(args: (sig: string) => string[], expectCode: 1 | 2): Promise<void> {
    const dir = tempDir();
    const sig = path.join(dir, 'model.sig');
    fs.writeFileSync(sig, validText);
    const before = snapshot(dir);
    const r = await runCli(args(sig));
    if (expectCode === 1) assertOneLineFailure(r, SIGN_PREFIX);
    else assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(snapshot(dir), before, 'the folder of the signature changed');
    assert.equal(fs.readFileSync(sig, 'utf8'), validText);
  }

  it('a bad key: the existing model.sig is left byte-identical', async () => {
    const rsa = path.join(tempDir(), 'rsa.pem');
    fs.writeFileSync(rsa, crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await assertUntouched((sig) => ['sign', 'key', model, '--signature', sig, '--private-key', rsa], 1);
  });

  it('a wrong password: the existing model.sig is left byte-identical', async () => {
    const enc = makeKeyPair('P-256', 'pw-1');
    await assertUntouched((sig) => ['sign', 'key', model, '--signature', sig, '--private-key', enc.privateKey, '--password', 'pw-2'], 1);
  });

  it('a missing model: the existing model.sig is left byte-identical', async () => {
    await assertUntouched((sig) => ['sign', 'key', path.join(tempDir(), 'gone'), '--signature', sig, '--private-key', keys.privateKey], 1);
  });

  it('an empty model (fails after the walk): the existing model.sig is left byte-identical', async () => {
    const empty = makeModel({}, 'empty');
    await assertUntouched((sig) => ['sign', 'key', empty, '--signature', sig, '--private-key', keys.privateKey], 1);
  });

  it('a usage error: the existing model.sig is left byte-identical', async () => {
    await assertUntouched((sig) => ['sign', 'key', model, '--signature', sig, '--private-key', keys.privateKey, '--hash-algorithm', 'md5'], 2);
  });

  it('a failing sign through the API writes nothing', async () => {
    const dir = tempDir();
    const sig = path.join(dir, 'model.sig');
    fs.writeFileSync(sig, validText);
    const before = snapshot(dir);
    const signer = new KeySigner(loadPrivateKey(fs.readFileSync(keys.privateKey)));
    await assertRejectsWith(signModel(makeModel({}, 'empty'), { signer, pool: hashPool, signaturePath: sig }), HashingError, 'EMPTY_MODEL');
    assert.deepEqual(snapshot(dir), before);
  });
});

describe('nothing to sign', () => {
  it('an empty folder: exit 1 (EMPTY_MODEL), no signature', async () => {
    const empty = makeModel({}, 'empty');
    const dir = tempDir();
    const sig = path.join(dir, 'model.sig');
    assertOneLineFailure(await runCli(['sign', 'key', empty, '--signature', sig, '--private-key', keys.privateKey]), SIGN_PREFIX);
    assert.equal(fs.existsSync(sig), false);
    const signer = new KeySigner(loadPrivateKey(fs.readFileSync(keys.privateKey)));
    await assertRejectsWith(signModel(empty, { signer, pool: hashPool }), HashingError, 'EMPTY_MODEL');
  });

  it('a folder where everything is ignored (git files and --ignore-paths): exit 1', async () => {
    const m = makeModel(
      { '.gitignore': '*.tmp\n', '.gitattributes': '* text\n', '.git/HEAD': 'ref: refs/heads/main\n', 'junk/a.tmp': 'x', 'junk/b/c.tmp': 'y' },
      'ignored',
    );
    const dir = tempDir();
    const sig = path.join(dir, 'model.sig');
    const r = await runCli(['sign', 'key', m, '--signature', sig, '--private-key', keys.privateKey, '--ignore-paths', path.join(m, 'junk')]);
    assertOneLineFailure(r, SIGN_PREFIX);
    assert.equal(fs.existsSync(sig), false);
    const signer = new KeySigner(loadPrivateKey(fs.readFileSync(keys.privateKey)));
    await assertRejectsWith(signModel(m, { signer, pool: hashPool, ignorePaths: [path.join(m, 'junk')] }), HashingError, 'EMPTY_MODEL');
    // Control: without the ignore the same folder signs.
    const ok = await runCli(['sign', 'key', m, '--signature', sig, '--private-key', keys.privateKey]);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('a folder whose only file is the signature itself: exit 1, the old signature kept', async () => {
    const m = makeModel({ 'model.sig': validText }, 'only-sig');
    const sig = path.join(m, 'model.sig');
    const r = await runCli(['sign', 'key', m, '--signature', sig, '--private-key', keys.privateKey]);
    assertOneLineFailure(r, SIGN_PREFIX);
    assert.equal(fs.readFileSync(sig, 'utf8'), validText);
    assert.deepEqual([...snapshot(m).keys()], ['model.sig']);
  });
});

describe('a model that does not match its signature', () => {
  it('reports the mismatch (first line prefixed, no stack frames) and exits 1', async () => {
    const m = sampleModel('tampered');
    const sig = path.join(tempDir(), 'model.sig');
    assert.equal((await runCli(['sign', 'key', m, '--signature', sig, '--private-key', keys.privateKey])).code, 0);
    fs.appendFileSync(path.join(m, 'f2'), '!');
    fs.rmSync(path.join(m, 'd0/f01'));
    fs.writeFileSync(path.join(m, 'new.bin'), 'new');
    const r = await runCli(['verify', 'key', m, '--signature', sig, '--public-key', keys.publicKey]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.startsWith(VERIFY_PREFIX), r.stderr);
    assert.ok(!r.stderr.includes('    at '), r.stderr);
    assert.match(r.stderr, /^changed: f2 /m);
    assert.match(r.stderr, /^missing: d0\/f01$/m);
    assert.match(r.stderr, /^extra: +new\.bin$/m);
    const result = await verifyModel(m, { verifier: new KeyVerifier(loadPublicKey(fs.readFileSync(keys.publicKey))), pool: hashPool, signaturePath: sig });
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.diff.changed.map((c) => c.name),
      ['f2'],
    );
    assert.deepEqual(result.diff.missing, ['d0/f01']);
    assert.deepEqual(result.diff.extra, ['new.bin']);
  });

  it('the original signature file is unchanged by all of the above', () => {
    assert.equal(fs.readFileSync(validSig, 'utf8'), validText);
    assert.deepEqual(readJson(validSig), JSON.parse(validText));
  });
});
