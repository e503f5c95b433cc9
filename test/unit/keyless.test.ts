import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, MT_TESTS, REPO, SignedStatement, readJson, runCli, sampleModel, tempDir } from '../helpers/fixtures';
import { DEFAULT_ISSUER, LocalSigstore, startLocalSigstore, startLocalSigstoreWithTrustFile } from '../helpers/localSigstore';
import { browserLogin, startOidcIssuer } from '../helpers/oidcIssuer';
import { signerIdentity, verifyJson } from '../helpers/cliJson';

// Keyless signing against the local Sigstore (Fulcio, Rekor, TSA on 127.0.0.1)
// through the real CLI and the real protocols; verification offline.

let sigstore: LocalSigstore;
let trust: string;
// No test may touch the user's TUF cache or the network: refreshes go to a closed port.
const tufEnv = { MODEL_SIGNING_TUF_CACHE: '', MODEL_SIGNING_TUF_MIRROR: 'http://127.0.0.1:9' };

before(async () => {
  tufEnv.MODEL_SIGNING_TUF_CACHE = tempDir('ms-tuf-');
  ({ sigstore, trustConfigPath: trust } = await startLocalSigstoreWithTrustFile());
});
after(() => sigstore.stop());

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { env: { ...tufEnv, ...env } });

async function signKeyless(model: string, email = 'alice@example.com', extra: string[] = []) {
  const token = await sigstore.mintToken({ email });
  const sig = path.join(tempDir(), 'model.sig');
  const r = await cli(['sign', 'sigstore', model, '--signature', sig, '--trust-config', trust, '--identity-token', token, ...extra]);
  return { r, sig, token };
}

const verifyArgs = (model: string, sig: string, identity = 'alice@example.com', issuer = DEFAULT_ISSUER, trustConfig = trust) => [
  'verify',
  'sigstore',
  model,
  '--signature',
  sig,
  '--trust-config',
  trustConfig,
  '--identity',
  identity,
  '--identity-provider',
  issuer,
];

