// The local Sigstore stand-ins (test/helpers/localSigstore.ts), exercised through
// the real protocols: keyless DSSE signing with @sigstore/sign over HTTP, then
// offline verification with @sigstore/verify against the generated trusted root.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { X509Certificate } from 'node:crypto';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleFromJSON, bundleToJSON, type SerializedBundle } from '@sigstore/bundle';
import { ClientTrustConfig, SigningConfig, TrustedRoot } from '@sigstore/protobuf-specs';
import { DSSEBundleBuilder, FulcioSigner, RekorWitness, TSAWitness, bundleBuilderFromSigningConfig } from '@sigstore/sign';
import { Verifier, toSignedEntity, toTrustMaterial, type VerifierOptions } from '@sigstore/verify';
import { DEFAULT_ISSUER, startLocalSigstore, type LocalSigstore } from '../helpers/localSigstore';

const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const EMAIL = 'alice@example.com';

function statement(n = 0): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'model', digest: { sha256: 'a'.repeat(64) } }],
      predicateType: 'https://model_signing/signature/v1.0',
      predicate: { resources: [{ name: 'f0', algorithm: 'sha256', digest: n.toString(16).padStart(64, '0') }] },
    }),
  );
}

/** Keyless DSSE signing wired by hand: Fulcio + Rekor (dsse entry) + TSA. */
async function sign(s: LocalSigstore, token: string, data = statement()): Promise<SerializedBundle> {
  const builder = new DSSEBundleBuilder({
    signer: new FulcioSigner({ fulcioBaseURL: s.fulcioURL, identityProvider: { getToken: () => Promise.resolve(token) }, retry: 0 }),
    witnesses: [new RekorWitness({ rekorBaseURL: s.rekorURL, entryType: 'dsse', retry: 0 }), new TSAWitness({ tsaBaseURL: s.tsaURL, retry: 0 })],
  });
  return bundleToJSON(await builder.create({ data, type: PAYLOAD_TYPE }));
}

function escapeRegExp(x: string): string {
  return x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function verify(root: Record<string, unknown>, bundle: unknown, identity: string, issuer: string, options?: VerifierOptions) {
  const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(root)), options);
  return verifier.verify(toSignedEntity(bundleFromJSON(bundle)), {
    subjectAlternativeName: `^${escapeRegExp(identity)}$`,
    extensions: { issuer },
  });
}

/** Asserts that verification fails, with a message or code matching `pattern`. */
function assertRejected(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    const err = e as { code?: string; message?: string; cause?: { message?: string } };
    const text = `${err.code ?? ''} ${err.message ?? ''} ${err.cause?.message ?? ''}`;
    assert.match(text, pattern);
    return true;
  });
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** The JSON is what protobuf-specs itself writes: nothing unknown, nothing dropped. */
function assertCanonical(s: LocalSigstore): void {
  assert.deepEqual(TrustedRoot.toJSON(TrustedRoot.fromJSON(s.trustedRoot)), s.trustedRoot);
  assert.deepEqual(SigningConfig.toJSON(SigningConfig.fromJSON(s.signingConfig)), s.signingConfig);
  assert.deepEqual(ClientTrustConfig.toJSON(ClientTrustConfig.fromJSON(s.clientTrustConfig)), s.clientTrustConfig);
}

