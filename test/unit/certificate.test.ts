// The certificate method: sign with a leaf key, its certificate and the chain;
// verify against trust anchors. Throwaway PKIs come from makePki(); the
// reference's own test PKI is used as well.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  CertificateSigner,
  CertificateVerifier,
  ErrorCode,
  FormatError,
  KeyVerifier,
  ModelSigningError,
  VerificationError,
  dsseBundle,
  loadPrivateKey,
  loadPublicKey,
  parsePemCertificates,
  serializeBundle,
  signModel,
  verifyModel,
} from '../../src/core';
import { CliResult, SignedStatement, TEST_PKI, makeKeyPair, makeModel, pool, readJson, runCli, sampleModel, tempDir } from '../helpers/fixtures';
import { KeyUsage, LeafOptions, TestPki, makePki } from '../helpers/pki';
import { UNSAFE_CHARS } from '../helpers/unsafeText';
import { PUBLIC_CA_WARNING, publicCaSignerLine } from '../../src/cli/methods';
import { displayText } from '../../src/core/display';

const VERIFY_PREFIX = 'Verification failed with error: ';
const SIGN_PREFIX = 'Signing failed with error: ';
const DAY = 86_400_000;
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

const hashPool = pool(2);

/** Exit 1, nothing on stdout, exactly one line on stderr with the given prefix, no stack frames. */
function assertOneLineFailure(r: CliResult, prefix: string): string {
  const where = `\nexit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  assert.equal(r.code, 1, `expected exit 1${where}`);
  assert.ok(!r.stderr.includes('    at ') && !r.stdout.includes('    at '), `stack trace printed${where}`);
  assert.equal(r.stdout, '', `nothing expected on stdout${where}`);
  assert.ok(r.stderr.endsWith('\n'), where);
  const lines = r.stderr.slice(0, -1).split('\n');
  assert.equal(lines.length, 1, `expected exactly one line on stderr${where}`);
  assert.ok(lines[0]!.startsWith(prefix), `expected prefix '${prefix}'${where}`);
  return lines[0]!;
}

async function assertRejectsWith(p: Promise<unknown>, cls: new (...args: never[]) => ModelSigningError, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(
      e instanceof cls,
      `expected ${cls.name}, got ${e instanceof Error ? `${e.constructor.name} ${(e as ModelSigningError).code}: ${e.message}` : String(e)}`,
    );
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${(e as Error).message}`);
    return true;
  });
}

/** DER of the first certificate in a PEM text, read independently of the code under test. */
function der(pem: string): Buffer {
  return new crypto.X509Certificate(pem.slice(pem.indexOf('-----BEGIN CERTIFICATE-----'))).raw;
}

function fingerprintOf(d: Buffer): string {
  return crypto.createHash('sha256').update(d).digest('hex').toUpperCase().match(/../g)!.join(':');
}

function signCli(model: string, sig: string, pki: TestPki, chain: readonly string[] = [pki.files.intermediate], key = pki.files.leafKey): Promise<CliResult> {
  return runCli([
    'sign',
    'certificate',
    model,
    '--signature',
    sig,
    '--private-key',
    key,
    '--signing-certificate',
    pki.files.leaf,
    ...chain.flatMap((c) => ['--certificate-chain', c]),
  ]);
}

function verifyCli(model: string, sig: string, roots: readonly string[], extra: readonly string[] = []): Promise<CliResult> {
  return runCli(['verify', 'certificate', model, '--signature', sig, ...roots.flatMap((r) => ['--certificate-chain', r]), ...extra]);
}

function verifyApi(model: string, sig: string, roots: readonly string[]) {
  const anchors = roots.flatMap((f) => parsePemCertificates(fs.readFileSync(f, 'utf8'), f));
  return verifyModel(model, { verifier: new CertificateVerifier({ roots: anchors }), pool: hashPool, signaturePath: sig });
}

/** Signs through the API, so cases about verification do not depend on what sign accepts. */
async function signApi(model: string, sig: string, pki: TestPki, chain: readonly string[] = [pki.files.intermediate]): Promise<void> {
  const signer = new CertificateSigner(
    loadPrivateKey(fs.readFileSync(pki.files.leafKey)),
    der(pki.leafPem),
    chain.map((f) => der(fs.readFileSync(f, 'utf8'))),
  );
  await signModel(model, { signer, pool: hashPool, signaturePath: sig });
}

function chainOf(sig: string): Buffer[] {
  return readJson(sig).verificationMaterial.x509CertificateChain!.certificates.map((c) => Buffer.from(c.rawBytes, 'base64'));
}

