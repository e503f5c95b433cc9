// The editor's GitHub session as the identity for keyless signing, over real
// HTTP on 127.0.0.1: a GitHub REST API stand-in, the local Sigstore (Fulcio,
// Rekor, TSA), a front that makes its Fulcio take GitHub tokens, and the OIDC
// stand-in as Sigstore's sign-in service.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as util from 'node:util';
import { ErrorCode, ModelSigningError } from '../../src/core/errors';
import { InlineHashPool } from '../../src/core/hashing/hashPool';
import { Bundle } from '../../src/core/signing/bundle';
import { signModel } from '../../src/core/signing/signModel';
import { Signer } from '../../src/core/signing/signer';
import {
  GITHUB_OAUTH_ISSUER,
  GitHubSessionProvider,
  GitHubSessionProviderOptions,
  SigningIdentityPreview,
  acceptsGitHubTokens,
} from '../../src/core/sigstore/githubSession';
import { identityFromToken } from '../../src/core/sigstore/identity';
import { SigstoreSigner } from '../../src/core/sigstore/sigstoreSigner';
import { SigstoreVerifier } from '../../src/core/sigstore/sigstoreVerifier';
import { TrustConfig, loadTrustConfig, productionTrustConfig } from '../../src/core/sigstore/trustConfig';
import { verifyModel } from '../../src/core/verifying/verifyModel';
import { sampleModel, tempDir } from '../helpers/fixtures';
import { GitHubAccount, GitHubApi, startGitHubApi } from '../helpers/githubApi';
import { GitHubFulcio, startGitHubFulcio } from '../helpers/githubFulcio';
import { LocalSigstore, startLocalSigstore } from '../helpers/localSigstore';
import { BrowserLoginOptions, OidcIssuer, browserLogin, startOidcIssuer } from '../helpers/oidcIssuer';
import { assertNoSecrets } from '../helpers/secrets';

const ghToken = () => `gho_${crypto.randomBytes(27).toString('base64url')}`;

const alice: GitHubAccount = {
  token: ghToken(),
  login: 'alice',
  emails: [
    { email: 'alice@work.example', primary: false, verified: true },
    { email: 'alice@example.com', primary: true, verified: true },
  ],
};
const bob: GitHubAccount = { token: ghToken(), login: 'bob', emails: [{ email: 'bob@example.com', primary: true, verified: true }] };
/** A public profile email that is not the primary one: Dex certifies the public one. */
const carol: GitHubAccount = {
  token: ghToken(),
  login: 'carol',
  publicEmail: 'carol@public.example',
  emails: [
    { email: 'carol@example.com', primary: true, verified: true },
    { email: 'carol@public.example', primary: false, verified: true },
  ],
};
/** A primary email that is not verified. */
const dave: GitHubAccount = { token: ghToken(), login: 'dave', emails: [{ email: 'dave@example.com', primary: true, verified: false }] };
/** A token without the user:email scope. */
const erin: GitHubAccount = { token: ghToken(), login: 'erin', emailScope: false, emails: [{ email: 'erin@example.com', primary: true, verified: true }] };

const session = (a: GitHubAccount, label = a.login) => ({ accessToken: a.token, account: { label, id: '1' } });

async function rejection(p: Promise<unknown>, code: ErrorCode): Promise<ModelSigningError> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => {
    caught = e;
    return true;
  });
  if (!(caught instanceof ModelSigningError)) assert.fail(`expected a ModelSigningError, got ${util.inspect(caught)}`);
  assert.equal(caught.code, code, `expected ${code}, got ${caught.code}: ${caught.message}`);
  return caught;
}

function trustFrom(write: (file: string) => void): TrustConfig {
  const file = path.join(tempDir(), 'trust.json');
  write(file);
  return loadTrustConfig(file);
}

/** A confirm that records what it saw, and what the servers had seen by then. */
function recorder(answer: boolean, snapshot: () => number = () => 0) {
  const seen: Array<{ preview: SigningIdentityPreview; before: number }> = [];
  return {
    seen,
    confirm: (p: SigningIdentityPreview) =>
      new Promise<boolean>((resolve) => {
        seen.push({ preview: p, before: snapshot() });
        resolve(answer);
      }),
  };
}

/** A browser that signs in on the stand-in's form as `email`, recording the URL it was sent to. */
function browser(opts: BrowserLoginOptions) {
  const urls: string[] = [];
  return {
    urls,
    openUrl: async (u: string) => {
      urls.push(u);
      await browserLogin(u, opts);
    },
  };
}

const hashPool = new InlineHashPool();