describe('local Sigstore (Fulcio, Rekor, TSA on 127.0.0.1)', () => {
  let s: LocalSigstore;
  let token: string;
  let good: SerializedBundle;
  const httpRequest = http.request;
  const ClientRequest = http.ClientRequest;

  before(async () => {
    s = await startLocalSigstore();
    token = await s.mintToken({ email: EMAIL });
    good = await sign(s, token);
  });
  after(() => s.stop());

  it('leaves node:http unpatched (nock restored after loading @sigstore/mock)', () => {
    assert.equal(http.request, httpRequest);
    assert.equal(http.ClientRequest, ClientRequest);
  });

  it('serves real loopback URLs, one port per service', () => {
    for (const u of [s.fulcioURL, s.rekorURL]) assert.match(u, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(s.tsaURL, /^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/timestamp$/);
    assert.equal(new Set([s.fulcioURL, s.rekorURL, new URL(s.tsaURL).origin]).size, 3);
  });

  it('mints an ES256 token with the expected claims', async () => {
    const t = await s.mintToken({ email: 'bob@example.com', repository: 'org/repo' });
    const [h, p, sig] = t.split('.');
    assert.ok(h && p && sig);
    assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url').toString()), { alg: 'ES256', typ: 'JWT', kid: 'local-sigstore' });
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims.iss, DEFAULT_ISSUER);
    assert.equal(claims.sub, 'bob@example.com');
    assert.equal(claims.email, 'bob@example.com');
    assert.equal(claims.email_verified, true);
    assert.equal(claims.aud, 'sigstore');
    assert.equal(claims.repository, 'org/repo');
    assert.equal(typeof claims.iat, 'number');
    assert.equal(claims.nbf, claims.iat);
    assert.equal(claims.exp, (claims.iat as number) + 600);
    assert.equal(Buffer.from(sig, 'base64url').length, 64); // raw r||s
  });

  it('writes a v0.3 bundle: certificate, canonical dsse Rekor entry, RFC 3161 timestamp', () => {
    assert.equal(good.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    const vm = good.verificationMaterial;
    assert.ok(vm.certificate);
    const entry = vm.tlogEntries[0];
    assert.ok(entry);
    assert.deepEqual(entry.kindVersion, { kind: 'dsse', version: '0.0.1' });
    assert.ok(entry.inclusionPromise && entry.inclusionProof);
    const integrated = Number(entry.integratedTime);
    assert.ok(integrated >= Math.floor(s.time.getTime() / 1000) && integrated <= Date.now() / 1000, `integratedTime ${integrated}`);
    const body = JSON.parse(Buffer.from(entry.canonicalizedBody, 'base64').toString()) as { spec: Record<string, unknown> };
    assert.deepEqual(Object.keys(body.spec).sort(), ['envelopeHash', 'payloadHash', 'signatures']);
    assert.equal(vm.timestampVerificationData?.rfc3161Timestamps.length, 1);
  });

  it('verifies the good bundle with the right SAN and issuer', () => {
    const signer = verify(s.trustedRoot, good, EMAIL, DEFAULT_ISSUER);
    assert.equal(signer.identity?.subjectAlternativeName, EMAIL);
    assert.equal(signer.identity?.extensions?.issuer, DEFAULT_ISSUER);
  });

  it('rejects a tampered payload', () => {
    const bad = clone(good);
    assert.ok(bad.dsseEnvelope);
    bad.dsseEnvelope.payload = statement(1).toString('base64');
    assertRejected(() => verify(s.trustedRoot, bad, EMAIL, DEFAULT_ISSUER), /TLOG_BODY_ERROR.*payload hash mismatch/);
  });

  it('rejects the wrong SAN, including a prefix of the right one', () => {
    assertRejected(() => verify(s.trustedRoot, good, 'mallory@example.com', DEFAULT_ISSUER), /UNTRUSTED_SIGNER_ERROR.*identity/);
    assertRejected(() => verify(s.trustedRoot, good, 'alice@example.co', DEFAULT_ISSUER), /UNTRUSTED_SIGNER_ERROR/);
  });

  it('rejects the wrong issuer', () => {
    assertRejected(() => verify(s.trustedRoot, good, EMAIL, 'https://accounts.example.com'), /UNTRUSTED_SIGNER_ERROR.*issuer/);
  });

  it('rejects a bundle whose Rekor entry was removed', () => {
    const bad = clone(good);
    bad.verificationMaterial.tlogEntries = [];
    assertRejected(() => verify(s.trustedRoot, bad, EMAIL, DEFAULT_ISSUER), /TLOG_ERROR.*expected 1 tlog entries, got 0/);
  });

  it('rejects a bundle against the trusted root of another instance', async () => {
    const other = await startLocalSigstore();
    try {
      assertRejected(() => verify(other.trustedRoot, good, EMAIL, DEFAULT_ISSUER), /TIMESTAMP_ERROR/); // checked first: the TSA
      // …and the other instance verifies its own bundles.
      const b = await sign(other, await other.mintToken({ email: EMAIL }));
      verify(other.trustedRoot, b, EMAIL, DEFAULT_ISSUER);
    } finally {
      await other.stop();
    }
  });

  it("stamps each request with the clock's time then, not the start time: a later signature is signed later", async () => {
    // The real clock while the server starts (its roots are made at the real time then), then a fixed later time.
    let now: number | undefined;
    const timed = await startLocalSigstore({ clock: () => now ?? Date.now() });
    try {
      now = Date.now() + 7 * 60_000; // a user signing seven minutes after the server started
      const b = await sign(timed, await timed.mintToken({ email: EMAIL }));
      const expected = Math.floor(now / 1000);
      assert.equal(Number(b.verificationMaterial.tlogEntries[0]?.integratedTime), expected);
      const cert = new X509Certificate(Buffer.from(b.verificationMaterial.certificate!.rawBytes, 'base64'));
      assert.equal(Date.parse(cert.validFrom) / 1000, expected - 60);
      const signer = verify(timed.trustedRoot, b, EMAIL, DEFAULT_ISSUER);
      assert.equal(signer.identity?.subjectAlternativeName, EMAIL);
      assert.ok(timed.time.getTime() < now - 6 * 60_000, 'time stays the start time');
    } finally {
      await timed.stop();
    }
  });

  it('rejects a certificate that had expired at log/timestamp time (caClockOffsetMs -2 h)', async () => {
    const late = await startLocalSigstore({ caClockOffsetMs: -2 * 3600_000 });
    try {
      const b = await sign(late, await late.mintToken({ email: EMAIL }));
      assertRejected(() => verify(late.trustedRoot, b, EMAIL, DEFAULT_ISSUER), /CERTIFICATE_ERROR.*not valid or expired/);
    } finally {
      await late.stop();
    }
  });

  it('uses `sub` as the SAN for tokens without email (CI-like) and maps GitHub claims', async () => {
    const sub = 'https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main';
    const issuer = 'https://token.actions.githubusercontent.com';
    const t = await s.mintToken({ sub, iss: issuer, repository: 'org/repo', ref: 'refs/heads/main' });
    const b = await sign(s, t);
    const signer = verify(s.trustedRoot, b, sub, issuer);
    assert.equal(signer.identity?.subjectAlternativeName, sub);
    // Source Repository URI (1.3.6.1.4.1.57264.1.12), DER UTF8String.
    const ext = signer.identity?.oids?.find((o) => o.oid?.id.join('.') === '1.3.6.1.4.1.57264.1.12');
    assert.ok(ext);
    assert.match(Buffer.from(ext.value).toString('latin1'), /https:\/\/github\.com\/org\/repo$/);
  });

  it('signs from the signing config with bundleBuilderFromSigningConfig', async () => {
    const builder = bundleBuilderFromSigningConfig({
      signingConfig: SigningConfig.fromJSON(s.signingConfig),
      identityProvider: { getToken: () => Promise.resolve(token) },
      bundleType: 'dsseEnvelope',
      fetchOptions: { timeout: 5000, retry: 0 },
    });
    const b = bundleToJSON(await builder.create({ data: statement(7), type: PAYLOAD_TYPE }));
    assert.equal(b.verificationMaterial.tlogEntries[0]?.kindVersion?.kind, 'dsse'); // default entry type
    assert.equal(b.verificationMaterial.timestampVerificationData?.rfc3161Timestamps.length, 1);
    verify(s.trustedRoot, b, EMAIL, DEFAULT_ISSUER);
  });

  it('has trust material in canonical protobuf-JSON form, and writes the ClientTrustConfig', () => {
    assertCanonical(s);
    assert.equal(s.trustedRoot.mediaType, 'application/vnd.dev.sigstore.trustedroot+json;version=0.1');
    assert.equal(s.signingConfig.mediaType, 'application/vnd.dev.sigstore.signingconfig.v0.2+json');
    assert.equal(s.clientTrustConfig.mediaType, 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json');
    assert.equal(s.signingConfig.oidcUrls, undefined); // no OIDC stand-in given
    const start = Date.parse((s.signingConfig.caUrls as Array<{ validFor: { start: string } }>)[0]?.validFor.start ?? '');
    assert.equal(start, s.time.getTime() - 60_000 - 3600_000); // back-dated 1 h before the CA clock
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-sigstore-'));
    try {
      const file = path.join(dir, 'sub', 'trust.json');
      s.writeTrustConfig(file);
      assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), s.clientTrustConfig);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers GET /api/v1/log/entries/{uuid} for an entry it logged, 404 otherwise', async () => {
    const post = await fetch(`${s.rekorURL}/api/v1/log/entries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: '0.0.1', kind: 'hashedrekord', spec: {} }),
    });
    assert.equal(post.status, 201);
    const created = (await post.json()) as Record<string, unknown>;
    const uuid = Object.keys(created)[0];
    assert.ok(uuid);
    const get = await fetch(`${s.rekorURL}/api/v1/log/entries/${uuid}`);
    assert.equal(get.status, 200);
    assert.deepEqual(await get.json(), created);
    assert.equal((await fetch(`${s.rekorURL}/api/v1/log/entries/${'0'.repeat(64)}`)).status, 404);
    assert.equal((await fetch(`${s.fulcioURL}/api/v1/log/entries`, { method: 'POST', body: '{}' })).status, 404);
  });

  it('30 sign + verify round trips, all verified (no TSA clock flake)', async () => {
    let ok = 0;
    for (let i = 0; i < 30; i++) {
      const b = await sign(s, token, statement(100 + i));
      verify(s.trustedRoot, b, EMAIL, DEFAULT_ISSUER);
      ok++;
    }
    assert.equal(ok, 30);
  });
});

describe('local Sigstore options', () => {
  it('tsa: false leaves the TSA out of the signing config and trusted root; tlog time suffices', async () => {
    const s = await startLocalSigstore({ tsa: false, oidcIssuerURL: 'http://127.0.0.1:9/oidc' });
    try {
      assertCanonical(s);
      assert.equal(s.signingConfig.tsaUrls, undefined);
      assert.equal(s.signingConfig.tsaConfig, undefined);
      assert.equal(s.trustedRoot.timestampAuthorities, undefined);
      assert.deepEqual(s.signingConfig.oidcUrls, [
        {
          url: 'http://127.0.0.1:9/oidc',
          majorApiVersion: 1,
          validFor: { start: (s.trustedRoot.certificateAuthorities as Array<{ validFor: { start: string } }>)[0]?.validFor.start },
          operator: 'localhost',
        },
      ]);
      const token = await s.mintToken({ email: EMAIL });
      assert.equal((JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { iss?: unknown }).iss, 'http://127.0.0.1:9/oidc');
      const b = bundleToJSON(
        await bundleBuilderFromSigningConfig({
          signingConfig: SigningConfig.fromJSON(s.signingConfig),
          identityProvider: { getToken: () => Promise.resolve(token) },
          bundleType: 'dsseEnvelope',
          fetchOptions: { retry: 0 },
        }).create({ data: statement(), type: PAYLOAD_TYPE }),
      );
      assert.equal(b.verificationMaterial.timestampVerificationData?.rfc3161Timestamps?.length, undefined); // dropped when empty
      assert.equal(b.verificationMaterial.tlogEntries?.length, 1);
      verify(s.trustedRoot, b, EMAIL, 'http://127.0.0.1:9/oidc');
    } finally {
      await s.stop();
    }
  });

  it('rekor: false leaves Rekor out; a TSA-only bundle verifies with tlogThreshold 0', async () => {
    const s = await startLocalSigstore({ rekor: false });
    try {
      assertCanonical(s);
      assert.equal(s.signingConfig.rekorTlogUrls, undefined);
      assert.equal(s.signingConfig.rekorTlogConfig, undefined);
      assert.equal(s.trustedRoot.tlogs, undefined);
      const token = await s.mintToken({ email: EMAIL });
      const b = bundleToJSON(
        await bundleBuilderFromSigningConfig({
          signingConfig: SigningConfig.fromJSON(s.signingConfig),
          identityProvider: { getToken: () => Promise.resolve(token) },
          bundleType: 'dsseEnvelope',
          fetchOptions: { retry: 0 },
        }).create({ data: statement(), type: PAYLOAD_TYPE }),
      );
      // bundleToJSON drops an empty tlogEntries, although SerializedBundle types it as required.
      assert.equal(b.verificationMaterial.tlogEntries, undefined);
      assertRejected(() => verify(s.trustedRoot, b, EMAIL, DEFAULT_ISSUER), /TLOG_ERROR/);
      verify(s.trustedRoot, b, EMAIL, DEFAULT_ISSUER, { tlogThreshold: 0 });
    } finally {
      await s.stop();
    }
  });

  it('stop() is idempotent and closes the ports', async () => {
    const s = await startLocalSigstore();
    await s.stop();
    await s.stop();
    await assert.rejects(fetch(`${s.rekorURL}/api/v1/log/entries/x`));
  });
});
