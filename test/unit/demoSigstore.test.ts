// `npm start`'s keyless setup (test/demo/demoSigstore.ts), against the real stand-ins over HTTP: one trust
// config under which a pasted token, the browser sign-in's issuer and the GitHub account all sign, and a
// page that hands out a fresh token on every visit.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { InlineHashPool } from '../../src/core/hashing/hashPool';
import { signModel } from '../../src/core/signing/signModel';
import type { Signer } from '../../src/core/signing/signer';
import { GITHUB_OAUTH_ISSUER, GitHubSessionProvider, acceptsGitHubTokens } from '../../src/core/sigstore/githubSession';
import { StaticTokenProvider } from '../../src/core/sigstore/identityToken';
import { SigstoreSigner } from '../../src/core/sigstore/sigstoreSigner';
import { SigstoreVerifier } from '../../src/core/sigstore/sigstoreVerifier';
import { TrustConfig, loadTrustConfig, oidcIssuerOf } from '../../src/core/sigstore/trustConfig';
import { verifyModel } from '../../src/core/verifying/verifyModel';
import { startTokenPage, writeDemoTrustConfig } from '../demo/demoSigstore';
import { sampleModel, tempDir } from '../helpers/fixtures';
import { GitHubApi, startGitHubApi } from '../helpers/githubApi';
import { GitHubFulcio, startGitHubFulcio } from '../helpers/githubFulcio';
import { LocalSigstore, startLocalSigstore } from '../helpers/localSigstore';
import { OidcIssuer, startOidcIssuer } from '../helpers/oidcIssuer';

const pool = new InlineHashPool();
const OCTOCAT = { token: 'gho_demo0123456789abcdef', login: 'octocat', id: 583231, emails: [{ email: 'octocat@example.com', primary: true, verified: true }] };

async function signsAs(signer: Signer, trustConfig: TrustConfig, identity: string, issuer: string): Promise<void> {
  const model = sampleModel();
  const signaturePath = path.join(tempDir(), 'model.sig');
  await signModel(model, { signer, pool, signaturePath });
  const result = await verifyModel(model, { verifier: new SigstoreVerifier({ trustConfig, identity, issuer }), pool, signaturePath });
  assert.deepEqual(result.signer, { method: 'sigstore', identity, issuer });
}

describe("npm start's keyless setup", () => {
  let idp: OidcIssuer;
  let sigstore: LocalSigstore;
  let api: GitHubApi;
  let front: GitHubFulcio;
  let trust: TrustConfig;
  before(async () => {
    idp = await startOidcIssuer({ users: [{ email: 'dev@example.com' }] });
    sigstore = await startLocalSigstore({ oidcIssuerURL: idp.issuer });
    api = await startGitHubApi({ accounts: [OCTOCAT] });
    front = await startGitHubFulcio({ sigstore, githubApiBase: api.apiBase });
    const dir = tempDir();
    front.writeTrustConfig(path.join(dir, 'github.json'));
    writeDemoTrustConfig(path.join(dir, 'github.json'), idp.issuer, path.join(dir, 'demo.json'));
    trust = loadTrustConfig(path.join(dir, 'demo.json'));
  });
  after(async () => {
    await front.stop();
    await api.stop();
    await sigstore.stop();
    await idp.stop();
  });

  it('the browser sign-in goes to the local issuer, and the certificate authority takes GitHub tokens', () => {
    assert.equal(oidcIssuerOf(trust), idp.issuer);
    assert.equal(acceptsGitHubTokens(trust), true);
  });

  it("a token from the local issuer signs through it, verified as the issuer's user", async () => {
    const token = await idp.mintToken({ email: 'dev@example.com', email_verified: true });
    await signsAs(new SigstoreSigner({ trustConfig: trust, identity: new StaticTokenProvider(token, 'pasted') }), trust, 'dev@example.com', idp.issuer);
  });

  it("the editor's GitHub account signs through it, verified as the account's email", async () => {
    const identity = new GitHubSessionProvider({
      session: { accessToken: OCTOCAT.token, account: { id: String(OCTOCAT.id), label: OCTOCAT.login } },
      trustConfig: trust,
      apiBase: api.apiBase,
      login: { openUrl: () => assert.fail('no browser when the CA takes GitHub tokens') },
      confirm: () => Promise.resolve(true),
    });
    assert.equal(identity.via, 'github-token');
    await signsAs(new SigstoreSigner({ trustConfig: trust, identity }), trust, 'octocat@example.com', GITHUB_OAUTH_ISSUER);
  });

  it('the token page mints a fresh token on every visit, never cached; anything but GET / is refused', async () => {
    let minted = 0;
    const page = await startTokenPage(() => idp.mintToken({ email: 'dev@example.com', email_verified: true, jti: String(++minted) }));
    try {
      const first = await fetch(page.url);
      assert.equal(first.headers.get('cache-control'), 'no-store');
      const a = await first.text();
      const b = await (await fetch(page.url)).text();
      assert.notEqual(a, b);
      assert.equal(minted, 2);
      for (const t of [a, b]) assert.equal(decodeJwt(t).iss, idp.issuer);
      assert.equal((await fetch(page.url, { method: 'POST' })).status, 405);
      assert.equal((await fetch(new URL('/other', page.url))).status, 404);
    } finally {
      await page.stop();
    }
  });
});
