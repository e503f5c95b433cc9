// Interactive login: OAuth 2.0 authorization code with PKCE (S256), state and
// nonce, by openid-client. The authorization code, the PKCE verifier, the client
// secret and the ID token never reach an error message, data or kept cause.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as OidcClient from 'openid-client';
import { raceSignal, throwIfCancelled } from '../abort';
import { ModelSigningError } from '../errors';
import { DEFAULT_OIDC_CLIENT_ID, IdentityProvider, checkToken } from './identityToken';

export const OOB_REDIRECT_URI = 'urn:ietf:wg:oauth:2.0:oob';
export const CALLBACK_PATH = '/auth/callback';
const DEFAULT_LOGIN_TIMEOUT_MS = 5 * 60_000;

// ---------------------------------------------------------------------------
// Interactive login: OAuth 2.0 authorization code + PKCE, by openid-client
// ---------------------------------------------------------------------------

export interface InteractiveLoginOptions {
  /** e.g. https://oauth2.sigstore.dev/auth. Plain http only for a loopback host. */
  issuer: string;
  /** Default 'sigstore'. */
  clientId?: string;
  /** Default none: token endpoint auth 'none'; with one, client_secret_basic. */
  clientSecret?: string;
  /** Redirect to urn:ietf:wg:oauth:2.0:oob and read the code with `readCode()`. */
  forceOob?: boolean;
  /** Dex `connector_id` (e.g. 'github'), to skip the provider chooser. */
  connectorId?: string;
  /** `login_hint`. */
  loginHint?: string;
  /** Opens (or prints) the authorization URL. */
  openUrl: (url: string) => Promise<void> | void;
  /** The code the user copied from the out-of-band page. */
  readCode?: () => Promise<string>;
  /** For the whole login. Default 5 minutes. */
  timeoutMs?: number;
}

/**
 * Signs the user in with a browser: discovery, an authorization request with
 * PKCE (S256), state and nonce, a one-shot callback server on
 * http://localhost:<ephemeral>/auth/callback, served on 127.0.0.1 (or the out-of-band page), the
 * code exchange and the ID token checks (JWKS signature, iss, aud, nonce, exp),
 * all by openid-client. Returns the ID token.
 */
export class InteractiveLoginProvider implements IdentityProvider {
  readonly name = 'interactive';
  readonly #options: InteractiveLoginOptions;
  private readonly issuerUrl: URL;
  private readonly insecure: boolean;

