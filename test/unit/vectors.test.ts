// Every signature the Python reference made verifies here, through the CLI with
// the exact upstream command lines and through the core API; and every way a
// signature must fail does fail, with a readable message and the right code.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { describe, it } from 'node:test';
import {
  CertificateVerifier,
  KeyVerifier,
  ModelSigningError,
  Verifier,
  bundleKind,
  loadPublicKey,
  parseBundle,
  parsePemCertificates,
  readBundle,
  serializeModel,
  toManifest,
  verifyModel,
} from '../../src/core';
import { CliResult, MT_TESTS, TEST_PKI, VECTORS, makeKeyPair, pool, readJson, readStatement, runCli, tempDir } from '../helpers/fixtures';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const SPEC = path.join(VECTORS, 'model-signing-spec/test-vectors/v1.0');
const CA_CERT = path.join(TEST_PKI, 'ca-cert.pem');
const PUB_KEY = path.join(TEST_PKI, 'signing-key-pub.pem');
const LEAF_CERT = path.join(TEST_PKI, 'signing-key-cert.pem');
const KEY_HINT = 'e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e';
/** Root digests of the two-file vectors (README): `signme-1` without and with a final newline, then `signme-2`. */
const ROOT_NO_NEWLINE = '61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226';
const ROOT_NEWLINE = '92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4';
const OLD_FORMAT_WARNING = /older verification material format/;

type Method = 'certificate' | 'key';
interface Vector {
  method: Method;
  version: string;
  /** Folder name below scripts/tests. */
  folder: string;
  /** Model path relative to scripts/tests, as upstream CI passes it. */
  model: string;
  singleFile: boolean;
  /** v1.0.1 records no ignore_paths, so `ignore-me` must be named on the command line. */
  needsIgnore: boolean;
}

function vector(method: Method, version: string): Vector {
  const folder = `${version}-${method === 'key' ? 'elliptic-key' : 'certificate'}`;
  const singleFile = method === 'key' && (version === 'v0.3.1' || version === 'v1.0.0');
  return { method, version, folder, model: singleFile ? `${folder}/signme-1` : `${folder}/`, singleFile, needsIgnore: version === 'v1.0.1' };
}

const VECTORS_ALL: Vector[] = [
  ...['v0.2.0', 'v0.3.1', 'v1.0.0', 'v1.0.1', 'v1.1.0'].map((v) => vector('certificate', v)),
  ...['v0.3.1', 'v1.0.0', 'v1.0.1', 'v1.1.0'].map((v) => vector('key', v)),
];
const byName = (folder: string): Vector => VECTORS_ALL.find((v) => v.folder === folder)!;

/** The upstream `verify` arguments for a vector (cwd = scripts/tests), from the vectors README. */
function upstreamArgs(v: Vector): string[] {
  const trust = v.method === 'key' ? ['--public-key', 'keys/certificate/signing-key-pub.pem'] : ['--certificate-chain', 'keys/certificate/ca-cert.pem'];
  const ignore = v.needsIgnore ? ['--ignore-paths', `${v.folder}/ignore-me`] : [];
  return ['verify', v.method, '--signature', `${v.folder}/model.sig`, ...trust, ...ignore, v.model];
}

function keyVerifier(pubPem = PUB_KEY): KeyVerifier {
  return new KeyVerifier(loadPublicKey(fs.readFileSync(pubPem)));
}
function certVerifier(rootPem = CA_CERT): CertificateVerifier {
  return new CertificateVerifier({ roots: parsePemCertificates(fs.readFileSync(rootPem, 'utf8'), rootPem) });
}
function verifierFor(v: Vector): Verifier {
  return v.method === 'key' ? keyVerifier() : certVerifier();
}

/** The leaf certificate's SHA-256 fingerprint, computed by node:crypto rather than the core. */
function leafFingerprint(): string {
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(fs.readFileSync(LEAF_CERT, 'utf8'))![0];
  return new crypto.X509Certificate(pem).fingerprint256;
}

