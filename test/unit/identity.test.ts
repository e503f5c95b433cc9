// Identity providers for keyless signing, each against a stand-in over real
// HTTP on 127.0.0.1: the interactive login against the OIDC stand-in, the
// ambient provider against a GitHub Actions token endpoint stand-in.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as util from 'node:util';
import { decodeJwt } from 'jose';
import { ErrorCode, ModelSigningError, isModelSigningError } from '../../src/core/errors';
import {
  AmbientCredentialProvider,
  IdentityProvider,
  InteractiveLoginOptions,
  InteractiveLoginProvider,
  StaticTokenProvider,
  chooseIdentityProvider,
  identityFromToken,
} from '../../src/core/sigstore/identity';
import { AMBIENT_MARKS } from '../helpers/ciStandIns';
import { BrowserLoginOptions, BrowserLoginResult, OidcIssuer, browserLogin, startOidcIssuer } from '../helpers/oidcIssuer';
import { assertNoSecrets } from '../helpers/secrets';

const CALLBACK_RE = /^http:\/\/localhost:(\d+)\/auth\/callback$/;

/** Awaits a typed rejection with the given code and returns the error. */
async function rejection(p: Promise<unknown>, code: ErrorCode): Promise<ModelSigningError> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => {
    caught = e;
    return true;
  });
  return typed(caught, code);
}

function thrown(fn: () => unknown, code: ErrorCode): ModelSigningError {
  let caught: unknown;
  assert.throws(fn, (e: unknown) => {
    caught = e;
    return true;
  });
  return typed(caught, code);
}

function typed(e: unknown, code: ErrorCode): ModelSigningError {
  if (!isModelSigningError(e)) assert.fail(`expected a ModelSigningError, got ${util.inspect(e)}`);
  assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
  return e;
}

/** Resolves when nothing listens on the port any more. */
function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** An openUrl that is a browser: logs in with the form and follows the redirect to the callback. */
function browser(opts: BrowserLoginOptions): { openUrl: (url: string) => Promise<void>; result: Promise<BrowserLoginResult>; url: Promise<string> } {
  const result = deferred<BrowserLoginResult>();
  const url = deferred<string>();
  return {
    result: result.promise,
    url: url.promise,
    openUrl: async (u: string) => {
      url.resolve(u);
      try {
        result.resolve(await browserLogin(u, opts));
      } catch (e) {
        result.reject(e);
        throw e;
      }
    },
  };
}

function callbackPort(authorizationUrl: string): number {
  const redirect = new URL(authorizationUrl).searchParams.get('redirect_uri') ?? '';
  const m = CALLBACK_RE.exec(redirect);
  assert.ok(m, `redirect_uri ${redirect} is not the loopback callback`);
  return Number(m[1]);
}

function login(issuer: OidcIssuer, extra: Partial<InteractiveLoginOptions> & Pick<InteractiveLoginOptions, 'openUrl'>): InteractiveLoginProvider {
  return new InteractiveLoginProvider({ issuer: issuer.issuer, timeoutMs: 20_000, ...extra });
}

