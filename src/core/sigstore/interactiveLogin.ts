// Interactive login: OAuth 2.0 authorization code with PKCE (S256), state and
// nonce, by openid-client. The authorization code, the PKCE verifier, the client
// secret and the ID token never reach an error message, data or kept cause
// (loginSecrets.ts).
import type * as OidcClient from 'openid-client';
import { raceSignal, throwIfCancelled } from '../abort';
import { ModelSigningError } from '../errors';
import { DEFAULT_OIDC_CLIENT_ID, IdentityProvider, checkToken } from './identityToken';
import { CallbackServer, startCallbackServer } from './loginCallbackServer';
import { Secrets, browserError, oauthError, unexpectedError } from './loginSecrets';
import { OpenidClient, abortableFetch, formatDuration, loadOpenidClient, parseIssuer } from './oidcClient';

export { CALLBACK_PATH } from './loginCallbackServer';
export { isLoopbackUrl } from './oidcClient';

export const OOB_REDIRECT_URI = 'urn:ietf:wg:oauth:2.0:oob';

/** How the code comes back: to the loopback listener, or typed in by the user from the issuer's page. */
export type LoginMode = 'loopback' | 'oob';
const DEFAULT_LOGIN_TIMEOUT_MS = 5 * 60_000;

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
  /**
   * The redirect URI under which the user's browser reaches the loopback listener, given as
   * http://localhost:PORT/auth/callback: that one on this machine, a forwarded one on a remote machine.
   * Undefined when the browser cannot reach it: the login then asks for the out-of-band code (readCode).
   */
  exposeCallback?: (loopbackRedirectUri: string) => Promise<string | undefined> | string | undefined;
  /** Opens (or prints) the authorization URL; `mode` says what the login waits for after it. */
  openUrl: (url: string, mode: LoginMode) => Promise<void> | void;
  /** Called once when the login ends, however it ends: to take down what openUrl showed. */
  onDone?: () => void;
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
    const timer = setTimeout(
      () =>
        deadline.abort(
          new ModelSigningError('OIDC_LOGIN_FAILED', `The sign-in did not complete within ${formatDuration(timeoutMs)}`, { reason: 'timeout', timeoutMs }),
        ),
      timeoutMs,
    );
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
        const exposed = await raceSignal(
          Promise.resolve().then(() => (o.exposeCallback ? o.exposeCallback(server!.redirectUri) : server!.redirectUri)),
          deadline.signal,
        );
        if (exposed === undefined) {
          await server.close();
          server = undefined;
        } else {
          redirectUri = redirectUriOf(exposed);
        }
      }
      if (!server && !o.readCode) {
        throw new ModelSigningError('OIDC_LOGIN_FAILED', "The browser cannot reach this machine's sign-in callback, and no code can be typed in instead", {
          reason: 'no-callback',
        });
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
        const opened = Promise.resolve()
          .then(() => o.openUrl(authorizationUrl, 'loopback'))
          .then(
            () => new Promise<never>(() => undefined),
            (e: unknown) => {
              // A typed error is the caller's own word (the user cancelled while waiting).
              throw e instanceof ModelSigningError ? e : browserError(e, secrets);
            },
          );
        const received = await raceSignal(Promise.race([srv.callback, opened]), deadline.signal);
        // openid-client takes the redirect_uri of the exchange from this URL: the one the issuer saw.
        callbackUrl = new URL(redirectUri);
        callbackUrl.search = received.search;
      } else {
        await raceSignal(
          Promise.resolve().then(() => o.openUrl(authorizationUrl, 'oob')),
          deadline.signal,
        ).catch((e: unknown) => {
          throw e instanceof ModelSigningError ? e : browserError(e, secrets);
        });
        const typed = await raceSignal(
          Promise.resolve().then(() => o.readCode!()),
          deadline.signal,
        ).catch((e: unknown) => {
          if (e instanceof ModelSigningError) throw e;
          throw new ModelSigningError(
            'OIDC_LOGIN_FAILED',
            `Could not read the verification code: ${secrets.redact(e instanceof Error ? e.message : String(e))}`,
            { reason: 'no-code' },
            secrets.safeCause(e),
          );
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
      const token = checkToken(idToken, `from ${this.issuerUrl.href}`);
      server?.finish(true, 'You are signed in. You can close this tab and return to the application.');
      return token;
    } catch (e) {
      const err =
        deadline.signal.aborted && deadline.signal.reason instanceof ModelSigningError
          ? deadline.signal.reason
          : e instanceof ModelSigningError
            ? e
            : unexpectedError(e, secrets);
      server?.finish(false, `Sign-in failed: ${err.message}`);
      throw err;
    } finally {
      o.onDone?.();
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
      authorization_endpoint: meta.authorization_endpoint,
      token_endpoint: meta.token_endpoint,
      jwks_uri: meta.jwks_uri,
    })) {
      if (typeof value !== 'string') {
        throw new ModelSigningError('OIDC_LOGIN_FAILED', `The OpenID configuration of ${this.issuerUrl.href} has no ${field}`, { reason: 'discovery', field });
      }
      let ok = false;
      try {
        const u = parseIssuer(value);
        ok = this.insecure || u.protocol === 'https:';
      } catch {
        /* neither https nor loopback */
      }
      if (!ok) {
        throw new ModelSigningError(
          'OIDC_LOGIN_FAILED',
          `The OpenID configuration of ${this.issuerUrl.href} names a ${field} that is not ${this.insecure ? 'https or loopback' : 'https'}: ${value}`,
          { reason: 'discovery', field },
        );
      }
    }
    return config;
  }

  private async exchange(
    client: OpenidClient,
    config: OidcClient.Configuration,
    callbackUrl: URL,
    checks: { codeVerifier: string; state: string; nonce: string },
    signal: AbortSignal,
    secrets: Secrets,
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

/** The exposed callback: an absolute http(s) URL without a fragment, as OAuth requires of a redirect URI. */
function redirectUriOf(exposed: string): string {
  let url: URL | undefined;
  try {
    url = new URL(exposed);
  } catch {
    /* reported below */
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.hash !== '') {
    throw new ModelSigningError('INVALID_OPTION', `The sign-in callback is not an http(s) URL without a fragment: ${exposed}`, { option: 'exposeCallback' });
  }
  return url.href;
}