/**
 * A self-signed root CA named like the real one (`CN=root-ca`) but with its own
 * key, so only a real signature check can tell it apart. Made with pkijs:
 * test/helpers/pki.ts (makePki) cannot be loaded here, because @peculiar/x509 2.x
 * needs a Reflect polyfill (reflect-metadata) that is not installed.
 */
async function impostorRoot(): Promise<string> {
  const subtle = globalThis.crypto.subtle;
  const keys = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: crypto.randomInt(1, 2 ** 31) });
  const cn = () => new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: 'root-ca' }) });
  cert.subject.typesAndValues.push(cn());
  cert.issuer.typesAndValues.push(cn());
  cert.notBefore.value = new Date(Date.now() - 86_400_000);
  cert.notAfter.value = new Date(Date.now() + 30 * 86_400_000);
  const bc = new pkijs.BasicConstraints({ cA: true });
  cert.extensions = [new pkijs.Extension({ extnID: '2.5.29.19', critical: true, extnValue: bc.toSchema().toBER(false), parsedValue: bc })];
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey);
  await cert.sign(keys.privateKey, 'SHA-256');
  const der = Buffer.from(cert.toSchema(true).toBER(false));
  const x = new crypto.X509Certificate(der);
  assert.equal(x.subject, 'CN=root-ca');
  assert.ok(x.ca && x.verify(x.publicKey));
  const file = path.join(tempDir('ms-root-'), 'root.pem');
  fs.writeFileSync(file, x.toString());
  return file;
}

/** One CA of the Mozilla store bundled with Node.js: a real root, just not this PKI's. */
function mozillaRoot(): string {
  const file = path.join(tempDir('ms-root-'), 'mozilla-root.pem');
  fs.writeFileSync(file, tls.rootCertificates[0]! + os.EOL);
  return file;
}

const sha256 = (data: Buffer | string): Buffer => crypto.createHash('sha256').update(data).digest();

/** A writable copy of a vector folder in a temp dir (../shared is read-only). */
function copyVector(folder: string): string {
  const dst = path.join(tempDir('ms-vec-'), folder);
  fs.cpSync(path.join(MT_TESTS, folder), dst, { recursive: true });
  fs.chmodSync(dst, 0o755);
  for (const f of fs.readdirSync(dst)) fs.chmodSync(path.join(dst, f), 0o644);
  return dst;
}