  constructor(options: InteractiveLoginOptions) {
    this.#options = { ...options };
    this.issuerUrl = parseIssuer(options.issuer);
    this.insecure = this.issuerUrl.protocol === 'http:';
    if (options.forceOob && !options.readCode) {
      throw new ModelSigningError('INVALID_OPTION', 'The out-of-band login needs a way to read the code (readCode)', { option: 'readCode' });
    }
    if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) {
      throw new ModelSigningError('INVALID_OPTION', `The login timeout must be positive, not ${options.timeoutMs}`, { option: 'timeoutMs' });
    }
  }

  /** Never prints the client secret. */
  toJSON(): object {
    return { name: this.name, issuer: this.issuerUrl.href, clientId: this.#options.clientId || DEFAULT_OIDC_CLIENT_ID };
  }

  async getToken(options: { signal?: AbortSignal } = {}): Promise<string> {
    throwIfCancelled(options.signal);
    const o = this.#options;
    const timeoutMs = o.timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
    const secrets = new Secrets(o.clientSecret);

    // One deadline for the whole login; the caller's signal cancels it too.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new ModelSigningError(
      'OIDC_LOGIN_FAILED', `The sign-in did not complete within ${formatDuration(timeoutMs)}`, { reason: 'timeout', timeoutMs },
    )), timeoutMs);
    const onCancel = () => deadline.abort(new ModelSigningError('CANCELLED', 'The sign-in was cancelled', { reason: 'cancelled' }));
    options.signal?.addEventListener('abort', onCancel, { once: true });

    let server: CallbackServer | undefined;
    try {
      const client = await raceSignal(loadOpenidClient(), deadline.signal);
      const config = await this.discover(client, deadline.signal, secrets);

      const codeVerifier = secrets.add(client.randomPKCECodeVerifier());
      const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
      const state = client.randomState();
      const nonce = client.randomNonce();

      let redirectUri = OOB_REDIRECT_URI;
      if (!o.forceOob) {
        server = await startCallbackServer(state);
        redirectUri = server.redirectUri;
      }
      const params: Record<string, string> = {
        redirect_uri: redirectUri,
        scope: 'openid email',
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
        state,
        nonce,
      };
      if (o.connectorId) params.connector_id = o.connectorId;
      if (o.loginHint) params.login_hint = o.loginHint;
      const authorizationUrl = client.buildAuthorizationUrl(config, params).href;

      let callbackUrl: URL;
      if (server) {
        const srv = server;
        // Not awaited in turn: a caller's `openUrl` may itself follow the redirect to the callback.
        const opened = Promise.resolve().then(() => o.openUrl(authorizationUrl)).then(
          () => new Promise<never>(() => undefined),
          (e: unknown) => { throw browserError(e, secrets); },
        );
        callbackUrl = await raceSignal(Promise.race([srv.callback, opened]), deadline.signal);
      } else {
        await raceSignal(Promise.resolve().then(() => o.openUrl(authorizationUrl)), deadline.signal)
          .catch((e: unknown) => { throw e instanceof ModelSigningError ? e : browserError(e, secrets); });
        const typed = await raceSignal(Promise.resolve().then(() => o.readCode!()), deadline.signal).catch((e: unknown) => {
          if (e instanceof ModelSigningError) throw e;
          throw new ModelSigningError('OIDC_LOGIN_FAILED', `Could not read the verification code: ${secrets.redact(e instanceof Error ? e.message : String(e))}`, { reason: 'no-code' }, secrets.safeCause(e));
        });
        const code = typeof typed === 'string' ? typed.trim() : '';
        if (code === '') throw new ModelSigningError('OIDC_LOGIN_FAILED', 'No verification code was entered', { reason: 'no-code' });
        secrets.add(code);
        callbackUrl = new URL(OOB_REDIRECT_URI);
        callbackUrl.searchParams.set('code', code);
        callbackUrl.searchParams.set('state', state);
      }
      const code = callbackUrl.searchParams.get('code');
      if (code) secrets.add(code);

      const idToken = await this.exchange(client, config, callbackUrl, { codeVerifier, state, nonce }, deadline.signal, secrets);
      secrets.add(idToken);
      const token = checkToken(idToken, this.issuerUrl.href);
      server?.finish(true, 'You are signed in. You can close this tab and return to the application.');
      return token;
    } catch (e) {
      const err = deadline.signal.aborted && deadline.signal.reason instanceof ModelSigningError
        ? deadline.signal.reason
        : e instanceof ModelSigningError ? e : unexpectedError(e, secrets);
      server?.finish(false, `Sign-in failed: ${err.message}`);
      throw err;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onCancel);
      await server?.close();
    }
  }

  private async discover(client: OpenidClient, signal: AbortSignal, secrets: Secrets): Promise<OidcClient.Configuration> {
    const o = this.#options;
    const clientId = o.clientId || DEFAULT_OIDC_CLIENT_ID;
    const auth = o.clientSecret ? client.ClientSecretBasic(o.clientSecret) : client.None();
    const execute: Array<(c: OidcClient.Configuration) => void> = [client.enableNonRepudiationChecks];
    if (this.insecure) execute.push(client.allowInsecureRequests);
    let config: OidcClient.Configuration;
    try {
      config = await client.discovery(this.issuerUrl, clientId, undefined, auth, {
        execute,
        timeout: 30,
        [client.customFetch]: abortableFetch(signal),
      });
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      throw oauthError(e, secrets, 'discovery', `Could not read the OpenID configuration of ${this.issuerUrl.href}`);
    }
    // Every endpoint is held to the issuer's own rule: https, or http on loopback for a loopback issuer
    // (with allowInsecureRequests openid-client itself would take http anywhere).
    const meta = config.serverMetadata();
    for (const [field, value] of Object.entries({
      authorization_endpoint: meta.authorization_endpoint, token_endpoint: meta.token_endpoint, jwks_uri: meta.jwks_uri,
    })) {
      if (typeof value !== 'string') {
        throw new ModelSigningError('OIDC_LOGIN_FAILED', `The OpenID configuration of ${this.issuerUrl.href} has no ${field}`, { reason: 'discovery', field });
      }
      let ok = false;
      try {
        const u = parseIssuer(value);
        ok = this.insecure || u.protocol === 'https:';
      } catch { /* neither https nor loopback */ }
      if (!ok) {
        throw new ModelSigningError('OIDC_LOGIN_FAILED', `The OpenID configuration of ${this.issuerUrl.href} names a ${field} that is not ${this.insecure ? 'https or loopback' : 'https'}: ${value}`, { reason: 'discovery', field });
      }
    }
    return config;
  }

  private async exchange(
    client: OpenidClient, config: OidcClient.Configuration, callbackUrl: URL,
    checks: { codeVerifier: string; state: string; nonce: string }, signal: AbortSignal, secrets: Secrets,
  ): Promise<string> {
    let tokens: { id_token?: string };
    try {
      tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      throw oauthError(e, secrets, 'exchange', 'The sign-in failed');
    }
    if (typeof tokens.id_token !== 'string' || tokens.id_token === '') {
      throw new ModelSigningError('OIDC_LOGIN_FAILED', 'The identity provider returned no ID token', { reason: 'exchange' });
    }
    return tokens.id_token;
  }
}