describe('sign certificate + verify certificate', () => {
  it('leaf key + leaf + intermediate, verified with the root: exit 0; the bundle holds [leaf, intermediate]', async () => {
    const pki = await makePki();
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    const s = await signCli(model, sig, pki);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout, 'Signing succeeded\n');
    assert.equal(s.stderr, '');
    const b = readJson(sig);
    assert.equal(b.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(b.verificationMaterial.publicKey, undefined);
    assert.deepEqual(b.verificationMaterial.tlogEntries, []);
    assert.equal(b.dsseEnvelope.signatures[0]!.keyid, '');
    assert.deepEqual(chainOf(sig), [der(pki.leafPem), der(pki.intermediatePem)]);

    const v = await verifyCli(model, sig, [pki.files.root]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout, 'Verification succeeded\n');
    assert.equal(v.stderr, '');
    const result = await verifyApi(model, sig, [pki.files.root]);
    assert.equal(result.ok, true);
    assert.deepEqual(result.warnings, []);
    assert.equal(result.signer.method, 'certificate');
    if (result.signer.method === 'certificate') {
      assert.equal(result.signer.fingerprint, fingerprintOf(der(pki.leafPem)));
      assert.match(result.signer.subject, /CN=model-signer/);
    }
  });

  it('--certificate-chain given twice (two files), on sign and on verify', async () => {
    const pki = await makePki();
    const other = await makePki({}, 'other-root');
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    const s = await signCli(model, sig, pki, [pki.files.intermediate, pki.files.root]);
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(chainOf(sig), [der(pki.leafPem), der(pki.intermediatePem), der(pki.rootPem)]);
    // Two anchor files, the right one second.
    const v = await verifyCli(model, sig, [other.files.root, pki.files.root]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal((await verifyApi(model, sig, [other.files.root, pki.files.root])).ok, true);
  });

  it('a chain file holding two PEM certificates, on sign and on verify', async () => {
    const pki = await makePki();
    const other = await makePki({}, 'other-root');
    const dir = tempDir();
    const chainFile = path.join(dir, 'chain.pem');
    fs.writeFileSync(chainFile, `${pki.intermediatePem}\n${pki.rootPem}\n`);
    const anchors = path.join(dir, 'anchors.pem');
    fs.writeFileSync(anchors, `${other.rootPem}\n${pki.rootPem}\n`);
    const model = sampleModel();
    const sig = path.join(dir, 'model.sig');
    const s = await signCli(model, sig, pki, [chainFile]);
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(chainOf(sig), [der(pki.leafPem), der(pki.intermediatePem), der(pki.rootPem)]);
    const v = await verifyCli(model, sig, [anchors]);
    assert.equal(v.code, 0, v.stderr);
    // The same anchors file without the right root fails.
    fs.writeFileSync(anchors, `${other.rootPem}\n${other.intermediatePem}\n`);
    assertOneLineFailure(await verifyCli(model, sig, [anchors]), VERIFY_PREFIX);
  });

  for (const curve of ['P-256', 'P-384', 'P-521'] as const) {
    it(`a ${curve} leaf`, async () => {
      const pki = await makePki({ curve });
      assert.equal(
        new crypto.X509Certificate(pki.leafPem).publicKey.asymmetricKeyDetails?.namedCurve,
        { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' }[curve],
      );
      const model = sampleModel();
      const sig = path.join(tempDir(), 'model.sig');
      const s = await signCli(model, sig, pki);
      assert.equal(s.code, 0, s.stderr);
      const v = await verifyCli(model, sig, [pki.files.root]);
      assert.equal(v.code, 0, v.stderr);
      assert.equal((await verifyApi(model, sig, [pki.files.root])).ok, true);
      // The signature is bound to the leaf: one flipped byte of a file is caught.
      fs.appendFileSync(path.join(model, 'f0'), 'x');
      assert.equal((await verifyCli(model, sig, [pki.files.root])).code, 1);
    });
  }

  it('--log-fingerprints prints the anchors and the signing certificate on stderr', async () => {
    const pki = await makePki();
    const other = await makePki({}, 'other-root');
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    assert.equal((await signCli(model, sig, pki)).code, 0);
    const v = await verifyCli(model, sig, [other.files.root, pki.files.root], ['--log-fingerprints']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout, 'Verification succeeded\n');
    const lines = v.stderr.trimEnd().split('\n');
    for (const l of lines)
      assert.match(l, /^\[ {2}init {2}\] sha256 Fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}$|^\[ verify \] sha256 Fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const init = lines.filter((l) => l.startsWith('[  init  ] ')).map((l) => l.slice('[  init  ] sha256 Fingerprint: '.length));
    assert.deepEqual(init, [fingerprintOf(der(other.rootPem)), fingerprintOf(der(pki.rootPem))]);
    const verify = lines.filter((l) => l.startsWith('[ verify ] ')).map((l) => l.slice('[ verify ] sha256 Fingerprint: '.length));
    assert.ok(verify.includes(fingerprintOf(der(pki.leafPem))), v.stderr);
    // Without the flag, nothing is logged.
    const quiet = await verifyCli(model, sig, [pki.files.root]);
    assert.equal(quiet.stderr, '');
  });
});

describe('certificate verification failures: exit 1, one line, typed errors', () => {
  /** Signs a fresh model with `pki` (through the API) and checks verification against `roots` fails with `code`. */
  async function expectFailure(pki: TestPki, roots: readonly string[], code: ErrorCode, chain?: readonly string[]): Promise<void> {
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    await signApi(model, sig, pki, chain);
    assertOneLineFailure(await verifyCli(model, sig, roots), VERIFY_PREFIX);
    await assertRejectsWith(verifyApi(model, sig, roots), VerificationError, code);
  }

  it("verified with another PKI's root (wrong CA): CERTIFICATE_CHAIN_INVALID", async () => {
    const pki = await makePki();
    const other = await makePki({}, 'test-root');
    await expectFailure(pki, [other.files.root], 'CERTIFICATE_CHAIN_INVALID');
  });

  it('verified with only the intermediate of another PKI: CERTIFICATE_CHAIN_INVALID', async () => {
    const pki = await makePki();
    const other = await makePki();
    await expectFailure(pki, [other.files.intermediate], 'CERTIFICATE_CHAIN_INVALID');
  });

  it('a leaf that has expired: CERTIFICATE_CHAIN_INVALID (validity is checked now, per the OMS spec)', async () => {
    const pki = await makePki({ notBefore: new Date(Date.now() - 5 * DAY), notAfter: new Date(Date.now() - DAY) });
    await expectFailure(pki, [pki.files.root], 'CERTIFICATE_CHAIN_INVALID');
  });

  it('a leaf that is not yet valid: CERTIFICATE_CHAIN_INVALID', async () => {
    const pki = await makePki({ notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 30 * DAY) });
    await expectFailure(pki, [pki.files.root], 'CERTIFICATE_CHAIN_INVALID');
  });

  const badUsages: Array<[string, LeafOptions]> = [
    ['KeyUsage keyCertSign only, EKU serverAuth only', { keyUsage: KeyUsage.keyCertSign, extKeyUsage: [SERVER_AUTH] }],
    ['KeyUsage keyEncipherment only, no EKU', { keyUsage: KeyUsage.keyEncipherment, extKeyUsage: null }],
    ['no KeyUsage, EKU serverAuth only', { keyUsage: null, extKeyUsage: [SERVER_AUTH] }],
  ];
  for (const [name, options] of badUsages) {
    it(`a leaf with ${name}: CERTIFICATE_USAGE_INVALID`, async () => {
      const pki = await makePki(options);
      await expectFailure(pki, [pki.files.root], 'CERTIFICATE_USAGE_INVALID');
    });
  }

  it("a leaf not issued by the embedded intermediate (an attacker's own leaf beside the real intermediate): CERTIFICATE_CHAIN_INVALID", async () => {
    const victim = await makePki();
    const attacker = await makePki();
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    // The attacker signs with its own key and certificate, and embeds the victim's (public) intermediate.
    await signApi(model, sig, attacker, [victim.files.intermediate]);
    assert.deepEqual(chainOf(sig), [der(attacker.leafPem), der(victim.intermediatePem)]);
    assertOneLineFailure(await verifyCli(model, sig, [victim.files.root]), VERIFY_PREFIX);
    await assertRejectsWith(verifyApi(model, sig, [victim.files.root]), VerificationError, 'CERTIFICATE_CHAIN_INVALID');
  });

  it('the intermediate missing from the bundle (signed without --certificate-chain): CERTIFICATE_CHAIN_INVALID', async () => {
    const pki = await makePki();
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    const s = await signCli(model, sig, pki, []);
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(chainOf(sig), [der(pki.leafPem)]);
    assertOneLineFailure(await verifyCli(model, sig, [pki.files.root]), VERIFY_PREFIX);
    await assertRejectsWith(verifyApi(model, sig, [pki.files.root]), VerificationError, 'CERTIFICATE_CHAIN_INVALID');
  });

  it("a signature made by a key other than the leaf's: SIGNATURE_INVALID", async () => {
    const pki = await makePki();
    const model = sampleModel();
    const dir = tempDir();
    const good = path.join(dir, 'good.sig');
    await signApi(model, good, pki);
    const payload = Buffer.from(readJson(good).dsseEnvelope.payload, 'base64');
    const intruder = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const forged = dsseBundle(intruder, payload, {
      x509CertificateChain: { certificates: [der(pki.leafPem), der(pki.intermediatePem)].map((d) => ({ rawBytes: d.toString('base64') })) },
      tlogEntries: [],
    });
    const sig = path.join(dir, 'forged.sig');
    fs.writeFileSync(sig, serializeBundle(forged));
    assertOneLineFailure(await verifyCli(model, sig, [pki.files.root]), VERIFY_PREFIX);
    await assertRejectsWith(verifyApi(model, sig, [pki.files.root]), VerificationError, 'SIGNATURE_INVALID');
    // Control: the genuine bundle of the same payload verifies.
    assert.equal((await verifyCli(model, good, [pki.files.root])).code, 0);
  });

  it('a payload edited after signing: SIGNATURE_INVALID', async () => {
    const pki = await makePki();
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    await signApi(model, sig, pki);
    const b = readJson(sig);
    const st = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8')) as SignedStatement;
    st.subject[0]!.name = 'renamed';
    b.dsseEnvelope.payload = Buffer.from(JSON.stringify(st)).toString('base64');
    fs.writeFileSync(sig, JSON.stringify(b));
    assertOneLineFailure(await verifyCli(model, sig, [pki.files.root]), VERIFY_PREFIX);
    await assertRejectsWith(verifyApi(model, sig, [pki.files.root]), VerificationError, 'SIGNATURE_INVALID');
  });

  it('the leaf swapped for another leaf of another PKI: the chain or the signature fails', async () => {
    const pki = await makePki();
    const other = await makePki();
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    await signApi(model, sig, pki);
    const b = readJson(sig);
    b.verificationMaterial.x509CertificateChain!.certificates = [der(other.leafPem), der(other.intermediatePem)].map((d) => ({
      rawBytes: d.toString('base64'),
    }));
    fs.writeFileSync(sig, JSON.stringify(b));
    assertOneLineFailure(await verifyCli(model, sig, [other.files.root]), VERIFY_PREFIX);
    await assertRejectsWith(verifyApi(model, sig, [other.files.root]), VerificationError, 'SIGNATURE_INVALID');
  });

  it('a tampered model file: exit 1, the file is listed', async () => {
    const pki = await makePki();
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    assert.equal((await signCli(model, sig, pki)).code, 0);
    fs.writeFileSync(path.join(model, 'd1/f12'), 'tampered');
    const r = await verifyCli(model, sig, [pki.files.root]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.startsWith(VERIFY_PREFIX), r.stderr);
    assert.ok(!r.stderr.includes('    at '), r.stderr);
    assert.match(r.stderr, /^changed: d1\/f12 /m);
    const result = await verifyApi(model, sig, [pki.files.root]);
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.diff.changed.map((c) => c.name),
      ['d1/f12'],
    );
  });

  it('a key bundle given to verify certificate: CERTIFICATE_CHAIN_INVALID', async () => {
    const pki = await makePki();
    const keys = makeKeyPair('P-256');
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    assert.equal((await runCli(['sign', 'key', model, '--signature', sig, '--private-key', keys.privateKey])).code, 0);
    assertOneLineFailure(await verifyCli(model, sig, [pki.files.root]), VERIFY_PREFIX);
    await assertRejectsWith(verifyApi(model, sig, [pki.files.root]), VerificationError, 'CERTIFICATE_CHAIN_INVALID');
  });

  it('a certificate bundle given to verify key: KEY_MISMATCH', async () => {
    const pki = await makePki();
    const model = sampleModel();
    const dir = tempDir();
    const sig = path.join(dir, 'model.sig');
    assert.equal((await signCli(model, sig, pki)).code, 0);
    const pub = path.join(dir, 'leaf.pub');
    fs.writeFileSync(pub, new crypto.X509Certificate(pki.leafPem).publicKey.export({ type: 'spki', format: 'pem' }));
    assertOneLineFailure(await runCli(['verify', 'key', model, '--signature', sig, '--public-key', pub]), VERIFY_PREFIX);
    const verifier = new KeyVerifier(loadPublicKey(fs.readFileSync(pub)));
    await assertRejectsWith(verifyModel(model, { verifier, pool: hashPool, signaturePath: sig }), VerificationError, 'KEY_MISMATCH');
  });

  it('a trust-anchor file with no certificate in it: exit 1', async () => {
    const pki = await makePki();
    const model = sampleModel();
    const dir = tempDir();
    const sig = path.join(dir, 'model.sig');
    assert.equal((await signCli(model, sig, pki)).code, 0);
    const notPem = path.join(dir, 'anchors.pem');
    fs.writeFileSync(notPem, 'no certificates here\n');
    assertOneLineFailure(await verifyCli(model, sig, [notPem]), VERIFY_PREFIX);
  });
});

