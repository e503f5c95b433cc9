// RFC 3161 timestamps on key and certificate signatures (issue 14): `sign --tsa-url` against the local
// timestamp authority, and verification at the timestamp's time, so a certificate signature made while the
// certificate was valid keeps verifying after it expires; untrusted, misplaced and late timestamps fail.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RFC3161Timestamp } from '@sigstore/core';
import {
  Bundle,
  CertificateVerifier,
  ModelSigningError,
  Rfc3161TimestampVerifier,
  TsaTimestamper,
  loadTrustConfig,
  timestampAuthoritiesOf,
  bundleTimestamps,
  parseBundle,
  parsePemCertificates,
  serializeBundle,
  signingTime,
  verifyModel,
} from '../../src/core';
import type { VerifyJson } from '../helpers/cliJson';
import { CliResult, makeKeyPair, pool, readJson, runCli, sampleModel, tempDir } from '../helpers/fixtures';
import { LocalSigstore, startLocalSigstoreWithTrustFile } from '../helpers/localSigstore';
import { LeafOptions, TestPki, makePki } from '../helpers/pki';

const HOUR = 3600_000;
const TSA_SUBJECT = 'CN=tsa signing, O=sigstore.mock';
const hashPool = pool(2);

let tsa: LocalSigstore;
let trustConfig: string;
/** A second local Sigstore: its timestamp authority is not the trusted one. */
let otherTsa: LocalSigstore;
let otherTrustConfig: string;

before(async () => {
  ({ sigstore: tsa, trustConfigPath: trustConfig } = await startLocalSigstoreWithTrustFile());
  ({ sigstore: otherTsa, trustConfigPath: otherTrustConfig } = await startLocalSigstoreWithTrustFile());
});
after(async () => {
  await Promise.all([tsa.stop(), otherTsa.stop()]);
  await hashPool.dispose();
});

function certificateSign(pki: TestPki, model: string, signature: string, ...more: string[]): Promise<CliResult> {
  const { leafKey, leaf, intermediate } = pki.files;
  return runCli([
    'sign',
    'certificate',
    model,
    '--private-key',
    leafKey,
    '--signing-certificate',
    leaf,
    '--certificate-chain',
    intermediate,
    '--signature',
    signature,
    ...more,
  ]);
}

function certificateVerify(pki: TestPki, model: string, signature: string, ...more: string[]): Promise<CliResult> {
  return runCli(['verify', 'certificate', model, '--signature', signature, '--certificate-chain', pki.files.root, ...more]);
}