async function signAndVerify(signer: Signer, trustConfig: TrustConfig, identity: string, issuer: string): Promise<Bundle> {
  const model = sampleModel();
  const sig = path.join(tempDir(), 'model.sig');
  const { bundle } = await signModel(model, { signer, pool: hashPool, signaturePath: sig });
  const result = await verifyModel(model, { verifier: new SigstoreVerifier({ trustConfig, identity, issuer }), pool: hashPool, signaturePath: sig });
  assert.deepEqual(result.signer, { method: 'sigstore', identity, issuer });
  return bundle;
}

/**
 * What SigstoreSigner has to do for a credential that is not a JWT (not done
 * yet: @sigstore/sign's FulcioSigner reads the proof-of-possession subject out
 * of the token as a JWT). Here: the certificate authority of the signing
 * config gets the GitHub token, with the previewed identity signed by the
 * ephemeral key; Rekor and the TSA as @sigstore/sign picks them.
 */
let github: GitHubApi;
before(async () => {
  github = await startGitHubApi({ accounts: [alice, bob, carol, dave, erin] });
});
after(() => github.stop());

describe('a deployment whose Fulcio takes GitHub tokens: the session token is handed over', () => {
  let sigstore: LocalSigstore;
  let front: GitHubFulcio;
  let trust: TrustConfig;
  let plain: TrustConfig;
  const noLogin = { openUrl: () => assert.fail('no browser in this mode') };
  const provider = (a: GitHubAccount, extra: Partial<GitHubSessionProviderOptions> = {}) =>
    new GitHubSessionProvider({
      session: session(a),
      trustConfig: trust,
      login: noLogin,
      confirm: () => Promise.resolve(true),
      apiBase: github.apiBase,
      ...extra,
    });

  before(async () => {
    sigstore = await startLocalSigstore();
    front = await startGitHubFulcio({ sigstore, githubApiBase: github.apiBase });
    trust = trustFrom((f) => front.writeTrustConfig(f));
    plain = trustFrom((f) => sigstore.writeTrustConfig(f));
  });
  after(async () => {
    await front.stop();
    await sigstore.stop();
  });

  it("acceptsGitHubTokens: only a signing config whose oidcUrls lists GitHub's OAuth issuer", () => {
    assert.equal(acceptsGitHubTokens(trust), true);
    assert.equal(acceptsGitHubTokens(plain), false);
    assert.equal(acceptsGitHubTokens(productionTrustConfig()), false);
    const oidcUrls = trust.signingConfig!.oidcUrls as Array<Record<string, unknown>>;
    const ended = {
      ...trust,
      signingConfig: { ...trust.signingConfig, oidcUrls: [{ ...oidcUrls[0], validFor: { start: '2020-01-01T00:00:00Z', end: '2021-01-01T00:00:00Z' } }] },
    };
    assert.equal(acceptsGitHubTokens(ended), false, 'an entry that has ended');
  });

  it("preview: the login, the primary verified email, GitHub's issuer, via the token; asked with Bearer and the GitHub media type", async () => {
    const from = github.requests.length;
    const p = await provider(alice).preview();
    assert.deepEqual(
      { ...p, note: undefined },
      { account: 'alice', identity: 'alice@example.com', issuer: GITHUB_OAUTH_ISSUER, via: 'github-token', note: undefined },
    );
    assert.match(p.note, new RegExp(`sent to the Sigstore certificate authority at ${front.url.replace(/[.]/g, '\\.')}`));
    assert.match(p.note, /alice@example\.com, its primary verified email/);
    const asked = github.requests.slice(from);
    assert.deepEqual(asked.map((r) => r.path).sort(), ['/user', '/user/emails']);
    for (const r of asked) {
      assert.equal(r.authorization, `Bearer ${alice.token}`);
      assert.equal(r.accept, 'application/vnd.github+json');
      assert.equal(r.status, 200);
    }
    assert.ok(!JSON.stringify(provider(alice)).includes(alice.token), 'toJSON shows the token');
  });

  it("confirm sees the preview before Fulcio is asked; the token goes to Fulcio; the bundle verifies as the email with GitHub's issuer", async () => {
    const from = front.requests.length;
    const c = recorder(true, () => front.requests.length - from);
    const p = provider(alice, { confirm: c.confirm });
    await signAndVerify(new SigstoreSigner({ trustConfig: trust, identity: p }), trust, 'alice@example.com', GITHUB_OAUTH_ISSUER);
    assert.equal(c.seen.length, 1);
    assert.equal(c.seen[0]!.before, 0, 'Fulcio was asked before the confirmation');
    assert.equal(c.seen[0]!.preview.identity, 'alice@example.com');
    const sent = front.requests.slice(from);
    assert.equal(sent.length, 1);
    assert.deepEqual(
      { ...sent[0] },
      {
        method: 'POST',
        path: '/api/v2/signingCert',
        credential: 'github-token',
        received: alice.token,
        email: 'alice@example.com',
        status: 201,
      },
    );
  });

  it('SigstoreSigner signs with it as it is', async () => {
    const from = front.requests.length;
    try {
      await signAndVerify(new SigstoreSigner({ trustConfig: trust, identity: provider(alice) }), trust, 'alice@example.com', GITHUB_OAUTH_ISSUER);
    } catch (e) {
      assertNoSecrets(e, [alice.token]);
      throw e;
    }
    assert.equal(front.requests.slice(from)[0]?.credential, 'github-token');
  });

  it('a refused confirmation: CANCELLED through SigstoreSigner, nothing sent to Fulcio, no token in the error', async () => {
    const from = front.requests.length;
    const c = recorder(false);
    const signer = new SigstoreSigner({ trustConfig: trust, identity: provider(alice, { confirm: c.confirm }) });
    const model = sampleModel();
    const e = await rejection(signModel(model, { signer, pool: hashPool }), 'CANCELLED');
    assert.equal(e.data.reason, 'declined');
    assert.match(e.message, /alice@example\.com was not confirmed/);
    assert.equal(c.seen.length, 1);
    assert.equal(front.requests.length, from, 'a request reached Fulcio');
    assertNoSecrets(e, [alice.token]);
  });

  it('the front refuses a token GitHub does not know (401) and a proof of possession for another subject (400)', async () => {
    const from = front.requests.length;
    const post = (token: string, subject: string) => {
      const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return fetch(`${front.url}/api/v2/signingCert`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          credentials: { oidcIdentityToken: token },
          publicKeyRequest: {
            publicKey: { algorithm: 'ECDSA', content: publicKey.export({ format: 'pem', type: 'spki' }).toString() },
            proofOfPossession: crypto.sign('sha256', Buffer.from(subject), privateKey).toString('base64'),
          },
        }),
      });
    };
    assert.equal((await post(ghToken(), 'alice@example.com')).status, 401);
    assert.equal((await post(alice.token, 'mallory@example.com')).status, 400);
    assert.equal((await post(alice.token, 'alice@example.com')).status, 201);
    assert.deepEqual(
      front.requests.slice(from).map((r) => r.status),
      [401, 400, 201],
    );
  });
});

