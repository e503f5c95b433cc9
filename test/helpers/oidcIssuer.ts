// A stand-in OpenID Connect provider on 127.0.0.1, shaped like Dex at
// oauth2.sigstore.dev (issuer http://127.0.0.1:PORT/auth): discovery, an
// authorization endpoint with a login form, a token endpoint that checks PKCE,
// and a JWKS. Plus `browserLogin`, a fetch-driven browser for that form.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type JWK, type KeyLike, SignJWT, exportJWK, generateKeyPair } from 'jose';

export interface OidcUser {
  email: string;
  /** When set, the login form must give it. */
  password?: string;
  /** Default: a stable value derived from the email. */
  sub?: string;
}

export interface OidcIssuerOptions {
  users?: OidcUser[];
  /** Default 'sigstore'. */
  clientId?: string;
  /** When set, the token endpoint requires it (client_secret_basic or client_secret_post). */
  clientSecret?: string;
  /** Default '/auth', so the issuer reads http://127.0.0.1:PORT/auth like Dex. */
  issuerPath?: string;
  /** Default 'ES256'. */
  alg?: 'ES256' | 'RS256';
}

/** Switches that make the next ID tokens wrong, to test the client's checks. */
export interface Misbehaviour {
  /** Sign with a key that is not in the JWKS. */
  foreignKey?: boolean;
  wrongNonce?: boolean;
  wrongAudience?: boolean;
  wrongIssuer?: boolean;
  expired?: boolean;
}

export interface OidcIssuer {
  issuer: string;
  clientId: string;
  /** The public JWKS served at <issuer>/keys. */
  keys: { keys: JWK[] };
  stop(): Promise<void>;
  /** A token signed by the issuer key: iss, aud = clientId, sub, iat, exp (10 min) unless given. */
  mintToken(claims?: Record<string, unknown>): Promise<string>;
  /** The query of the last GET of the authorization endpoint. */
  lastAuthorizeParams?: URLSearchParams;
  /** 'METHOD /path' of every request, without queries. */
  readonly requests: string[];
  /** Calls of the token endpoint. */
  tokenRequests: number;
  /** The form of the last token request (code, code_verifier, ...). */
  lastTokenRequest?: URLSearchParams;
  /** The last ID token issued. */
  lastIdToken?: string;
  misbehave: Misbehaviour;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce?: string;
  user: OidcUser;
  expiresAt: number;
}