describe('keyless signing with the local Sigstore', () => {
  it('signs and verifies; the bundle carries a Fulcio certificate, a Rekor dsse entry and a timestamp', async () => {
    const model = sampleModel();
    const { r, sig, token } = await signKeyless(model);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Signing succeeded\n');
    const b = readJson(sig);
    assert.equal(b.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.deepEqual(Object.keys(b), ['mediaType', 'verificationMaterial', 'dsseEnvelope']);
    assert.ok(b.verificationMaterial.certificate?.rawBytes);
    assert.equal(b.verificationMaterial.tlogEntries?.length, 1);
    assert.deepEqual((b.verificationMaterial.tlogEntries?.[0] as { kindVersion?: unknown } | undefined)?.kindVersion, { kind: 'dsse', version: '0.0.1' });
    assert.equal((b.verificationMaterial.timestampVerificationData as { rfc3161Timestamps?: unknown[] } | undefined)?.rfc3161Timestamps?.length, 1);
    assert.ok(!fs.readFileSync(sig, 'utf8').includes(token), 'the token is in the bundle');
    const v = await cli([...verifyArgs(model, sig), '--json']);
    assert.equal(v.code, 0, v.stderr);
    const out = verifyJson(v.stdout);
    assert.deepEqual(out.signer, { method: 'sigstore', identity: 'alice@example.com', issuer: DEFAULT_ISSUER });
    assert.equal(out.trustRoot?.source, 'trust-config');
    assert.equal(out.trustRoot?.path, trust);
    assert.match(out.trustRoot.date, /^\d{4}-\d\d-\d\dT/);
  });

  it('sign without a method word is keyless, as in the reference', async () => {
    const model = sampleModel();
    const token = await sigstore.mintToken({ email: 'bob@example.com' });
    const sig = path.join(tempDir(), 'model.sig');
    const r = await cli(['sign', model, '--signature', sig, '--trust_config', trust, '--identity_token', token]);
    assert.equal(r.code, 0, r.stderr);
    const v = await cli(['verify', model, '--signature', sig, '--trust-config', trust, '--identity', 'bob@example.com', '--identity_provider', DEFAULT_ISSUER]);
    assert.equal(v.code, 0, v.stderr);
  });

  it('fails as it must: a changed file, another identity (even a prefix), another issuer, another trusted root', async () => {
    const model = sampleModel();
    const { sig } = await signKeyless(model);
    const { sigstore: other, trustConfigPath: otherTrust } = await startLocalSigstoreWithTrustFile();
    await other.stop();
    const cases: Array<[string, string[], RegExp]> = [
      ['prefix of the identity', verifyArgs(model, sig, 'alice@example.co'), /not made by alice@example\.co /],
      ['another identity', verifyArgs(model, sig, 'mallory@example.com'), /not made by mallory@example\.com/],
      ['identity as a pattern', verifyArgs(model, sig, 'alice@example.c.m'), /not made by/],
      ['another issuer', verifyArgs(model, sig, 'alice@example.com', 'https://accounts.google.com'), /issuer/],
      ['another trusted root', verifyArgs(model, sig, 'alice@example.com', DEFAULT_ISSUER, otherTrust), /Keyless verification failed/],
    ];
    for (const [what, args, message] of cases) {
      const v = await cli(args);
      assert.equal(v.code, 1, what);
      assert.match(v.stderr, message, what);
      assert.equal(v.stderr.trim().split('\n').length, 1, `${what}: ${v.stderr}`);
    }
    fs.appendFileSync(path.join(model, 'f1'), '!');
    const changed = await cli(verifyArgs(model, sig));
    assert.equal(changed.code, 1);
    assert.match(changed.stderr, /changed: f1 /);
  });

  it('a certificate that had expired at the log and timestamp time fails', async () => {
    const stale = await startLocalSigstore({ caClockOffsetMs: -2 * 3600_000 });
    const staleTrust = path.join(tempDir(), 'stale.json');
    stale.writeTrustConfig(staleTrust);
    try {
      const model = sampleModel();
      const sig = path.join(tempDir(), 'model.sig');
      const token = await stale.mintToken({ email: 'alice@example.com' });
      const r = await cli(['sign', 'sigstore', model, '--signature', sig, '--trust-config', staleTrust, '--identity-token', token]);
      assert.equal(r.code, 0, r.stderr);
      const v = await cli(verifyArgs(model, sig, 'alice@example.com', DEFAULT_ISSUER, staleTrust));
      assert.equal(v.code, 1);
      assert.match(v.stderr, /CERTIFICATE_ERROR|expired/);
    } finally {
      await stale.stop();
    }
  });

  it('a bundle with its log entry removed, or its payload edited, fails', async () => {
    const model = sampleModel();
    const { sig } = await signKeyless(model);
    const b = readJson(sig);
    const noLog = path.join(tempDir(), 'nolog.sig');
    fs.writeFileSync(noLog, JSON.stringify({ ...b, verificationMaterial: { ...b.verificationMaterial, tlogEntries: [] } }));
    const v1 = await cli(verifyArgs(model, noLog));
    assert.equal(v1.code, 1);
    assert.match(v1.stderr, /transparency-log entry/);
    const st = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString()) as SignedStatement;
    st.predicate.resources[0]!.digest = '0'.repeat(64);
    const edited = path.join(tempDir(), 'edited.sig');
    fs.writeFileSync(edited, JSON.stringify({ ...b, dsseEnvelope: { ...b.dsseEnvelope, payload: Buffer.from(JSON.stringify(st)).toString('base64') } }));
    const v2 = await cli(verifyArgs(model, edited));
    assert.equal(v2.code, 1);
    assert.match(v2.stderr, /Keyless verification failed/);
  });

  it('uses ambient credentials only when asked: SIGSTORE_ID_TOKEN, and the GitHub Actions token endpoint', async () => {
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    const envToken = await sigstore.mintToken({ email: 'ci@example.com' });
    const r = await cli(['sign', 'sigstore', model, '--signature', sig, '--trust-config', trust, '--use-ambient-credentials'], { SIGSTORE_ID_TOKEN: envToken });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await cli(verifyArgs(model, sig, 'ci@example.com'))).code, 0);

    // GitHub Actions: a workflow identity (URI SAN), fetched with the runner's bearer token for audience sigstore.
    const workflow = 'https://github.com/acme/models/.github/workflows/release.yml@refs/heads/main';
    const actionsToken = await sigstore.mintToken({ sub: workflow, iss: 'https://token.actions.githubusercontent.com', repository: 'acme/models' });
    let seenAudience = '';
    const server = http.createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      seenAudience = url.searchParams.get('audience') ?? '';
      if (req.headers.authorization !== 'Bearer runner-secret') return void res.writeHead(401).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: actionsToken }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const env = { ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-secret' };
      const gh = await cli(['sign', 'sigstore', model, '--signature', sig, '--trust-config', trust, '--use-ambient-credentials'], env);
      assert.equal(gh.code, 0, gh.stderr);
      assert.equal(seenAudience, 'sigstore');
      const v = await cli([...verifyArgs(model, sig, workflow, 'https://token.actions.githubusercontent.com'), '--json']);
      assert.equal(v.code, 0, v.stderr);
      assert.equal(signerIdentity(verifyJson(v.stdout).signer), workflow);
      for (const out of [gh.stdout, gh.stderr, v.stdout, v.stderr]) assert.ok(!out.includes('runner-secret') && !out.includes(actionsToken));
    } finally {
      server.close();
    }
  });

  it('logs in interactively: the CLI prints the login URL, a browser signs in, the loopback callback completes it', async () => {
    const idp = await startOidcIssuer({ users: [{ email: 'carol@example.com' }] });
    const local = await startLocalSigstore({ oidcIssuerURL: idp.issuer });
    const localTrust = path.join(tempDir(), 'trust-oidc.json');
    local.writeTrustConfig(localTrust);
    try {
      const model = sampleModel();
      const sig = path.join(tempDir(), 'model.sig');
      const child = spawn(process.execPath, [CLI, 'sign', 'sigstore', model, '--signature', sig, '--trust-config', localTrust], {
        cwd: REPO,
        env: { ...process.env, ...tufEnv, PATH: '/nonexistent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (d) => {
          stderr += d;
          const m = /(http:\/\/127\.0\.0\.1:\d+\/auth\/auth\?\S+)/.exec(stderr);
          if (m) resolve(m[1]!);
        });
        child.on('close', () => reject(new Error(`CLI ended before printing a login URL: ${stderr}`)));
      });
      const authorize = new URL(url).searchParams;
      assert.equal(authorize.get('client_id'), 'sigstore');
      assert.equal(authorize.get('code_challenge_method'), 'S256');
      assert.match(authorize.get('redirect_uri')!, /^http:\/\/(127\.0\.0\.1|localhost):\d+\/auth\/callback$/);
      const login = await browserLogin(url, { email: 'carol@example.com' });
      assert.equal(login.callbackStatus, 200);
      const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
      assert.equal(code, 0, stderr);
      assert.equal(stdout, 'Signing succeeded\n');
      const v = await runCli(
        ['verify', 'sigstore', model, '--signature', sig, '--trust-config', localTrust, '--identity', 'carol@example.com', '--identity-provider', idp.issuer],
        { env: tufEnv },
      );
      assert.equal(v.code, 0, v.stderr);
      for (const secret of [idp.lastIdToken!, idp.lastTokenRequest?.get('code') ?? 'no code', idp.lastTokenRequest?.get('code_verifier') ?? 'no verifier']) {
        assert.ok(!stdout.includes(secret) && !stderr.includes(secret) && !fs.readFileSync(sig, 'utf8').includes(secret));
      }
    } finally {
      await local.stop();
      await idp.stop();
    }
  });

  it('never prints a token, also when signing fails', async () => {
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    // A token Fulcio cannot use (no email, no subject), and one that is not a JWT at all.
    const unusable = await sigstore.mintToken({ email: undefined, sub: undefined, email_verified: false, iss: DEFAULT_ISSUER });
    for (const token of [unusable, 'eyJhbGciOiJIUzI1NiJ9.bm90LWpzb24.c2lnbmF0dXJl', 'not-a-jwt-secret-value']) {
      const r = await cli(['sign', 'sigstore', model, '--signature', sig, '--trust-config', trust, '--identity-token', token]);
      assert.equal(r.code, 1);
      assert.ok(!r.stderr.includes(token) && !r.stdout.includes(token), r.stderr);
      assert.match(r.stderr, /^Signing failed with error: .+\n$/);
      assert.ok(!fs.existsSync(sig));
    }
  });
});