describe("Sigstore sign-in on the GitHub connector for the session's account", () => {
  let sigstore: LocalSigstore;
  let oidc: OidcIssuer;
  let trust: TrustConfig;
  const provider = (a: GitHubAccount, openUrl: (u: string) => Promise<void>, extra: Partial<GitHubSessionProviderOptions> = {}) =>
    new GitHubSessionProvider({
      session: session(a),
      trustConfig: trust,
      login: { openUrl, timeoutMs: 20_000 },
      confirm: () => Promise.resolve(true),
      apiBase: github.apiBase,
      ...extra,
    });

  before(async () => {
    oidc = await startOidcIssuer({
      users: [{ email: 'alice@example.com' }, { email: 'bob@example.com' }, { email: 'carol@public.example' }, { email: 'dave@example.com' }],
    });
    sigstore = await startLocalSigstore({ oidcIssuerURL: oidc.issuer });
    trust = trustFrom((f) => sigstore.writeTrustConfig(f));
  });
  after(async () => {
    await sigstore.stop();
    await oidc.stop();
  });

  it("preview: via the sign-in, the primary verified email, GitHub's issuer, and what is checked", async () => {
    const p = await provider(alice, () => new Promise<never>(() => assert.fail('no browser for a preview'))).preview();
    assert.equal(p.via, 'sigstore-login');
    assert.equal(p.account, 'alice');
    assert.equal(p.identity, 'alice@example.com');
    assert.equal(p.issuer, GITHUB_OAUTH_ISSUER);
    assert.match(p.note, /GitHub connector/);
    assert.match(p.note, /token is not sent to Sigstore/);
    assert.match(p.note, /If the browser signs in as anyone else, nothing is signed/);
    // The stand-in is not Sigstore's public sign-in service: the note says its issuer may differ.
    assert.ok(p.note.includes(`the sign-in service at ${oidc.issuer} may record its own address`), p.note);
  });

  it('confirm, then the sign-in with connector_id and login_hint; the ID token is the previewed identity; SigstoreSigner signs and it verifies', async () => {
    const events: string[] = [];
    const b = browser({ email: 'alice@example.com' });
    const p = provider(
      alice,
      async (u) => {
        events.push('browser');
        await b.openUrl(u);
      },
      {
        confirm: (preview) => {
          events.push(`confirm ${preview.identity}`);
          return Promise.resolve(true);
        },
      },
    );
    const tokenRequests = oidc.tokenRequests;
    // The stand-in's issuer is in the certificate: only Sigstore's Fulcio maps Dex's GitHub connector to GitHub's issuer.
    const bundle = await signAndVerify(new SigstoreSigner({ trustConfig: trust, identity: p }), trust, 'alice@example.com', oidc.issuer);
    assert.deepEqual(events, ['confirm alice@example.com', 'browser']);
    const sent = oidc.lastAuthorizeParams!;
    assert.equal(sent.get('connector_id'), GITHUB_OAUTH_ISSUER, "Sigstore's Dex names its GitHub connector by the issuer URL");
    assert.equal(sent.get('login_hint'), 'alice@example.com');
    assert.equal(oidc.tokenRequests, tokenRequests + 1);
    assert.deepEqual(identityFromToken(oidc.lastIdToken!), { issuer: oidc.issuer, identity: 'alice@example.com' });
    assert.ok(!JSON.stringify(bundle).includes(alice.token));
  });

  it('a private Dex that calls its connector "github": connectorId', async () => {
    const b = browser({ email: 'alice@example.com' });
    const credential = await provider(alice, b.openUrl, { connectorId: 'github' }).getCredential();
    assert.equal(oidc.lastAuthorizeParams!.get('connector_id'), 'github');
    assert.equal(credential.subject, 'alice@example.com');
    assert.equal(credential.token, oidc.lastIdToken);
  });

  it('the browser signs in as someone else: LOGIN_IDENTITY_MISMATCH naming both, without either token', async () => {
    const b = browser({ email: 'bob@example.com' });
    const e = await rejection(provider(alice, b.openUrl).getToken(), 'LOGIN_IDENTITY_MISMATCH');
    assert.equal(b.urls.length, 1);
    assert.match(e.message, /signed in to Sigstore as bob@example\.com/);
    assert.match(e.message, /alice \(alice@example\.com\)/);
    assert.deepEqual({ ...e.data }, { reason: 'identity', expected: 'alice@example.com', actual: 'bob@example.com', account: 'alice', issuer: oidc.issuer });
    assertNoSecrets(e, [alice.token, oidc.lastIdToken]);
    assert.equal(identityFromToken(oidc.lastIdToken!).identity, 'bob@example.com', 'the stand-in did sign bob in');
  });

  it('a refused confirmation opens no browser', async () => {
    const b = browser({ email: 'alice@example.com' });
    const c = recorder(false);
    const e = await rejection(provider(alice, b.openUrl, { confirm: c.confirm }).getToken(), 'CANCELLED');
    assert.equal(e.data.reason, 'declined');
    assert.equal(b.urls.length, 0);
    assert.equal(c.seen[0]!.preview.via, 'sigstore-login');
  });

  it('a public profile email is what Dex certifies, so it is what is previewed and checked', async () => {
    const p = await provider(carol, () => Promise.resolve()).preview();
    assert.equal(p.identity, 'carol@public.example');
    assert.match(p.note, /the public email of its GitHub profile/);
    const b = browser({ email: 'carol@public.example' });
    const credential = await provider(carol, b.openUrl).getCredential();
    assert.equal(oidc.lastAuthorizeParams!.get('login_hint'), 'carol@public.example');
    assert.equal(credential.subject, 'carol@public.example');
  });

  it('no primary verified email: the identity is unknown until sign-in, the check is skipped (and said so), the sign-in still works', async () => {
    const p = await provider(dave, () => Promise.resolve()).preview();
    assert.equal(p.identity, undefined);
    assert.equal(p.account, 'dave');
    assert.match(p.note, /no public or primary verified email for dave/);
    assert.match(p.note, /unknown until you sign in/);
    assert.match(p.note, /cannot be checked/);
    const b = browser({ email: 'dave@example.com' });
    const p2 = provider(dave, b.openUrl);
    const token = await p2.getToken();
    assert.equal(oidc.lastAuthorizeParams!.get('login_hint'), 'dave', 'the login is the hint');
    assert.equal(identityFromToken(token).identity, 'dave@example.com');
    await signAndVerify(new SigstoreSigner({ trustConfig: trust, identity: provider(dave, b.openUrl) }), trust, 'dave@example.com', oidc.issuer);
  });

  it('emails not visible to the session (no user:email scope): unknown, and said why', async () => {
    const p = await provider(erin, () => Promise.resolve()).preview();
    assert.equal(p.identity, undefined);
    assert.match(p.note, /needs the user:email scope/);
  });
});