describe('certificate leaf usage that is accepted', () => {
  const ok: Array<[string, LeafOptions, boolean]> = [
    ['neither KeyUsage nor EKU (accepted with a warning)', { keyUsage: null, extKeyUsage: null }, true],
    ['KeyUsage keyCertSign only, EKU codeSigning', { keyUsage: KeyUsage.keyCertSign, extKeyUsage: [CODE_SIGNING] }, false],
    ['KeyUsage digitalSignature, EKU serverAuth only', { keyUsage: KeyUsage.digitalSignature, extKeyUsage: [SERVER_AUTH] }, false],
    ['KeyUsage digitalSignature, no EKU', { keyUsage: KeyUsage.digitalSignature, extKeyUsage: null }, false],
  ];
  for (const [name, options, warns] of ok) {
    it(name, async () => {
      const pki = await makePki(options);
      const model = sampleModel();
      const sig = path.join(tempDir(), 'model.sig');
      const s = await signCli(model, sig, pki);
      assert.equal(s.code, 0, s.stderr);
      const v = await verifyCli(model, sig, [pki.files.root]);
      assert.equal(v.code, 0, v.stderr);
      assert.equal(v.stdout, 'Verification succeeded\n');
      const result = await verifyApi(model, sig, [pki.files.root]);
      assert.equal(result.ok, true);
      if (warns) {
        assert.ok(result.warnings.length > 0, 'expected a warning');
        assert.match(v.stderr, /^WARNING: /m);
        assert.equal(v.stderr.trimEnd().split('\n').length, result.warnings.length);
      } else {
        assert.deepEqual(result.warnings, []);
        assert.equal(v.stderr, '');
      }
    });
  }
});