describe('InteractiveLoginProvider against the stand-in OIDC provider', () => {
  let issuer: OidcIssuer;
  before(async () => {
    issuer = await startOidcIssuer({ users: [{ email: 'dev@example.com' }, { email: 'alice@example.com', password: 'correct horse' }] });
  });
  after(() => issuer.stop());

  it('signs in with PKCE, state and nonce and returns a validated ID token', async () => {
    const b = browser({ email: 'dev@example.com' });
    const provider = login(issuer, { openUrl: b.openUrl });
    assert.equal(provider.name, 'interactive');
    const token = await provider.getToken();

    const claims = decodeJwt(token);
    const sent = issuer.lastAuthorizeParams!;
    assert.equal(claims.email, 'dev@example.com');
    assert.equal(claims.email_verified, true);
    assert.equal(claims.aud, 'sigstore');
    assert.equal(claims.iss, issuer.issuer);
    assert.equal(claims.nonce, sent.get('nonce'));
    assert.deepEqual(identityFromToken(token), { issuer: issuer.issuer, identity: 'dev@example.com' });

    assert.equal(sent.get('client_id'), 'sigstore');
    assert.equal(sent.get('response_type'), 'code');
    assert.equal(sent.get('code_challenge_method'), 'S256');
    assert.match(sent.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.ok((sent.get('state') ?? '').length >= 16, 'state');
    assert.ok((sent.get('nonce') ?? '').length >= 16, 'nonce');
    const scope = (sent.get('scope') ?? '').split(' ');
    assert.ok(scope.includes('openid') && scope.includes('email'), `scope ${sent.get('scope')}`);
    assert.equal(sent.get('connector_id'), null);
    assert.equal(sent.get('login_hint'), null);
    assert.match(sent.get('redirect_uri') ?? '', CALLBACK_RE);
    // The code verifier sent to the token endpoint matches the challenge (the stand-in checked it too).
    assert.equal(issuer.lastTokenRequest?.get('redirect_uri'), sent.get('redirect_uri'));

    const r = await b.result;
    assert.equal(r.callbackStatus, 200);
    assert.match(r.callbackBody ?? '', /close this tab/);
    assert.ok(await refusesConnections(callbackPort(await b.url)), 'the callback server is closed');
  });

  it('sends client_id, connector_id and login_hint; authenticates with a client secret; RS256 tokens', async () => {
    const other = await startOidcIssuer({
      alg: 'RS256',
      clientId: 'model-signing',
      clientSecret: 'sekrit-Client-Secret-1',
      users: [{ email: 'alice@example.com', password: 'correct horse', sub: 'alice' }],
    });
    try {
      const b = browser({ email: 'alice@example.com', password: 'correct horse' });
      const token = await login(other, {
        clientId: 'model-signing',
        clientSecret: 'sekrit-Client-Secret-1',
        connectorId: 'github',
        loginHint: 'alice@example.com',
        openUrl: b.openUrl,
      }).getToken();
      const sent = other.lastAuthorizeParams!;
      assert.equal(sent.get('client_id'), 'model-signing');
      assert.equal(sent.get('connector_id'), 'github');
      assert.equal(sent.get('login_hint'), 'alice@example.com');
      const claims = decodeJwt(token);
      assert.equal(claims.aud, 'model-signing');
      assert.equal(claims.sub, 'alice');
      assert.equal(claims.email, 'alice@example.com');
      assert.equal(other.tokenRequests, 1);
      assert.equal(other.lastTokenRequest?.get('client_secret'), null, 'client_secret_basic, not in the body');
    } finally {
      await other.stop();
    }
  });

  it('ignores other paths and a callback with the wrong state, then takes the real one', async () => {
    const done = deferred<void>();
    const seen: Array<[string, number]> = [];
    const provider = login(issuer, {
      openUrl: async (u) => {
        const r = await browserLogin(u, { email: 'dev@example.com', followCallback: false });
        const cb = r.callbackUrl!;
        const origin = cb.origin;
        for (const probe of [`${origin}/favicon.ico`, `${origin}/`, `${origin}/auth/callback/x?${cb.searchParams.toString()}`]) {
          seen.push([new URL(probe).pathname, (await fetch(probe)).status]);
        }
        const bad = new URL(cb);
        bad.searchParams.set('state', 'not-the-state');
        seen.push(['bad state', (await fetch(bad)).status]);
        const none = new URL(cb);
        none.searchParams.delete('state');
        seen.push(['no state', (await fetch(none)).status]);
        assert.equal(issuer.tokenRequests, count0, 'nothing was exchanged yet');
        seen.push(['real', (await fetch(cb)).status]);
        seen.push([
          'again',
          await fetch(cb).then(
            (r2) => r2.status,
            () => -1,
          ),
        ]);
        done.resolve();
      },
    });
    const count0 = issuer.tokenRequests;
    const token = await provider.getToken();
    assert.equal(decodeJwt(token).email, 'dev@example.com');
    assert.equal(issuer.tokenRequests, count0 + 1);
    await done.promise;
    assert.deepEqual(seen.slice(0, 6), [
      ['/favicon.ico', 404],
      ['/', 404],
      ['/auth/callback/x', 404],
      ['bad state', 400],
      ['no state', 400],
      ['real', 200],
    ]);
  });

  it('a callback with the wrong state only: no exchange, times out with a typed error', async () => {
    const count0 = issuer.tokenRequests;
    let badStatus = 0;
    const p = login(issuer, {
      timeoutMs: 1000,
      openUrl: async (u) => {
        await browserLogin(u, {
          email: 'dev@example.com',
          editCallback: (cb) => cb.searchParams.set('state', 'forged'),
        }).then((r) => {
          badStatus = r.callbackStatus ?? 0;
        });
      },
    }).getToken();
    const e = await rejection(p, 'OIDC_LOGIN_FAILED');
    assert.equal(e.data.reason, 'timeout');
    assert.equal(badStatus, 400);
    assert.equal(issuer.tokenRequests, count0);
  });

  it('a tampered code fails the exchange; neither code nor verifier is reported', async () => {
    let original = '';
    let tampered = '';
    const b = browser({
      email: 'dev@example.com',
      editCallback: (cb) => {
        original = cb.searchParams.get('code')!;
        tampered = `${original.slice(0, -2)}AA`;
        cb.searchParams.set('code', tampered);
      },
    });
    const e = await rejection(login(issuer, { openUrl: b.openUrl }).getToken(), 'OIDC_LOGIN_FAILED');
    assert.equal(e.data.error, 'invalid_grant');
    assert.equal(e.data.reason, 'exchange');
    // The stand-in quotes the code in its error_description: it must come out redacted.
    assert.match(e.message, /\[redacted\]/);
    assertNoSecrets(e, [original, tampered, issuer.lastTokenRequest?.get('code_verifier')]);
    const r = await b.result;
    assert.equal(r.callbackStatus, 400);
    assert.match(r.callbackBody ?? '', /Sign-in failed/);
    assert.ok(!(r.callbackBody ?? '').includes(tampered), 'the page does not show the code');
    assert.ok(await refusesConnections(callbackPort(await b.url)));
  });

  it('times out with a typed error and closes the callback server', async () => {
    const url = deferred<string>();
    const e = await rejection(login(issuer, { timeoutMs: 400, openUrl: (u) => url.resolve(u) }).getToken(), 'OIDC_LOGIN_FAILED');
    assert.equal(e.data.reason, 'timeout');
    assert.equal(e.data.timeoutMs, 400);
    assert.ok(await refusesConnections(callbackPort(await url.promise)), 'the port no longer accepts connections');
  });

  it("is cancelled by the caller's signal and closes the callback server", async () => {
    const url = deferred<string>();
    const ac = new AbortController();
    const p = login(issuer, { openUrl: (u) => url.resolve(u) }).getToken({ signal: ac.signal });
    const port = callbackPort(await url.promise);
    ac.abort();
    await rejection(p, 'CANCELLED');
    assert.ok(await refusesConnections(port));
  });

  it('the user denying access fails with a typed error', async () => {
    const b = browser({ email: 'dev@example.com', deny: true });
    const e = await rejection(login(issuer, { openUrl: b.openUrl }).getToken(), 'OIDC_LOGIN_FAILED');
    assert.equal(e.data.reason, 'denied');
    assert.equal(e.data.error, 'access_denied');
    assert.equal((await b.result).callbackStatus, 400);
  });

  it('a wrong password keeps the user on the login page', async () => {
    const url = deferred<string>();
    const p = login(issuer, { timeoutMs: 1000, openUrl: (u) => url.resolve(u) }).getToken();
    // Handled from the start: on a loaded machine the 1 s can pass before the browser is done.
    const failed = rejection(p, 'OIDC_LOGIN_FAILED');
    const r = await browserLogin(await url.promise, { email: 'alice@example.com', password: 'wrong' });
    assert.equal(r.loginStatus, 401);
    assert.match(r.page ?? '', /Invalid email or password/);
    assert.equal((await failed).data.reason, 'timeout');
  });

  for (const [flaw, claim] of [
    ['foreignKey', undefined],
    ['wrongNonce', 'nonce'],
    ['wrongAudience', 'aud'],
    ['wrongIssuer', 'iss'],
    ['expired', 'exp'],
  ] as const) {
    it(`openid-client rejects an ID token with ${flaw}`, async () => {
      issuer.misbehave = { [flaw]: true };
      try {
        const b = browser({ email: 'dev@example.com' });
        const e = await rejection(login(issuer, { openUrl: b.openUrl }).getToken(), 'OIDC_LOGIN_FAILED');
        assert.equal(e.data.reason, 'exchange');
        if (claim) assert.equal(e.data.claim, claim, e.message);
        assertNoSecrets(e, [issuer.lastIdToken, issuer.lastTokenRequest?.get('code'), issuer.lastTokenRequest?.get('code_verifier')]);
        assert.equal((await b.result).callbackStatus, 400);
      } finally {
        issuer.misbehave = {};
      }
    });
  }

  it('a wrong client secret fails without showing either secret', async () => {
    const other = await startOidcIssuer({ clientSecret: 'the-Right-Secret-42' });
    try {
      const b = browser({ email: 'dev@example.com' });
      const e = await rejection(login(other, { clientSecret: 'a-Wrong-Secret-17', openUrl: b.openUrl }).getToken(), 'OIDC_LOGIN_FAILED');
      assert.equal(e.data.error, 'invalid_client');
      assertNoSecrets(e, ['a-Wrong-Secret-17', 'the-Right-Secret-42', other.lastTokenRequest?.get('code'), other.lastTokenRequest?.get('code_verifier')]);
      assert.ok(
        !JSON.stringify(new InteractiveLoginProvider({ issuer: other.issuer, clientSecret: 'a-Wrong-Secret-17', openUrl: () => undefined })).includes(
          'a-Wrong-Secret-17',
        ),
      );
      assert.ok(
        !util
          .inspect(new InteractiveLoginProvider({ issuer: other.issuer, clientSecret: 'a-Wrong-Secret-17', openUrl: () => undefined }))
          .includes('a-Wrong-Secret-17'),
      );
    } finally {
      await other.stop();
    }
  });

  it('out-of-band: the code is read from the page and entered by the user', async () => {
    const code = deferred<string>();
    let authUrl = '';
    const token = await login(issuer, {
      forceOob: true,
      openUrl: async (u) => {
        authUrl = u;
        const r = await browserLogin(u, { email: 'dev@example.com' });
        assert.equal(r.loginStatus, 200);
        assert.ok(r.oobCode, 'the page shows a code');
        code.resolve(`  ${r.oobCode}\n`);
      },
      readCode: () => code.promise,
    }).getToken();
    assert.equal(new URL(authUrl).searchParams.get('redirect_uri'), 'urn:ietf:wg:oauth:2.0:oob');
    assert.equal(issuer.lastAuthorizeParams?.get('redirect_uri'), 'urn:ietf:wg:oauth:2.0:oob');
    assert.equal(decodeJwt(token).email, 'dev@example.com');
    assert.equal(decodeJwt(token).nonce, issuer.lastAuthorizeParams?.get('nonce'));
  });

  it('out-of-band: a wrong code fails with a typed error that does not show it', async () => {
    const e = await rejection(
      login(issuer, {
        forceOob: true,
        openUrl: () => undefined,
        readCode: () => Promise.resolve('made-up-code-0123456789'),
      }).getToken(),
      'OIDC_LOGIN_FAILED',
    );
    assert.equal(e.data.error, 'invalid_grant');
    assertNoSecrets(e, ['made-up-code-0123456789']);
  });

  it('a forwarded callback (a remote machine): the issuer is sent the forwarded URI, the listener gets the redirect', async () => {
    // What Remote-SSH's port forwarding does: another local port, the same path, onto the listener.
    let listener = 0;
    const forwarder = net.createServer((client) => {
      const upstream = net.connect(listener, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => forwarder.listen(0, '127.0.0.1', r));
    const forwarded = (forwarder.address() as AddressInfo).port;
    try {
      const modes: string[] = [];
      const b = browser({ email: 'dev@example.com' });
      const token = await login(issuer, {
        exposeCallback: (loopback) => {
          listener = Number(CALLBACK_RE.exec(loopback)?.[1]);
          return `http://127.0.0.1:${forwarded}/auth/callback`;
        },
        openUrl: (u, mode) => {
          modes.push(mode);
          return b.openUrl(u);
        },
      }).getToken();
      assert.deepEqual(modes, ['loopback']);
      assert.equal(issuer.lastAuthorizeParams?.get('redirect_uri'), `http://127.0.0.1:${forwarded}/auth/callback`);
      assert.equal(issuer.lastTokenRequest?.get('redirect_uri'), `http://127.0.0.1:${forwarded}/auth/callback`);
      assert.equal((await b.result).callbackStatus, 200);
      assert.equal(decodeJwt(token).email, 'dev@example.com');
    } finally {
      await new Promise((r) => forwarder.close(r));
    }
  });

  it('a callback the browser cannot reach: the out-of-band code instead, and the listener closes', async () => {
    let loopback = '';
    const modes: string[] = [];
    const code = deferred<string>();
    const token = await login(issuer, {
      exposeCallback: (uri) => {
        loopback = uri;
        return undefined;
      },
      openUrl: async (u, mode) => {
        modes.push(mode);
        assert.ok(await refusesConnections(Number(CALLBACK_RE.exec(loopback)?.[1])), 'the unreachable listener is closed before the browser opens');
        code.resolve((await browserLogin(u, { email: 'dev@example.com' })).oobCode!);
      },
      readCode: () => code.promise,
    }).getToken();
    assert.deepEqual(modes, ['oob']);
    assert.equal(issuer.lastAuthorizeParams?.get('redirect_uri'), 'urn:ietf:wg:oauth:2.0:oob');
    assert.equal(decodeJwt(token).email, 'dev@example.com');
  });

  it('an unreachable callback and no way to type a code: a typed error before any browser opens', async () => {
    let opened = false;
    const e = await rejection(
      login(issuer, {
        exposeCallback: () => undefined,
        openUrl: () => {
          opened = true;
        },
      }).getToken(),
      'OIDC_LOGIN_FAILED',
    );
    assert.equal(e.data.reason, 'no-callback');
    assert.equal(opened, false);
  });

  it('an exposed callback that is no redirect URI (a fragment, not http) is refused', async () => {
    for (const bad of ['http://localhost:1/auth/callback#x', 'vscode://ext/callback', 'not a url']) {
      await rejection(login(issuer, { exposeCallback: () => bad, openUrl: () => undefined }).getToken(), 'INVALID_OPTION');
    }
  });

  it("the stand-in, like Dex for the public 'sigstore' client, refuses a redirect that is not http on loopback", async () => {
    // code-server's proxy URL for the listener, as asExternalUri gives it on a remote host.
    const b = browser({ email: 'dev@example.com' });
    const e = await rejection(
      login(issuer, {
        timeoutMs: 3000,
        exposeCallback: (u) => `https://ide.example.com/proxy/${CALLBACK_RE.exec(u)?.[1]}/auth/callback`,
        openUrl: b.openUrl,
      }).getToken(),
      'OIDC_LOGIN_FAILED',
    );
    assert.equal(e.data.reason, 'browser');
    await assert.rejects(b.result, /HTTP 400: .*Unregistered redirect_uri/s);
  });

  it("the caller's typed error from openUrl (a prompt dismissed while waiting) ends the login as it is; onDone runs once", async () => {
    let done = 0;
    let port = 0;
    const e = await rejection(
      login(issuer, {
        openUrl: (u) => {
          port = callbackPort(u);
          return Promise.reject(new ModelSigningError('CANCELLED', 'The sign-in was cancelled', { reason: 'cancelled' }));
        },
        onDone: () => done++,
      }).getToken(),
      'CANCELLED',
    );
    assert.equal(e.message, 'The sign-in was cancelled');
    assert.equal(done, 1);
    assert.ok(await refusesConnections(port), 'the listener is closed');
    const b = browser({ email: 'dev@example.com' });
    await login(issuer, { openUrl: b.openUrl, onDone: () => done++ }).getToken();
    assert.equal(done, 2, 'after a successful login too');
  });

  it('out-of-band needs readCode', () => {
    thrown(() => new InteractiveLoginProvider({ issuer: issuer.issuer, forceOob: true, openUrl: () => undefined }), 'INVALID_OPTION');
  });

  it('a failing openUrl fails the login with a typed error and closes the server', async () => {
    let port = 0;
    const e = await rejection(
      login(issuer, {
        openUrl: (u) => {
          port = callbackPort(u);
          throw new Error('no browser');
        },
      }).getToken(),
      'OIDC_LOGIN_FAILED',
    );
    assert.equal(e.data.reason, 'browser');
    assert.ok(await refusesConnections(port));
  });

  it('an unreachable issuer fails discovery with a typed error', async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const { port } = dead.address() as AddressInfo;
    await new Promise<void>((r) => dead.close(() => r()));
    let opened = false;
    const e = await rejection(
      new InteractiveLoginProvider({
        issuer: `http://127.0.0.1:${port}/auth`,
        openUrl: () => {
          opened = true;
        },
      }).getToken(),
      'OIDC_LOGIN_FAILED',
    );
    assert.equal(e.data.reason, 'discovery');
    assert.equal(opened, false);
  });

  it('refuses plain-http issuers that are not loopback, before any request', () => {
    const realFetch = globalThis.fetch;
    let calls = 0;
    globalThis.fetch = (...args: Parameters<typeof fetch>) => {
      calls++;
      return realFetch(...args);
    };
    try {
      for (const bad of ['http://example.invalid/auth', 'http://127.0.0.2:5556/auth', 'http://10.0.0.1/auth', 'ftp://127.0.0.1/auth', 'not a url']) {
        const e = thrown(
          () =>
            new InteractiveLoginProvider({
              issuer: bad,
              openUrl: () => {
                throw new Error('must not open');
              },
            }),
          'INVALID_OPTION',
        );
        assert.equal(e.data.option, 'issuer');
        thrown(() => chooseIdentityProvider({ interactive: { issuer: bad, openUrl: () => undefined } }), 'INVALID_OPTION');
      }
      for (const ok of ['https://oauth2.sigstore.dev/auth', 'http://127.0.0.1:5556/auth', 'http://localhost:5556/auth', 'http://[::1]:5556/auth']) {
        assert.equal(new InteractiveLoginProvider({ issuer: ok, openUrl: () => undefined }).name, 'interactive');
      }
      assert.equal(calls, 0);
    } finally {
      globalThis.fetch = realFetch;
    }
  });
});

// ---------------------------------------------------------------------------

/** The ambient sources' variables, and the other environments' marks: a test run inside one must not find it. */
const AMBIENT_VARS = AMBIENT_MARKS;

/** Runs with exactly these ambient variables set (CIContextProvider reads process.env). */
async function withEnv<T>(vars: Partial<Record<(typeof AMBIENT_VARS)[number], string>>, fn: () => T | Promise<T>): Promise<T> {
  const saved = Object.fromEntries(AMBIENT_VARS.map((k) => [k, process.env[k]]));
  for (const k of AMBIENT_VARS) {
    const v = vars[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const k of AMBIENT_VARS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

describe('AmbientCredentialProvider', () => {
  const REQUEST_TOKEN = 'gha-Request-Token-7f3e9a';
  let issuer: OidcIssuer;
  let ghaToken: string;
  let gha: http.Server;
  let ghaUrl: string;
  const ghaRequests: Array<{ audience: string | null; apiVersion: string | null; auth: string | undefined }> = [];

  before(async () => {
    issuer = await startOidcIssuer();
    ghaToken = await issuer.mintToken({ sub: 'repo:octo/models:ref:refs/heads/main', iss: 'https://token.actions.githubusercontent.com' });
    gha = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      ghaRequests.push({ audience: url.searchParams.get('audience'), apiVersion: url.searchParams.get('api-version'), auth: req.headers.authorization });
      res.setHeader('Content-Type', 'application/json');
      if (url.pathname === '/html') {
        res.setHeader('Content-Type', 'text/html');
        res.end('<html>maintenance</html>');
      } else if (url.pathname !== '/token' || req.headers.authorization !== `Bearer ${REQUEST_TOKEN}`) {
        res.statusCode = 401;
        res.end(JSON.stringify({ message: 'Bad credentials' }));
      } else if (url.searchParams.get('audience') !== 'sigstore') {
        res.statusCode = 400;
        res.end(JSON.stringify({ message: 'bad audience' }));
      } else {
        res.end(JSON.stringify({ count: 1, value: ghaToken }));
      }
    });
    await new Promise<void>((r) => gha.listen(0, '127.0.0.1', () => r()));
    ghaUrl = `http://127.0.0.1:${(gha.address() as AddressInfo).port}/token?api-version=2.0`;
  });
  after(async () => {
    await new Promise<void>((r) => {
      gha.close(() => r());
      gha.closeAllConnections();
    });
    await issuer.stop();
  });

  it('detect() looks at the GitHub Actions variables and SIGSTORE_ID_TOKEN', () => {
    assert.equal(AmbientCredentialProvider.detect({}), false);
    assert.equal(AmbientCredentialProvider.detect({ ACTIONS_ID_TOKEN_REQUEST_URL: 'http://x' }), false);
    assert.equal(AmbientCredentialProvider.detect({ ACTIONS_ID_TOKEN_REQUEST_URL: 'http://x', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' }), true);
    assert.equal(AmbientCredentialProvider.detect({ SIGSTORE_ID_TOKEN: 'x' }), true);
    assert.equal(AmbientCredentialProvider.detect({ SIGSTORE_ID_TOKEN: '' }), false);
  });

  it('fetches the GitHub Actions token with the request token and audience sigstore', async () => {
    ghaRequests.length = 0;
    const token = await withEnv({ ACTIONS_ID_TOKEN_REQUEST_URL: ghaUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN }, () =>
      new AmbientCredentialProvider().getToken(),
    );
    assert.equal(token, ghaToken);
    assert.deepEqual(ghaRequests, [{ audience: 'sigstore', apiVersion: '2.0', auth: `Bearer ${REQUEST_TOKEN}` }]);
    assert.deepEqual(identityFromToken(token), { issuer: 'https://token.actions.githubusercontent.com', identity: 'repo:octo/models:ref:refs/heads/main' });
  });

  it('takes SIGSTORE_ID_TOKEN alone', async () => {
    const token = await issuer.mintToken({ email: 'ci@example.com', email_verified: true });
    assert.equal(await withEnv({ SIGSTORE_ID_TOKEN: token }, () => new AmbientCredentialProvider().getToken()), token);
  });

  it('with neither: IDENTITY_TOKEN_UNAVAILABLE', async () => {
    const e = await rejection(
      withEnv({}, () => new AmbientCredentialProvider().getToken()),
      'IDENTITY_TOKEN_UNAVAILABLE',
    );
    assert.deepEqual(e.data.sources, []);
  });

  it('a wrong request token: a typed error that shows neither token', async () => {
    const e = await rejection(
      withEnv({ ACTIONS_ID_TOKEN_REQUEST_URL: ghaUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong-Request-Token-0000' }, () =>
        new AmbientCredentialProvider().getToken(),
      ),
      'IDENTITY_TOKEN_UNAVAILABLE',
    );
    assert.deepEqual(e.data.sources, ['github-actions']);
    assertNoSecrets(e, ['wrong-Request-Token-0000', REQUEST_TOKEN, ghaToken]);
  });

  it('a GitHub endpoint that answers no JSON: a typed error, never the bare string', async () => {
    // CIContextProvider rejects with the string 'CI: no tokens available' here.
    const html = ghaUrl.replace('/token?', '/html?');
    const e = await rejection(
      withEnv({ ACTIONS_ID_TOKEN_REQUEST_URL: html, ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN }, () =>
        new AmbientCredentialProvider('sigstore').getToken(),
      ),
      'IDENTITY_TOKEN_UNAVAILABLE',
    );
    assert.deepEqual(e.data.sources, ['github-actions']);
    assertNoSecrets(e, [REQUEST_TOKEN]);
  });

  it('a malformed or expired SIGSTORE_ID_TOKEN: IDENTITY_TOKEN_INVALID without the token', async () => {
    const malformed = 'eyJhbGciOiJFUzI1NiJ9.not-json-at-all.c2ln';
    const e1 = await rejection(
      withEnv({ SIGSTORE_ID_TOKEN: malformed }, () => new AmbientCredentialProvider().getToken()),
      'IDENTITY_TOKEN_INVALID',
    );
    assertNoSecrets(e1, [malformed, 'not-json-at-all']);
    const expired = await issuer.mintToken({ sub: 'x', iat: 1_000_000, exp: 1_000_600 });
    const e2 = await rejection(
      withEnv({ SIGSTORE_ID_TOKEN: expired }, () => new AmbientCredentialProvider().getToken()),
      'IDENTITY_TOKEN_INVALID',
    );
    assert.equal(e2.data.reason, 'expired');
    assertNoSecrets(e2, [expired]);
  });
});

// ---------------------------------------------------------------------------

describe('StaticTokenProvider, identityFromToken and chooseIdentityProvider', () => {
  let issuer: OidcIssuer;
  before(async () => {
    issuer = await startOidcIssuer();
  });
  after(() => issuer.stop());

  it('a static token is returned as given, and never printed', async () => {
    const token = await issuer.mintToken({ email: 'dev@example.com', email_verified: true });
    const p = new StaticTokenProvider(token);
    assert.equal(p.name, 'static');
    assert.equal(await p.getToken(), token);
    assert.ok(!JSON.stringify(p).includes(token));
    assert.ok(!util.inspect(p, { depth: 5 }).includes(token));
  });

  it('a malformed or expired static token: IDENTITY_TOKEN_INVALID without the token', async () => {
    for (const bad of ['', 'abc', 'a.b.c', 'eyJhbGciOiJub25lIn0.eyJzdWIiOjF9QUJD.x']) {
      assertNoSecrets(
        thrown(() => new StaticTokenProvider(bad), 'IDENTITY_TOKEN_INVALID'),
        [bad.length > 3 ? bad : undefined],
      );
    }
    const expired = await issuer.mintToken({ sub: 'x', exp: Math.floor(Date.now() / 1000) - 60 });
    const e = await rejection(new StaticTokenProvider(expired).getToken(), 'IDENTITY_TOKEN_INVALID');
    assertNoSecrets(e, [expired]);
  });

  it('an expired token is named by where it came from: pasted, the command line, a caller', async () => {
    const expired = await issuer.mintToken({ sub: 'x', exp: Math.floor(Date.now() / 1000) - 60 });
    const at = new Date(decodeJwt(expired).exp! * 1000).toISOString();
    const said = async (p: StaticTokenProvider) => (await rejection(p.getToken(), 'IDENTITY_TOKEN_INVALID')).message;
    assert.match(await said(new StaticTokenProvider(expired, 'pasted')), new RegExp(`^The identity token you pasted expired at ${at}`));
    assert.match(await said(new StaticTokenProvider(expired)), /^The identity token given on the command line \(--identity-token\) expired at /);
    assert.match(await said(new StaticTokenProvider(expired, 'caller')), /^The identity token given to the command expired at /);
  });

  it('identityFromToken: a verified email, else the subject', async () => {
    assert.deepEqual(identityFromToken(await issuer.mintToken({ sub: 's1', email: 'a@example.com', email_verified: true })), {
      issuer: issuer.issuer,
      identity: 'a@example.com',
    });
    assert.deepEqual(identityFromToken(await issuer.mintToken({ sub: 's1', email: 'a@example.com', email_verified: false })), {
      issuer: issuer.issuer,
      identity: 's1',
    });
    assert.deepEqual(
      identityFromToken(await issuer.mintToken({ sub: 'https://github.com/o/r/.github/workflows/w.yml@refs/heads/main' })).identity,
      'https://github.com/o/r/.github/workflows/w.yml@refs/heads/main',
    );
    const noIdentity = await issuer.mintToken({ sub: undefined, email: 'a@example.com' });
    assertNoSecrets(
      thrown(() => identityFromToken(noIdentity), 'IDENTITY_TOKEN_INVALID'),
      [noIdentity],
    );
    const noIssuer = await issuer.mintToken({ iss: undefined });
    assertNoSecrets(
      thrown(() => identityFromToken(noIssuer), 'IDENTITY_TOKEN_INVALID'),
      [noIssuer],
    );
    const garbage = 'header.' + Buffer.from('{"sub": "x"').toString('base64url') + '.sig';
    assertNoSecrets(
      thrown(() => identityFromToken(garbage), 'IDENTITY_TOKEN_INVALID'),
      [garbage],
    );
  });

  it('chooseIdentityProvider: explicit token, then ambient if asked and configured, then interactive', async () => {
    const token = await issuer.mintToken({ sub: 'x' });
    const interactive: InteractiveLoginOptions = { issuer: issuer.issuer, openUrl: () => undefined };
    const name = (p: IdentityProvider) => p.name;
    await withEnv({ SIGSTORE_ID_TOKEN: token }, () => {
      assert.equal(name(chooseIdentityProvider({ identityToken: token, useAmbientCredentials: true, interactive })), 'static');
      assert.equal(name(chooseIdentityProvider({ useAmbientCredentials: true, interactive })), 'ambient');
      assert.equal(name(chooseIdentityProvider({ useAmbientCredentials: false, interactive })), 'interactive');
    });
    await withEnv({}, async () => {
      assert.equal(name(chooseIdentityProvider({ useAmbientCredentials: true, interactive })), 'interactive');
      assert.equal(name(chooseIdentityProvider({ identityToken: '', interactive })), 'interactive');
      const ambientOnly = chooseIdentityProvider({ useAmbientCredentials: true });
      assert.equal(ambientOnly.name, 'ambient');
      await rejection(ambientOnly.getToken(), 'IDENTITY_TOKEN_UNAVAILABLE');
      thrown(() => chooseIdentityProvider({}), 'IDENTITY_TOKEN_UNAVAILABLE');
    });
    assertNoSecrets(
      thrown(() => chooseIdentityProvider({ identityToken: 'eyJzZWNyZXQ.bad' }), 'IDENTITY_TOKEN_INVALID'),
      ['eyJzZWNyZXQ.bad'],
    );
  });
});