const OOB = 'urn:ietf:wg:oauth:2.0:oob';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export async function startOidcIssuer(opts: OidcIssuerOptions = {}): Promise<OidcIssuer> {
  const users = opts.users ?? [{ email: 'dev@example.com' }];
  const clientId = opts.clientId ?? 'sigstore';
  const clientSecret = opts.clientSecret;
  const base = (opts.issuerPath ?? '/auth').replace(/\/+$/, '');
  const alg = opts.alg ?? 'ES256';
  const genOpts = alg === 'RS256' ? { modulusLength: 2048, extractable: true } : { extractable: true };
  const { privateKey, publicKey } = await generateKeyPair(alg, genOpts);
  const foreign = await generateKeyPair(alg, genOpts);
  const kid = crypto.randomBytes(8).toString('hex');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }] };
  const codes = new Map<string, PendingCode>();

  let issuer = '';
  const state: OidcIssuer = {
    issuer: '',
    clientId,
    keys: jwks,
    requests: [],
    tokenRequests: 0,
    misbehave: {},
    stop: () => Promise.resolve(),
    mintToken: (claims = {}) =>
      sign(privateKey, {
        iss: issuer,
        aud: clientId,
        sub: 'test-subject',
        iat: now(),
        exp: now() + 600,
        ...claims,
      }),
  };

  function sign(key: KeyLike | Uint8Array, claims: Record<string, unknown>): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(key);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) json(res, 500, { error: 'server_error', error_description: e instanceof Error ? e.message : String(e) });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', issuer);
    state.requests.push(`${req.method} ${url.pathname}`);
    const route = url.pathname.startsWith(`${base}/`) ? url.pathname.slice(base.length) : undefined;
    if (req.method === 'GET' && route === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/keys`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [alg],
        scopes_supported: ['openid', 'email', 'profile'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
        code_challenge_methods_supported: ['S256'],
        grant_types_supported: ['authorization_code'],
        claims_supported: ['iss', 'sub', 'aud', 'iat', 'exp', 'email', 'email_verified', 'nonce'],
      });
    }
    if (req.method === 'GET' && route === '/keys') return json(res, 200, jwks);
    if (route === '/auth' && req.method === 'GET') {
      state.lastAuthorizeParams = new URLSearchParams(url.searchParams);
      return authorize(url.searchParams, res, undefined);
    }
    if (route === '/auth' && req.method === 'POST') return login(new URLSearchParams(await body(req)), res);
    if (route === '/token' && req.method === 'POST') {
      state.tokenRequests++;
      const form = new URLSearchParams(await body(req));
      state.lastTokenRequest = form;
      return token(req, form, res);
    }
    return json(res, 404, { error: 'not_found' });
  }

  /** Checks an authorization request; answers the error itself and returns false when it is bad. */
  function checkAuthorize(p: URLSearchParams, res: http.ServerResponse): boolean {
    if (p.get('client_id') !== clientId) {
      html(res, 400, 'Bad request', `<p>Unknown client ${esc(p.get('client_id') ?? '')}.</p>`);
      return false;
    }
    const redirectUri = p.get('redirect_uri') ?? '';
    if (!validRedirect(redirectUri)) {
      html(res, 400, 'Bad request', `<p>Unregistered redirect_uri ${esc(redirectUri)}.</p>`);
      return false;
    }
    const fail = (error: string, description: string) => {
      if (redirectUri === OOB) html(res, 400, 'Bad request', `<p>${esc(error)}: ${esc(description)}</p>`);
      else redirect(res, redirectUri, { error, error_description: description, state: p.get('state') });
      return false;
    };
    if (p.get('response_type') !== 'code') return fail('unsupported_response_type', 'only response_type=code is supported');
    if (!(p.get('scope') ?? '').split(' ').includes('openid')) return fail('invalid_scope', 'the openid scope is required');
    if (!p.get('code_challenge') || p.get('code_challenge_method') !== 'S256') return fail('invalid_request', 'PKCE with S256 is required');
    return true;
  }

  function authorize(p: URLSearchParams, res: http.ServerResponse, error: string | undefined): void {
    if (!checkAuthorize(p, res)) return;
    const hidden = [...p.entries()]
      .filter(([k]) => !['email', 'password', 'action'].includes(k))
      .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
      .join('\n');
    const connector = p.get('connector_id');
    html(
      res,
      error ? 401 : 200,
      'Log in',
      `
<form method="post" action="${esc(`${base}/auth`)}">
${hidden}
${connector ? `<p>Connector: ${esc(connector)}</p>` : ''}
${error ? `<p class="error">${esc(error)}</p>` : ''}
<label>Email <input type="email" name="email" value="${esc(p.get('login_hint') ?? '')}"></label>
<label>Password <input type="password" name="password"></label>
<button type="submit" name="action" value="approve">Log in</button>
<button type="submit" name="action" value="deny">Deny</button>
</form>`,
    );
  }

  function login(p: URLSearchParams, res: http.ServerResponse): void {
    if (!checkAuthorize(p, res)) return;
    const redirectUri = p.get('redirect_uri')!;
    const stateParam = p.get('state');
    if (p.get('action') === 'deny') {
      if (redirectUri === OOB) return html(res, 403, 'Access denied', '<p>access_denied</p>');
      return redirect(res, redirectUri, { error: 'access_denied', error_description: 'the user denied the request', state: stateParam });
    }
    const email = (p.get('email') ?? '').trim().toLowerCase();
    const user = users.find((u) => u.email.toLowerCase() === email);
    if (!user || (user.password !== undefined && !sameString(user.password, p.get('password') ?? ''))) {
      return authorize(p, res, 'Invalid email or password.');
    }
    const code = crypto.randomBytes(24).toString('base64url');
    codes.set(code, {
      clientId,
      redirectUri,
      user,
      codeChallenge: p.get('code_challenge')!,
      nonce: p.get('nonce') ?? undefined,
      expiresAt: Date.now() + 120_000,
    });
    if (redirectUri === OOB) {
      return html(res, 200, 'Login successful', `<p>Copy this code and paste it into the application:</p>\n<code id="code">${esc(code)}</code>`);
    }
    redirect(res, redirectUri, { code, state: stateParam });
  }

  async function token(req: http.IncomingMessage, p: URLSearchParams, res: http.ServerResponse): Promise<void> {
    // Client authentication: client_secret_basic (form-encoded parts), client_secret_post or none.
    let id = p.get('client_id');
    let secret = p.get('client_secret');
    const authz = req.headers.authorization;
    if (authz?.startsWith('Basic ')) {
      const decoded = Buffer.from(authz.slice(6), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
      id = formDecode(decoded.slice(0, i < 0 ? undefined : i));
      secret = i < 0 ? '' : formDecode(decoded.slice(i + 1));
    }
    if (id !== clientId) return json(res, 401, { error: 'invalid_client', error_description: 'unknown client' });
    if (clientSecret !== undefined && !sameString(secret ?? '', clientSecret)) {
      return json(res, 401, { error: 'invalid_client', error_description: 'client authentication failed' });
    }
    if (p.get('grant_type') !== 'authorization_code') return json(res, 400, { error: 'unsupported_grant_type' });
    const code = p.get('code') ?? '';
    const pending = codes.get(code);
    codes.delete(code);
    if (!pending || pending.expiresAt < Date.now()) {
      // Deliberately quotes the code, as a careless server might: the client must not pass it on.
      return json(res, 400, { error: 'invalid_grant', error_description: `authorization code ${code} is invalid, expired or already used` });
    }
    if (pending.clientId !== id) return json(res, 400, { error: 'invalid_grant', error_description: 'code issued to another client' });
    if (pending.redirectUri !== p.get('redirect_uri')) return json(res, 400, { error: 'invalid_grant', error_description: 'redirect_uri mismatch' });
    const verifier = p.get('code_verifier') ?? '';
    if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier) || crypto.createHash('sha256').update(verifier).digest('base64url') !== pending.codeChallenge) {
      return json(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
    }
    const m = state.misbehave;
    const iat = m.expired ? now() - 7200 : now();
    const claims: Record<string, unknown> = {
      iss: m.wrongIssuer ? `${issuer}-other` : issuer,
      sub: pending.user.sub ?? `user-${crypto.createHash('sha256').update(pending.user.email).digest('hex').slice(0, 16)}`,
      aud: m.wrongAudience ? 'someone-else' : clientId,
      email: pending.user.email,
      email_verified: true,
      iat,
      exp: iat + 3600,
    };
    if (pending.nonce !== undefined) claims.nonce = m.wrongNonce ? `${pending.nonce}x` : pending.nonce;
    const idToken = await sign(m.foreignKey ? foreign.privateKey : privateKey, claims);
    state.lastIdToken = idToken;
    json(res, 200, {
      access_token: crypto.randomBytes(24).toString('base64url'),
      id_token: idToken,
      token_type: 'Bearer',
      expires_in: 3600,
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  issuer = `http://127.0.0.1:${port}${base}`;
  state.issuer = issuer;
  state.stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

function validRedirect(uri: string): boolean {
  if (uri === OOB) return true;
  try {
    const u = new URL(uri);
    return u.protocol === 'http:' && LOOPBACK.has(u.hostname);
  } catch {
    return false;
  }
}

function redirect(res: http.ServerResponse, to: string, params: Record<string, string | null>): void {
  const u = new URL(to);
  for (const [k, v] of Object.entries(params)) if (v !== null) u.searchParams.set(k, v);
  res.writeHead(302, { Location: u.href, 'Cache-Control': 'no-store' });
  res.end();
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function html(res: http.ServerResponse, status: number, title: string, inner: string): void {
  const text = `<!doctype html>\n<html><head><meta charset="utf-8"><title>${esc(title)}</title></head>\n<body><h1>${esc(title)}</h1>\n${inner}\n</body></html>\n`;
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function body(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function unesc(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}

function sameString(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

// ---------------------------------------------------------------------------
// A browser, driven by fetch
// ---------------------------------------------------------------------------

export interface BrowserLoginOptions {
  email: string;
  password?: string;
  /** Press "Deny" instead of "Log in". */
  deny?: boolean;
  /** Change the redirect before it is followed (tamper with code or state). */
  editCallback?: (url: URL) => void;
  /** Follow the 302 to the callback (default true). */
  followCallback?: boolean;
}

export interface BrowserLoginResult {
  /** Status of the form POST. */
  loginStatus: number;
  /** The redirect target the provider sent (after editCallback). */
  callbackUrl?: URL;
  callbackStatus?: number;
  callbackBody?: string;
  /** The code shown on the out-of-band page. */
  oobCode?: string;
  /** The page the POST returned, when it was not a redirect. */
  page?: string;
}

/** GETs the authorization URL, fills in the login form, POSTs it, and follows the redirect once. */
export async function browserLogin(authorizationUrl: string, opts: BrowserLoginOptions): Promise<BrowserLoginResult> {
  const first = await fetch(authorizationUrl, { redirect: 'manual' });
  const form = await first.text();
  if (first.status !== 200) throw new Error(`authorization page: HTTP ${first.status}: ${form}`);
  const action = /<form[^>]*action="([^"]*)"/.exec(form)?.[1];
  if (action === undefined) throw new Error('no login form on the authorization page');
  const fields = new URLSearchParams();
  for (const m of form.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields.append(unesc(m[1]!), unesc(m[2]!));
  fields.set('email', opts.email);
  if (opts.password !== undefined) fields.set('password', opts.password);
  fields.set('action', opts.deny ? 'deny' : 'approve');
  const posted = await fetch(new URL(unesc(action), authorizationUrl), {
    method: 'POST',
    body: fields,
    redirect: 'manual',
  });
  const out: BrowserLoginResult = { loginStatus: posted.status };
  if (posted.status !== 302) {
    out.page = await posted.text();
    const code = /<code id="code">([^<]*)<\/code>/.exec(out.page)?.[1];
    if (code !== undefined) out.oobCode = unesc(code);
    return out;
  }
  await posted.body?.cancel();
  const callbackUrl = new URL(posted.headers.get('location')!);
  opts.editCallback?.(callbackUrl);
  out.callbackUrl = callbackUrl;
  if (opts.followCallback === false) return out;
  const cb = await fetch(callbackUrl, { redirect: 'manual' });
  out.callbackStatus = cb.status;
  out.callbackBody = await cb.text();
  return out;
}