type OpenidClient = typeof OidcClient;

/** openid-client is ESM-only; loaded on first use (require(esm) on Node 20.19+, inlined by esbuild). */
async function loadOpenidClient(): Promise<OpenidClient> {
  try {
    return await import('openid-client');
  } catch (e) {
    throw new ModelSigningError('OIDC_LOGIN_FAILED', `Could not load openid-client: ${e instanceof Error ? e.message : String(e)}`, { reason: 'load' }, e);
  }
}

function abortableFetch(signal: AbortSignal): OidcClient.CustomFetch {
  return (url, init) => fetch(url, {
    ...(init as RequestInit),
    signal: init.signal ? AbortSignal.any([init.signal, signal]) : signal,
  });
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** An https URL, or http on a loopback host (127.0.0.1, localhost, ::1) only. */
function parseIssuer(issuer: string): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ModelSigningError('INVALID_OPTION', `The OIDC issuer is not a URL: ${issuer}`, { option: 'issuer', issuer });
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname.toLowerCase())) return url;
  throw new ModelSigningError(
    'INVALID_OPTION',
    `The OIDC issuer must use https (plain http is allowed for 127.0.0.1, localhost and ::1 only): ${url.href}`,
    { option: 'issuer', issuer: url.href },
  );
}

// ---------------------------------------------------------------------------
// The loopback callback server
// ---------------------------------------------------------------------------

interface CallbackServer {
  redirectUri: string;
  /** Resolves with the first request to the callback path that carries the expected state. */
  callback: Promise<URL>;
  /** Answers the browser that made the accepted callback. */
  finish(ok: boolean, message: string): void;
  /** Stops listening and drops every connection; resolves when the port is closed. */
  close(): Promise<void>;
}