describe('verify certificate with no --certificate-chain (the public CA store)', () => {
  it('a signer the store does not vouch for: one line, no warning', async () => {
    const pki = await makePki();
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    await signApi(model, sig, pki);
    const line = assertOneLineFailure(await verifyCli(model, sig, []), VERIFY_PREFIX);
    assert.doesNotMatch(line, /WARNING/);
  });

  it('an accepted signer is shown with its issuer and fingerprint, its names escaped, and the public-CA warning', async () => {
    const pki = await makePki();
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    await signApi(model, sig, pki);
    // The store is Node's own and fixed, so the accepted case is checked on the lines the CLI prints for it.
    const { signer } = await verifyApi(model, sig, [pki.files.root]);
    assert.equal(signer.method, 'certificate');
    if (signer.method !== 'certificate') return;
    const line = String(publicCaSignerLine(signer));
    assert.equal(line, `Accepted signer: ${signer.subject}, issued by ${signer.issuer} (SHA-256 ${fingerprintOf(der(pki.leafPem))})`);
    const hostile = String(publicCaSignerLine({ ...signer, subject: 'CN=evil\u202e\x1b[2K\rVerified', issuer: 'CN=a\u2066b\x85' }));
    assert.doesNotMatch(hostile, UNSAFE_CHARS);
    assert.ok(hostile.includes(`CN=evil${displayText('\u202e\x1b[2K\r')}Verified, issued by CN=a${displayText('\u2066')}b${displayText('\x85')} `), hostile);
    assert.match(PUBLIC_CA_WARNING, /--certificate-chain/);
    assert.match(PUBLIC_CA_WARNING, /TLS/);
  });
});