describe("the reference's keyless signatures, offline", () => {
  const ID = ['--identity', 'stefanb@us.ibm.com', '--identity-provider', 'https://sigstore.verify.ibm.com/oauth2'];
  for (const v of ['v0.3.1', 'v1.0.0', 'v1.0.1', 'v1.1.0']) {
    const dir = `${v}-sigstore`;
    const ignore = v === 'v1.0.1' ? ['--ignore-paths', `${dir}/ignore-me`] : [];
    it(`${dir} verifies with the built-in production root and fails for another identity or issuer`, async () => {
      const run = (args: string[]) =>
        runCli(['verify', 'sigstore', '--signature', `${dir}/model.sig`, dir, ...ignore, ...args], { cwd: MT_TESTS, env: tufEnv });
      const ok = await run([...ID, '--json']);
      assert.equal(ok.code, 0, ok.stderr);
      const out = verifyJson(ok.stdout);
      assert.equal(out.trustRoot?.source, 'embedded');
      assert.equal(signerIdentity(out.signer), 'stefanb@us.ibm.com');
      assert.equal((await run(['--identity', 'stefanb@us.ibm.co', '--identity-provider', 'https://sigstore.verify.ibm.com/oauth2'])).code, 1);
      assert.equal((await run(['--identity', 'stefanb@us.ibm.com', '--identity-provider', 'https://sigstore.verify.ibm.com/oauth'])).code, 1);
    });
  }

  it('a changed file fails, and an unreachable TUF mirror is only a warning', async () => {
    const copy = path.join(tempDir(), 'v1.1.0-sigstore');
    fs.cpSync(path.join(MT_TESTS, 'v1.1.0-sigstore'), copy, { recursive: true });
    const args = ['verify', 'sigstore', '--signature', path.join(copy, 'model.sig'), copy, ...ID];
    const fresh = await runCli([...args, '--refresh-trust-root'], { env: { ...tufEnv, MODEL_SIGNING_TUF_CACHE: tempDir('ms-tuf-') } });
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(
      fresh.stderr,
      /^WARNING: Could not refresh the Sigstore trusted root from http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\); using the built-in copy\n/,
    );
    fs.writeFileSync(path.join(copy, 'signme-2'), 'tampered');
    const bad = await runCli(args, { env: tufEnv });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /changed: signme-2 /);
  });
});