describe('GitHub session: failures', () => {
  let plain: TrustConfig;
  let sigstore: LocalSigstore;
  before(async () => {
    sigstore = await startLocalSigstore({ oidcIssuerURL: 'http://127.0.0.1:9/auth' });
    plain = trustFrom((f) => sigstore.writeTrustConfig(f));
  });
  after(() => sigstore.stop());
  const opts = (token: string, extra: Partial<GitHubSessionProviderOptions> = {}): GitHubSessionProviderOptions => ({
    session: { accessToken: token, account: { label: 'alice' } },
    trustConfig: plain,
    login: { openUrl: () => assert.fail('no browser') },
    confirm: () => new Promise<never>(() => assert.fail('no confirmation')),
    apiBase: github.apiBase,
    ...extra,
  });

  it('a session token GitHub does not accept: GITHUB_API_FAILED with the status, not the token; no confirmation asked', async () => {
    const bad = ghToken();
    const p = new GitHubSessionProvider(opts(bad));
    const e1 = await rejection(p.preview(), 'GITHUB_API_FAILED');
    assert.equal(e1.data.status, 401);
    assert.equal(e1.data.reason, 'unauthorized');
    assert.match(e1.message, /HTTP 401/);
    const e2 = await rejection(p.getToken(), 'GITHUB_API_FAILED');
    for (const e of [e1, e2]) assertNoSecrets(e, [bad]);
  });

  it('an exhausted rate limit is said as such, not taken for a missing scope', async () => {
    const limited: GitHubAccount = { token: ghToken(), login: 'frank', rateLimited: true, emails: [] };
    github.accounts.push(limited);
    const e = await rejection(new GitHubSessionProvider(opts(limited.token)).preview(), 'GITHUB_API_FAILED');
    assert.equal(e.data.reason, 'rate-limited');
    assert.equal(e.data.status, 403);
    assert.match(e.message, /rate limit/);
    assertNoSecrets(e, [limited.token]);
  });

  it('GitHub unreachable, or too slow: typed errors', async () => {
    const e1 = await rejection(new GitHubSessionProvider(opts(alice.token, { apiBase: 'http://127.0.0.1:9' })).preview(), 'GITHUB_API_FAILED');
    assert.equal(e1.data.reason, 'network');
    assertNoSecrets(e1, [alice.token]);
    const http = await import('node:http');
    const silent = http.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (silent.address() as import('node:net').AddressInfo).port;
      const e2 = await rejection(
        new GitHubSessionProvider(opts(alice.token, { apiBase: `http://127.0.0.1:${port}`, fetchTimeoutMs: 200 })).preview(),
        'GITHUB_API_FAILED',
      );
      assert.equal(e2.data.reason, 'timeout');
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  it("a caller's signal cancels while waiting for the confirmation", async () => {
    const ac = new AbortController();
    const p = new GitHubSessionProvider(
      opts(alice.token, {
        confirm: () => {
          setTimeout(() => ac.abort(), 10);
          return new Promise<boolean>(() => undefined);
        },
      }),
    );
    const e = await rejection(p.getToken({ signal: ac.signal }), 'CANCELLED');
    assert.equal(e.data.reason, 'cancelled');
  });

  it('refuses bad options before any request: no token, plain http off loopback, a config with no sign-in and no GitHub CA', () => {
    const from = github.requests.length;
    const thrown = (fn: () => unknown, code: ErrorCode) => assert.throws(fn, (e: unknown) => e instanceof ModelSigningError && e.code === code);
    thrown(() => new GitHubSessionProvider(opts('')), 'INVALID_OPTION');
    thrown(() => new GitHubSessionProvider(opts(alice.token, { apiBase: 'http://api.github.example' })), 'INVALID_OPTION');
    const { oidcUrls: _, ...noOidc } = plain.signingConfig!;
    thrown(() => new GitHubSessionProvider(opts(alice.token, { trustConfig: { ...plain, signingConfig: noOidc } })), 'TRUST_CONFIG_INVALID');
    thrown(() => new GitHubSessionProvider(opts(alice.token, { login: { openUrl: () => undefined, timeoutMs: -1 } })), 'INVALID_OPTION');
    assert.equal(github.requests.length, from);
  });
});