function assertSucceeded(r: CliResult): void {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

/** A fresh PKI (its leaf as given) and sample model, signed with the leaf and these extra `sign` flags. */
async function certificateSigned(leaf: LeafOptions, ...flags: string[]): Promise<{ pki: TestPki; model: string; sig: string }> {
  const pki = await makePki(leaf);
  const model = sampleModel();
  const sig = path.join(tempDir(), 'model.sig');
  assertSucceeded(await certificateSign(pki, model, sig, ...flags));
  return { pki, model, sig };
}

/** Exit 1 and one line on stderr, no stack trace; returns that line. */
function oneLineFailure(r: CliResult): string {
  assert.equal(r.code, 1, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.ok(!r.stderr.includes('    at '), r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  return lines[0]!;
}

/** The local TSA's chain as a PEM file, signing certificate first, as its trusted root lists it. */
function tsaChainFile(sigstore: LocalSigstore): string {
  const authorities = sigstore.trustedRoot.timestampAuthorities as Array<{ certChain: { certificates: Array<{ rawBytes: string }> } }>;
  const pem = authorities[0]!.certChain.certificates.map((c) => new crypto.X509Certificate(Buffer.from(c.rawBytes, 'base64')).toString()).join('');
  const file = path.join(tempDir(), 'tsa-chain.pem');
  fs.writeFileSync(file, pem);
  return file;
}

/** Waits until the certificate's notAfter has passed (condition polling, no fixed sleep). */
async function untilExpired(certPem: string): Promise<void> {
  const notAfter = Date.parse(new crypto.X509Certificate(certPem).validTo);
  while (Date.now() <= notAfter + 1000) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('sign --tsa-url', () => {
  it('adds one RFC 3161 timestamp over the DSSE signature bytes, where Sigstore bundles keep it', async () => {
    const { sig } = await certificateSigned({}, '--tsa_url', tsa.tsaURL);
    const bundle = readJson(sig);
    const vm = bundle.verificationMaterial;
    assert.deepEqual(Object.keys(vm), ['x509CertificateChain', 'tlogEntries', 'timestampVerificationData']);
    assert.deepEqual(vm.tlogEntries, []);
    const [stamp, ...more] = bundleTimestamps(bundle);
    assert.equal(more.length, 0);
    const imprint = RFC3161Timestamp.parse(Buffer.from(stamp!)).tstInfo.messageImprintHashedMessage;
    const signature = Buffer.from(bundle.dsseEnvelope.signatures[0]!.sig, 'base64');
    assert.deepEqual(imprint, crypto.createHash('sha256').update(signature).digest());
  });

  it('on a key signature too; verify key reports the timestamp time and authority', async () => {
    const keys = makeKeyPair();
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    assertSucceeded(await runCli(['sign', 'key', model, '--private-key', keys.privateKey, '--signature', sig, '--tsa-url', tsa.tsaURL]));
    const r = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', keys.publicKey, '--trust-config', trustConfig, '--json']);
    assertSucceeded(r);
    const { validatedAt } = JSON.parse(r.stdout) as VerifyJson;
    assert.equal(validatedAt?.source, 'rfc3161-timestamp');
    assert.equal(validatedAt.source === 'rfc3161-timestamp' && validatedAt.tsa, TSA_SUBJECT);
  });

  it('an unreachable timestamp authority is one line, and no signature is written', async () => {
    const pki = await makePki();
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    const line = oneLineFailure(await certificateSign(pki, model, sig, '--tsa-url', 'http://127.0.0.1:9/api/v1/timestamp'));
    assert.match(line, /^Signing failed with error: Could not get a timestamp from http:\/\/127\.0\.0\.1:9\/api\/v1\/timestamp: /);
    assert.equal(fs.existsSync(sig), false);
  });

  it('attest does not take it (yet): a usage error, not a timestamp silently left out', async () => {
    const keys = makeKeyPair();
    const args = ['attest', sampleModel(), '--method', 'key', '--private-key', keys.privateKey, '--output', path.join(tempDir(), 'p.json')];
    const r = await runCli([...args, '--tsa-url', tsa.tsaURL]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /No such option: --tsa-url/);
  });

  it('a URL that is not http(s) is refused before anything is hashed', async () => {
    const pki = await makePki();
    const line = oneLineFailure(await certificateSign(pki, sampleModel(), path.join(tempDir(), 'model.sig'), '--tsa-url', 'file:///etc/passwd'));
    assert.match(line, /not an http\(s\) URL/);
  });
});

describe('verify with a timestamp', () => {
  it('a certificate that expired after a timestamped signature still verifies, at the timestamp time; without one it fails', async () => {
    const now = Date.now();
    const pki = await makePki({ notBefore: new Date(now - HOUR), notAfter: new Date(now + 3000) });
    const model = sampleModel();
    const stamped = path.join(tempDir(), 'stamped.sig');
    const plain = path.join(tempDir(), 'plain.sig');
    assertSucceeded(await certificateSign(pki, model, stamped, '--tsa-url', tsa.tsaURL));
    assertSucceeded(await certificateSign(pki, model, plain));
    await untilExpired(pki.leafPem);

    const r = await certificateVerify(pki, model, stamped, '--trust-config', trustConfig, '--json');
    assertSucceeded(r);
    const json = JSON.parse(r.stdout) as VerifyJson;
    assert.equal(json.verified, true);
    assert.equal(json.validatedAt?.source, 'rfc3161-timestamp');
    assert.ok(Date.parse(json.validatedAt.time) <= Date.parse(new crypto.X509Certificate(pki.leafPem).validTo));
    // The same with the TSA's chain given as a PEM file.
    assertSucceeded(await certificateVerify(pki, model, stamped, '--tsa-certificate-chain', tsaChainFile(tsa)));

    assert.match(oneLineFailure(await certificateVerify(pki, model, plain, '--trust-config', trustConfig)), /not yet valid or expired/);
  });

  it('a timestamp from a timestamp authority that is not trusted fails, with or without a trust config', async () => {
    const { pki, model, sig } = await certificateSigned({}, '--tsa-url', otherTsa.tsaURL);
    // Another authority with the same names: found by name and serial, but its signature does not verify.
    assert.match(oneLineFailure(await certificateVerify(pki, model, sig, '--trust-config', trustConfig)), /not from a trusted timestamp authority/);
    // The public-good root (the default) has no authority of that name at all.
    assert.match(oneLineFailure(await certificateVerify(pki, model, sig)), /issued by a timestamp authority that is not trusted/);
    assertSucceeded(await certificateVerify(pki, model, sig, '--trust-config', otherTrustConfig));
  });

  it('a timestamp over another signature fails', async () => {
    const pki = await makePki();
    const model = sampleModel();
    const first = path.join(tempDir(), 'first.sig');
    const second = path.join(tempDir(), 'second.sig');
    assertSucceeded(await certificateSign(pki, model, first, '--tsa-url', tsa.tsaURL));
    assertSucceeded(await certificateSign(pki, model, second));
    // ECDSA signatures differ each time: the first signature's timestamp does not cover the second.
    const grafted: Bundle = {
      ...readJson(second),
      verificationMaterial: {
        ...readJson(second).verificationMaterial,
        timestampVerificationData: readJson(first).verificationMaterial.timestampVerificationData,
      },
    };
    fs.writeFileSync(second, serializeBundle(grafted));
    assert.match(oneLineFailure(await certificateVerify(pki, model, second, '--trust-config', trustConfig)), /timestamp is over another signature/);
  });

  it('a signature timestamped after the certificate expired fails', async () => {
    const now = Date.now();
    const { pki, model, sig } = await certificateSigned({ notBefore: new Date(now - 3 * HOUR), notAfter: new Date(now - HOUR) }, '--tsa-url', tsa.tsaURL);
    assert.match(oneLineFailure(await certificateVerify(pki, model, sig, '--trust-config', trustConfig)), /not yet valid or expired/);
  });

  it('verify --json says the current time, and why, for a signature with no timestamp', async () => {
    const { pki, model, sig } = await certificateSigned({});
    const r = await certificateVerify(pki, model, sig, '--json');
    assertSucceeded(r);
    const { validatedAt } = JSON.parse(r.stdout) as VerifyJson;
    assert.deepEqual(validatedAt && { ...validatedAt, time: typeof validatedAt.time }, {
      source: 'current-time',
      time: 'string',
      reason: 'the signature has no timestamp',
    });
  });
});

describe('timestamps in the core', () => {
  it('without a timestamp verifier, a timestamped certificate signature is checked at the current time, with a warning', async () => {
    const { pki, model, sig } = await certificateSigned({}, '--tsa-url', tsa.tsaURL);
    const roots = parsePemCertificates(pki.rootPem);
    const result = await verifyModel(model, { verifier: new CertificateVerifier({ roots }), pool: hashPool, signaturePath: sig });
    assert.equal(result.ok, true);
    assert.equal(result.signingTime?.source, 'current-time');
    assert.ok(result.warnings.some((w) => w.startsWith('Signing time not proven: the signature has a timestamp, but no timestamp authority')));
    assert.equal((await signingTime(readJson(sig), undefined, new Date(0))).time, new Date(0).toISOString());
  });

  it('a timestamp that is no RFC 3161 answer fails, and so does one with no trusted authority at all', async () => {
    const verifier = new Rfc3161TimestampVerifier(timestampAuthoritiesOf(loadTrustConfig(trustConfig)));
    await assert.rejects(verifier.verify(Buffer.from('sig'), [Buffer.from('not DER')]), (e: ModelSigningError) => e.code === 'TIMESTAMP_INVALID');
    const signature = crypto.randomBytes(64);
    const stamp = await new TsaTimestamper(tsa.tsaURL).timestamp(signature);
    assert.equal((await verifier.verify(signature, [stamp]))[0]?.tsa, TSA_SUBJECT);
    await assert.rejects(new Rfc3161TimestampVerifier([]).verify(signature, [stamp, stamp]), (e: ModelSigningError) => {
      assert.equal(e.code, 'TIMESTAMP_UNTRUSTED');
      assert.match(e.message, /^The signature's timestamp 1 \(/);
      return true;
    });
  });

  it('a malformed timestampVerificationData is a bundle error; an empty one (old keyless vectors) is none', () => {
    const bundle = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      dsseEnvelope: { payload: 'e30=', payloadType: 'x', signatures: [{ sig: 'AAAA' }] },
    };
    const withData = (timestampVerificationData: unknown) =>
      JSON.stringify({ ...bundle, verificationMaterial: { publicKey: { hint: 'x' }, tlogEntries: [], timestampVerificationData } });
    assert.deepEqual(bundleTimestamps(parseBundle(withData({}))), []);
    assert.throws(() => parseBundle(withData({ rfc3161Timestamps: [{ signedTimestamp: '%%' }] })), /timestamp 0 is not base64/);
    assert.throws(() => parseBundle(withData({ rfc3161Timestamps: {} })), /rfc3161Timestamps is missing or not a list/);
  });
});