function assertNoStack(r: CliResult): void {
  assert.doesNotMatch(r.stderr, /^\s+at /m, `stack trace on stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error/);
}

/** Exit 1, nothing on stdout, and exactly one readable line on stderr. */
function assertOneLineFailure(r: CliResult, pattern: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  assertNoStack(r);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^Verification failed with error: /);
  assert.match(lines[0]!, pattern);
}

/** Exit 1, a one-line summary, then exactly the listed per-file lines. */
function assertMismatch(r: CliResult, items: RegExp[]): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  assertNoStack(r);
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(lines[0]!, /^Verification failed with error: the model does not match its signature/);
  assert.equal(lines.length, 1 + items.length, r.stderr);
  items.forEach((re, i) => assert.match(lines[i + 1]!, re));
}

/** Asserts a promise rejects with a ModelSigningError whose code is one of `codes`. */
async function rejectsWithCode(p: Promise<unknown>, ...codes: string[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ModelSigningError, `not a ModelSigningError: ${String(e)}`);
    assert.ok(codes.includes(e.code), `code ${e.code}, expected ${codes.join(' or ')}: ${e.message}`);
    return true;
  });
}

describe('reference vectors verify through the CLI (upstream command lines)', () => {
  for (const v of VECTORS_ALL) {
    it(v.folder, async () => {
      const r = await runCli(upstreamArgs(v), { cwd: MT_TESTS });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'Verification succeeded\n');
      const oldKeyFormat = v.method === 'key' && v.version !== 'v1.1.0';
      if (oldKeyFormat) assert.match(r.stderr, /^WARNING: .*older verification material format/m);
      else assert.equal(r.stderr, '');
    });
  }
});

describe('reference vectors verify through the core API', () => {
  const p = pool(2);
  for (const v of VECTORS_ALL) {
    it(v.folder, async () => {
      const dir = path.join(MT_TESTS, v.folder);
      const result = await verifyModel(path.join(MT_TESTS, v.model), {
        verifier: verifierFor(v),
        pool: p,
        signaturePath: path.join(dir, 'model.sig'),
        ignorePaths: v.needsIgnore ? [path.join(dir, 'ignore-me')] : [],
      });
      assert.deepEqual(result.diff, { extra: [], missing: [], changed: [] });
      assert.equal(result.ok, true);

      if (v.method === 'key') {
        assert.deepEqual(result.signer, { method: 'key', keyHint: KEY_HINT });
      } else {
        assert.equal(result.signer.method, 'certificate');
        if (result.signer.method === 'certificate') {
          assert.equal(result.signer.subject, 'CN=intermediate-ca');
          assert.equal(result.signer.issuer, 'CN=intermediate-ca');
          assert.equal(result.signer.fingerprint, leafFingerprint());
        }
      }

      assert.equal(result.serialization.method, 'files');
      assert.equal(result.serialization.hashType, 'sha256');
      assert.equal(result.serialization.allowSymlinks, false);
      assert.equal(result.serialization.shardSize, undefined);
      // Only v1.1.0 records its ignore paths (as a set; the core keeps them sorted).
      assert.deepEqual(
        result.serialization.ignorePaths,
        v.version === 'v1.1.0' ? ['.git', '.gitattributes', '.github', '.gitignore', 'ignore-me', 'model.sig'] : [],
      );

      // Each signed digest is the sha256 of the file on disk; the root is sha256 over them.
      const names = v.singleFile ? ['.'] : ['signme-1', 'signme-2'];
      assert.deepEqual(
        result.manifest.resources.map((r) => r.name),
        names,
      );
      const fileDigests = names.map((n) => sha256(fs.readFileSync(path.join(MT_TESTS, v.model, n))));
      assert.deepEqual(
        result.manifest.resources.map((r) => r.digest),
        fileDigests.map((d) => d.toString('hex')),
      );
      const expectedRoot = v.singleFile ? sha256(Buffer.concat(fileDigests)).toString('hex') : v.method === 'key' ? ROOT_NEWLINE : ROOT_NO_NEWLINE;
      assert.equal(result.rootDigest, expectedRoot);
      if (v.version !== 'v0.2.0') assert.equal(result.rootDigest, readStatement(path.join(dir, 'model.sig')).subject[0]!.digest.sha256);

      // The subject name is the model folder, the file for a single-file model, or the compat placeholder.
      assert.equal(result.modelName, v.version === 'v0.2.0' ? 'compat-undefined-not-present' : v.singleFile ? 'signme-1' : v.folder);

      // Key bundles before v1.1 carry publicKey.rawBytes instead of a hint: accepted with a warning.
      if (v.method === 'key' && v.version !== 'v1.1.0') {
        assert.equal(result.warnings.length, 1);
        assert.match(result.warnings[0]!, OLD_FORMAT_WARNING);
        assert.equal(typeof readJson(path.join(dir, 'model.sig')).verificationMaterial.publicKey?.rawBytes, 'string');
      } else {
        assert.deepEqual(result.warnings, []);
      }
    });
  }
});

describe('single-file models', () => {
  const p = pool(1);
  for (const folder of ['v0.3.1-elliptic-key', 'v1.0.0-elliptic-key']) {
    it(`${folder}: resource "." and subject "signme-1", as signed and as hashed here`, async () => {
      const st = readStatement(path.join(MT_TESTS, folder, 'model.sig'));
      assert.equal(st.subject[0]!.name, 'signme-1');
      assert.deepEqual(
        st.predicate.resources.map((r: { name: string }) => r.name),
        ['.'],
      );
      const m = await serializeModel(path.join(MT_TESTS, folder, 'signme-1'), { pool: p });
      assert.equal(m.modelName, 'signme-1');
      assert.deepEqual(
        m.resources.map((r) => r.name),
        ['.'],
      );
      assert.equal(m.rootDigest(), st.subject[0]!.digest.sha256);
    });
  }

  it('verifying the folder instead of the file reports "." missing and the file extra', async () => {
    const dir = path.join(MT_TESTS, 'v1.0.0-elliptic-key');
    const result = await verifyModel(dir, { verifier: keyVerifier(), pool: p, signaturePath: path.join(dir, 'model.sig') });
    assert.equal(result.ok, false);
    assert.deepEqual(result.diff, { extra: ['signme-1'], missing: ['.'], changed: [] });
  });
});

describe('tampered models fail through the CLI', () => {
  it('a changed byte in signme-2 is named', async () => {
    const dir = copyVector('v1.1.0-elliptic-key');
    const f = path.join(dir, 'signme-2');
    const bytes = fs.readFileSync(f);
    const last = bytes.length - 1;
    bytes.writeUInt8(bytes.readUInt8(last) ^ 0x01, last);
    fs.writeFileSync(f, bytes);
    const r = await runCli(['verify', 'key', '--signature', path.join(dir, 'model.sig'), '--public-key', PUB_KEY, dir]);
    assertMismatch(r, [/^changed: signme-2 \(expected sha256:32dcb1f8[0-9a-f]+, got sha256:[0-9a-f]{64}\)$/]);
  });

  it('a changed byte is caught in a v0.2.0 (legacy payload) model too', async () => {
    const dir = copyVector('v0.2.0-certificate');
    fs.writeFileSync(path.join(dir, 'signme-2'), 'signme-3');
    const r = await runCli(['verify', 'certificate', '--signature', path.join(dir, 'model.sig'), '--certificate-chain', CA_CERT, dir]);
    assertMismatch(r, [/^changed: signme-2 /]);
  });

  it('an extra file is named, and --ignore-unsigned-files lets it pass', async () => {
    const dir = copyVector('v1.1.0-certificate');
    fs.writeFileSync(path.join(dir, 'extra.bin'), 'not signed');
    const args = ['verify', 'certificate', '--signature', path.join(dir, 'model.sig'), '--certificate-chain', CA_CERT, dir];
    assertMismatch(await runCli(args), [/^extra:\s+extra\.bin$/]);
    const ok = await runCli([...args, '--ignore-unsigned-files']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'Verification succeeded\n');
  });

  it('a deleted file is named', async () => {
    const dir = copyVector('v1.0.1-elliptic-key');
    fs.rmSync(path.join(dir, 'signme-1'));
    const r = await runCli([
      'verify',
      'key',
      '--signature',
      path.join(dir, 'model.sig'),
      '--public-key',
      PUB_KEY,
      '--ignore-paths',
      path.join(dir, 'ignore-me'),
      dir,
    ]);
    // The old-format warning comes first; the failure follows it.
    const rest = { ...r, stderr: r.stderr.replace(/^WARNING: .*\n/m, '') };
    assert.match(r.stderr, /^WARNING: .*older verification material format/);
    assertMismatch(rest, [/^missing: signme-1$/]);
  });

  it('git files added to a reference model still verify: v1.1.0 records them, v1.0.1 records nothing (the defaults apply)', async () => {
    for (const [folder, extra] of [
      ['v1.1.0-elliptic-key', []],
      ['v1.0.1-elliptic-key', ['--ignore-paths', 'ignore-me']],
    ] as const) {
      const dir = copyVector(folder);
      fs.mkdirSync(path.join(dir, '.git'));
      fs.writeFileSync(path.join(dir, '.git', 'config'), '[core]\n\tfsmonitor = touch /tmp/pwned\n');
      const r = await runCli(['verify', 'key', '--signature', path.join(dir, 'model.sig'), '--public-key', PUB_KEY, ...extra, dir], { cwd: dir });
      assert.equal(r.code, 0, `${folder}: ${r.stderr}`);
    }
  });

  it('without --ignore-paths, the unrecorded ignore-me of v1.0.1 is an extra file', async () => {
    const v = byName('v1.0.1-certificate');
    const args = upstreamArgs({ ...v, needsIgnore: false });
    const r = await runCli(args, { cwd: MT_TESTS });
    assertMismatch(r, [/^extra:\s+ignore-me$/]);
  });
});

describe('wrong key or trust anchor fails', () => {
  it('CLI: a key vector checked with another public key is a key mismatch', async () => {
    const other = makeKeyPair('P-384');
    const v = byName('v1.1.0-elliptic-key');
    const r = await runCli(['verify', 'key', '--signature', `${v.folder}/model.sig`, '--public-key', other.publicKey, v.model], { cwd: MT_TESTS });
    assertOneLineFailure(r, /Key mismatch/);
  });

  it('CLI: a certificate vector checked against another root CA (same name, other key) is a chain error', async () => {
    const v = byName('v1.1.0-certificate');
    const r = await runCli(['verify', 'certificate', '--signature', `${v.folder}/model.sig`, '--certificate-chain', await impostorRoot(), v.model], {
      cwd: MT_TESTS,
    });
    assertOneLineFailure(r, /does not chain to a trusted root/);
  });

  it('CLI: without --certificate-chain the Node.js CA store is used, and the test PKI is not in it', async () => {
    const v = byName('v1.1.0-certificate');
    const r = await runCli(['verify', 'certificate', '--signature', `${v.folder}/model.sig`, v.model], { cwd: MT_TESTS });
    assertOneLineFailure(r, /does not chain to a trusted root/);
  });

  it('core: every key vector fails with another key (hint: KEY_MISMATCH; rawBytes: SIGNATURE_INVALID)', async () => {
    const p = pool(1);
    const other = keyVerifier(makeKeyPair('P-384').publicKey);
    for (const v of VECTORS_ALL.filter((x) => x.method === 'key')) {
      const dir = path.join(MT_TESTS, v.folder);
      const run = verifyModel(path.join(MT_TESTS, v.model), {
        verifier: other,
        pool: p,
        signaturePath: path.join(dir, 'model.sig'),
        ignorePaths: [path.join(dir, 'ignore-me')],
      });
      await rejectsWithCode(run, v.version === 'v1.1.0' ? 'KEY_MISMATCH' : 'SIGNATURE_INVALID');
    }
  });

  it('core: every certificate vector fails against another root (CERTIFICATE_CHAIN_INVALID)', async () => {
    const p = pool(1);
    for (const root of [await impostorRoot(), mozillaRoot()]) {
      const other = certVerifier(root);
      for (const v of VECTORS_ALL.filter((x) => x.method === 'certificate')) {
        const dir = path.join(MT_TESTS, v.folder);
        await rejectsWithCode(
          verifyModel(path.join(MT_TESTS, v.model), {
            verifier: other,
            pool: p,
            signaturePath: path.join(dir, 'model.sig'),
            ignorePaths: [path.join(dir, 'ignore-me')],
          }),
          'CERTIFICATE_CHAIN_INVALID',
        );
      }
    }
  });

  it('core: a certificate bundle given to the key verifier is refused', async () => {
    const dir = path.join(MT_TESTS, 'v1.1.0-certificate');
    await rejectsWithCode(verifyModel(dir, { verifier: keyVerifier(), pool: pool(1), signaturePath: path.join(dir, 'model.sig') }), 'KEY_MISMATCH');
  });
});

describe('OMS spec v1.0 vectors', () => {
  const p = pool(1);
  /** The files the spec's valid bundles sign: v1.1.0-elliptic-key's, in a folder named as the subject ("model"). */
  const specModel = (): string => {
    const dir = path.join(tempDir('ms-spec-'), 'model');
    fs.mkdirSync(dir);
    for (const f of ['signme-1', 'signme-2', 'ignore-me']) fs.copyFileSync(path.join(MT_TESTS, 'v1.1.0-elliptic-key', f), path.join(dir, f));
    return dir;
  };

  for (const [file, method] of [
    ['key.bundle.json', 'key'],
    ['certificate.bundle.json', 'certificate'],
  ] as const) {
    it(`valid/${file} verifies`, async () => {
      const sig = path.join(SPEC, 'valid', file);
      const st = readStatement(sig);
      assert.deepEqual(
        st.predicate.resources.map((r: { name: string }) => r.name),
        ['signme-1', 'signme-2'],
      );
      const result = await verifyModel(specModel(), {
        verifier: method === 'key' ? keyVerifier() : certVerifier(),
        pool: p,
        signaturePath: sig,
      });
      assert.deepEqual(result.diff, { extra: [], missing: [], changed: [] });
      assert.equal(result.ok, true);
      assert.equal(result.signer.method, method);
      assert.equal(result.modelName, 'model');
      assert.equal(result.rootDigest, ROOT_NEWLINE);
      assert.ok(result.serialization.ignorePaths.includes('ignore-me'));
    });
  }

  it('valid/sigstore.bundle.json and the keyless reference vectors parse as sigstore bundles', async () => {
    const files = [
      path.join(SPEC, 'valid/sigstore.bundle.json'),
      ...['v0.3.1', 'v1.0.0', 'v1.0.1', 'v1.1.0'].map((v) => path.join(MT_TESTS, `${v}-sigstore/model.sig`)),
    ];
    for (const f of files) {
      const b = parseBundle(fs.readFileSync(f, 'utf8'));
      assert.equal(bundleKind(b), 'sigstore', f);
      assert.equal(bundleKind(await readBundle(f)), 'sigstore', f);
    }
    // And the others are told apart.
    assert.equal(bundleKind(await readBundle(path.join(SPEC, 'valid/key.bundle.json'))), 'key');
    assert.equal(bundleKind(await readBundle(path.join(SPEC, 'valid/certificate.bundle.json'))), 'certificate');
  });

  const invalid = fs
    .readdirSync(path.join(SPEC, 'invalid'))
    .filter((f) => f.endsWith('.bundle.json'))
    .sort();
  it('there are invalid vectors to test', () => assert.ok(invalid.length >= 4, invalid.join(', ')));
  for (const f of invalid) {
    it(`invalid/${f} is refused with BUNDLE_INVALID`, async () => {
      const file = path.join(SPEC, 'invalid', f);
      assert.throws(
        () => parseBundle(fs.readFileSync(file, 'utf8')),
        (e: unknown) => {
          assert.ok(e instanceof ModelSigningError);
          assert.equal(e.code, 'BUNDLE_INVALID');
          return true;
        },
      );
      await rejectsWithCode(readBundle(file), 'BUNDLE_INVALID');
    });
  }

  it('invalid-payload/wrong-predicate.bundle.json fails verification', async () => {
    const sig = path.join(SPEC, 'invalid-payload/wrong-predicate.bundle.json');
    await rejectsWithCode(verifyModel(specModel(), { verifier: keyVerifier(), pool: p, signaturePath: sig }), 'SIGNATURE_INVALID', 'PAYLOAD_INVALID');
    // Even with the signature set aside, its payload is not an OMS statement.
    const payload = Buffer.from(readJson(sig).dsseEnvelope.payload, 'base64');
    assert.throws(
      () => toManifest(payload),
      (e: unknown) => e instanceof ModelSigningError && e.code === 'PAYLOAD_INVALID',
    );
  });
});