async function startCallbackServer(expectedState: string): Promise<CallbackServer> {
  let redirectUri = '';
  let accepted: http.ServerResponse | undefined;
  let finished: Promise<void> = Promise.resolve();
  let resolveCallback!: (u: URL) => void;
  const callback = new Promise<URL>((resolve) => { resolveCallback = resolve; });

  const server = http.createServer((req, res) => {
    res.setHeader('Connection', 'close');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      return page(res, 400, 'Bad request', 'This address is not understood.');
    }
    if (url.pathname !== CALLBACK_PATH) return page(res, 404, 'Not found', 'Nothing here.');
    if (req.method !== 'GET') return page(res, 405, 'Method not allowed', 'Only GET is answered here.');
    if (accepted) return page(res, 409, 'Already signed in', 'This sign-in has already been handled. You can close this tab.');
    const state = url.searchParams.get('state');
    if (state === null || !sameString(state, expectedState)) {
      // Not ours (a stale tab, or someone else's request): keep waiting for the real one.
      return page(res, 400, 'Sign-in not recognised', 'This response does not belong to the sign-in in progress (state mismatch). Start the sign-in again from the application.');
    }
    accepted = res;
    finished = new Promise((resolve) => res.once('close', () => resolve()));
    // openid-client takes the redirect_uri for the exchange from this URL: rebuild it on ours.
    const received = new URL(redirectUri);
    received.search = url.search;
    resolveCallback(received);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: unknown) => {
    throw new ModelSigningError('OIDC_LOGIN_FAILED', `Could not listen on 127.0.0.1 for the sign-in callback: ${e instanceof Error ? e.message : String(e)}`, { reason: 'callback-server' }, e);
  });
  // `localhost` in the URL, as sigstore-python and cosign send it (the public-good
  // OAuth client is registered for it); the listener itself is on 127.0.0.1 only.
  redirectUri = `http://localhost:${(server.address() as AddressInfo).port}${CALLBACK_PATH}`;
  let closing: Promise<void> | undefined;
  return {
    redirectUri,
    callback,
    finish(ok, message) {
      if (accepted && !accepted.headersSent) page(accepted, ok ? 200 : 400, ok ? 'Signed in' : 'Sign-in failed', message);
    },
    close() {
      closing ??= (async () => {
        if (accepted && !accepted.writableEnded) page(accepted, 400, 'Sign-in failed', 'The sign-in was stopped.');
        // Let the answer reach the browser before the sockets are dropped.
        await Promise.race([finished, new Promise((r) => setTimeout(r, 1000).unref())]);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

function page(res: http.ServerResponse, status: number, title: string, message: string): void {
  const body = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#222}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>
`;
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

// ---------------------------------------------------------------------------
// Errors without secrets
// ---------------------------------------------------------------------------

const REDACTED = '[redacted]';

/** The secret strings of one login, to be scrubbed from anything reported. */
class Secrets {
  private readonly values = new Set<string>();

  constructor(...initial: Array<string | undefined>) {
    initial.forEach((s) => this.add(s));
  }

  add<T extends string | undefined>(s: T): T {
    if (s && s.length >= 4) this.values.add(s);
    return s;
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.values) out = out.split(s).join(REDACTED);
    // Anything shaped like a JWT, whoever it belongs to.
    return out.replace(/eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*)?/g, REDACTED);
  }

  /** Whether any secret (or a JWT) appears in the error's text, properties or causes. */
  carriedBy(e: unknown): boolean {
    const seen = new Set<unknown>();
    const strings: string[] = [];
    const walk = (v: unknown, depth: number): void => {
      if (depth > 6 || v === null || v === undefined || seen.has(v)) return;
      if (typeof v === 'string') { strings.push(v); return; }
      if (typeof v !== 'object') return;
      seen.add(v);
      if (v instanceof Error) {
        strings.push(v.message, v.stack ?? '');
        walk(v.cause, depth + 1);
      }
      if (Array.isArray(v)) { v.forEach((x) => walk(x, depth + 1)); return; }
      for (const k of Object.keys(v)) {
        try {
          walk((v as Record<string, unknown>)[k], depth + 1);
        } catch { /* a throwing getter */ }
      }
    };
    walk(e, 0);
    return strings.some((s) => this.redact(s) !== s);
  }

  /** The error itself when it carries no secret, else nothing. */
  safeCause(e: unknown): unknown {
    return this.carriedBy(e) ? undefined : e;
  }
}

function oauthError(e: unknown, secrets: Secrets, reason: 'discovery' | 'exchange', what: string): ModelSigningError {
  const err = e as { name?: unknown; code?: unknown; error?: unknown; error_description?: unknown; status?: unknown; cause?: unknown; message?: unknown };
  const data: Record<string, unknown> = { reason };
  let detail: string;
  if (typeof err?.error === 'string') {
    // ResponseBodyError (token endpoint) or AuthorizationResponseError (callback: e.g. access_denied).
    data.error = secrets.redact(err.error);
    if (typeof err.status === 'number') data.status = err.status;
    const description = typeof err.error_description === 'string' ? secrets.redact(err.error_description) : undefined;
    if (description) data.errorDescription = description;
    if (err.name === 'AuthorizationResponseError') data.reason = err.error === 'access_denied' ? 'denied' : 'authorization';
    detail = `the identity provider answered ${data.error}${description ? `: ${description}` : ''}`;
  } else {
    detail = typeof err?.message === 'string' ? secrets.redact(err.message) : secrets.redact(String(e));
    // openid-client says which claim or attribute failed in its cause.
    const which = failedClaim(err?.cause) ?? failedClaim((err?.cause as { cause?: unknown } | undefined)?.cause);
    if (which) { data.claim = which; detail += ` (${which})`; }
    const low = err?.cause instanceof Error ? secrets.redact(err.cause.message) : undefined;
    if (low && !detail.includes(low) && low.length < 200) detail += `: ${low}`;
  }
  if (typeof err?.code === 'string') data.oauthCode = err.code;
  return new ModelSigningError('OIDC_LOGIN_FAILED', `${what}: ${detail}`, data, secrets.safeCause(e));
}

/** The claim or attribute openid-client names in an error's cause ({claim, expected, …}). */
function failedClaim(c: unknown): string | undefined {
  if (typeof c !== 'object' || c === null) return undefined;
  const { claim, attribute } = c as { claim?: unknown; attribute?: unknown };
  return typeof claim === 'string' ? claim : typeof attribute === 'string' ? attribute : undefined;
}

function browserError(e: unknown, secrets: Secrets): ModelSigningError {
  const msg = e instanceof Error ? e.message : String(e);
  return new ModelSigningError('OIDC_LOGIN_FAILED', `Could not open the sign-in page: ${secrets.redact(msg)}`, { reason: 'browser' }, secrets.safeCause(e));
}

function unexpectedError(e: unknown, secrets: Secrets): ModelSigningError {
  const msg = e instanceof Error ? e.message : String(e);
  return new ModelSigningError('OIDC_LOGIN_FAILED', `The sign-in failed: ${secrets.redact(msg)}`, { reason: 'unexpected' }, secrets.safeCause(e));
}

function formatDuration(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