describe('signing failures with a certificate', () => {
  it('a private key that does not match the certificate: exit 1 (CERTIFICATE_KEY_MISMATCH), no signature written', async () => {
    const pki = await makePki();
    const other = await makePki();
    const model = sampleModel();
    const dir = tempDir();
    const sig = path.join(dir, 'model.sig');
    const r = await signCli(model, sig, pki, [pki.files.intermediate], other.files.leafKey);
    assertOneLineFailure(r, SIGN_PREFIX);
    assert.equal(fs.existsSync(sig), false);
    assert.deepEqual(fs.readdirSync(dir), []);
    assert.throws(
      () => new CertificateSigner(loadPrivateKey(other.leafKeyPem), der(pki.leafPem), [der(pki.intermediatePem)]),
      (e: unknown) => e instanceof FormatError && e.code === 'CERTIFICATE_KEY_MISMATCH',
    );
  });

  it('a key mismatch leaves an existing signature byte-identical', async () => {
    const pki = await makePki();
    const other = await makePki();
    const model = sampleModel();
    const dir = tempDir();
    const sig = path.join(dir, 'model.sig');
    assert.equal((await signCli(model, sig, pki)).code, 0);
    const before = fs.readFileSync(sig);
    assertOneLineFailure(await signCli(model, sig, pki, [pki.files.intermediate], other.files.leafKey), SIGN_PREFIX);
    assert.deepEqual(fs.readFileSync(sig), before);
    assert.deepEqual(fs.readdirSync(dir), ['model.sig']);
  });

  it('a signing certificate that is not a certificate: exit 1, no signature', async () => {
    const pki = await makePki();
    const model = sampleModel();
    const dir = tempDir();
    const sig = path.join(dir, 'model.sig');
    const r = await runCli(['sign', 'certificate', model, '--signature', sig, '--private-key', pki.files.leafKey, '--signing-certificate', pki.files.leafKey]);
    assertOneLineFailure(r, SIGN_PREFIX);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('sign certificate without --signing-certificate: exit 2', async () => {
    const pki = await makePki();
    const r = await runCli(['sign', 'certificate', sampleModel(), '--signature', path.join(tempDir(), 'model.sig'), '--private-key', pki.files.leafKey]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--signing-certificate/);
    assert.ok(!r.stderr.includes('    at '));
  });
});

describe("the reference's test PKI (RSA root and intermediate, P-384 leaf, certtool text before the PEM)", () => {
  const files = {
    root: path.join(TEST_PKI, 'ca-cert.pem'),
    intermediate: path.join(TEST_PKI, 'int-ca-cert.pem'),
    leaf: path.join(TEST_PKI, 'signing-key-cert.pem'),
    key: path.join(TEST_PKI, 'signing-key.pem'),
  };

  it('signs a temp model and verifies it with ca-cert.pem', async (t) => {
    assert.ok(!fs.readFileSync(files.key, 'utf8').startsWith('-----BEGIN'), 'the key vector should have certtool text before the armour');
    const leafText = fs.readFileSync(files.leaf, 'utf8');
    const leaf = new crypto.X509Certificate(leafText.slice(leafText.indexOf('-----BEGIN CERTIFICATE-----')));
    const notBefore = new Date(leaf.validFrom);
    const notAfter = new Date(leaf.validTo);
    // Today the leaf is valid from 2025-05-02 to 2035-04-30.
    if (Date.now() > notAfter.getTime() || Date.now() < notBefore.getTime()) {
      t.skip(`the reference leaf is valid ${leaf.validFrom} to ${leaf.validTo} only, not today`);
      return;
    }
    assert.equal(leaf.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');
    const model = makeModel({ 'signme-1': 'signme-1', 'signme-2': 'signme-2', 'sub/weights.bin': Buffer.alloc(4096, 7) }, 'ref-pki-model');
    const sig = path.join(tempDir(), 'model.sig');
    const s = await runCli([
      'sign',
      'certificate',
      model,
      '--signature',
      sig,
      '--private-key',
      files.key,
      '--signing-certificate',
      files.leaf,
      '--certificate-chain',
      files.intermediate,
    ]);
    assert.equal(s.code, 0, s.stderr);
    const intText = fs.readFileSync(files.intermediate, 'utf8');
    assert.deepEqual(chainOf(sig), [leaf.raw, der(intText)]);
    const v = await verifyCli(model, sig, [files.root]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout, 'Verification succeeded\n');
    const result = await verifyApi(model, sig, [files.root]);
    assert.equal(result.ok, true);
    // And a throwaway root does not vouch for it.
    const other = await makePki();
    assertOneLineFailure(await verifyCli(model, sig, [other.files.root]), VERIFY_PREFIX);
  });
});
