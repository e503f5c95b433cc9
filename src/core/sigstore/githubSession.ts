// The GitHub account the editor is signed in to (VS Code's `github`
// authentication session, passed in: nothing here imports `vscode`) as the
// identity for Sigstore keyless signing.
//
// Fulcio takes OIDC ID tokens (JWTs) from the issuers it is configured for, and
// a GitHub OAuth access token is not one. So there are two ways:
//  - 'github-token': the trust config's signing config lists GitHub's OAuth
//    issuer (https://github.com/login/oauth) among its oidcUrls, which is how a
//    deployment says its certificate authority takes GitHub access tokens: the
//    session's token is handed to it as the credential.
//  - 'sigstore-login': otherwise the token is only used to ask GitHub who the
//    account is, and the Sigstore browser sign-in starts on its GitHub
//    connector with that account as the hint; the ID token it returns must name
//    the identity that was shown.
// Either way `confirm` sees the account and the identity the certificate will
// carry before any credential is handed out.
//
// The access token never reaches an error message, an error's data or a kept cause.
import { decodeJwt } from 'jose';
import { raceSignal, throwIfCancelled } from '../abort';
import { FormatError, ModelSigningError } from '../errors';
import { GitHubAccount, GitHubApi } from './githubApi';
import { IdentityProvider, InteractiveLoginOptions, InteractiveLoginProvider, identityFromToken } from './identity';
import { PRODUCTION_OIDC_ISSUER, TrustConfig, oidcIssuerOf } from './trustConfig';

/**
 * GitHub's OAuth issuer: what Sigstore's sign-in service (Dex at
 * oauth2.sigstore.dev) records as the issuer of certificates for GitHub
 * accounts, the id of its GitHub connector, and the oidcUrls entry by which a
 * signing config says its certificate authority takes GitHub access tokens.
 */
export const GITHUB_OAUTH_ISSUER = 'https://github.com/login/oauth';
export { DEFAULT_GITHUB_API_BASE } from './githubApi';

/** What `vscode.authentication.getSession('github', ['user:email'])` yields (the part used here). */
export interface GitHubSession {
  accessToken: string;
  /** `label` is the GitHub login. */
  account: { label: string; id?: string };
}

/** What the user is shown (and asked to confirm) before anything is signed. */
export interface SigningIdentityPreview {
  /** The GitHub login the session's token belongs to, as GitHub's API names it. */
  account: string;
  /** The email the certificate will carry; undefined when GitHub shows none to this session. */
  identity?: string;
  /** The issuer the certificate will record. */
  issuer: string;
  via: 'github-token' | 'sigstore-login';
  /** For the user: where the token goes, what the certificate will say, what is checked. */
  note: string;
}

/** A credential for Fulcio with what it will certify. */
export interface GitHubCredential {
  /** The GitHub access token ('github-token') or the Sigstore ID token ('sigstore-login'). */
  token: string;
  /**
   * What the certificate will name, when known. For a GitHub access token (not a
   * JWT) this is what a signer must sign as Fulcio's proof of possession, since
   * it cannot be read from the token.
   */
  subject?: string;
  preview: SigningIdentityPreview;
}

export interface GitHubSessionProviderOptions {
  session: GitHubSession;
  trustConfig: TrustConfig;
  /** For the Sigstore sign-in ('sigstore-login'): how to open the browser, timeouts, client id. */
  login: Omit<InteractiveLoginOptions, 'issuer' | 'connectorId' | 'loginHint'>;
  /** Shown the preview before any credential is handed out; anything but `true` refuses (CANCELLED). */
  confirm: (p: SigningIdentityPreview) => Promise<boolean>;
  /** GitHub's REST API. Default https://api.github.com; plain http only on a loopback host. */
  apiBase?: string;
  /** Per GitHub API request. Default 15 s. */
  fetchTimeoutMs?: number;
  /**
   * The id of the GitHub connector at the Sigstore sign-in service. Default
   * GITHUB_OAUTH_ISSUER, as Sigstore's public Dex names it; a private Dex may call it 'github'.
   */
  connectorId?: string;
}

/** Whether the trust config's signing config says its certificate authority takes GitHub access tokens. */
export function acceptsGitHubTokens(config: TrustConfig): boolean {
  const urls = config.signingConfig?.oidcUrls;
  if (!Array.isArray(urls)) return false;
  const now = Date.now();
  return urls.some((u: unknown) => {
    const { url, validFor } = (u ?? {}) as { url?: unknown; validFor?: { end?: unknown } };
    if (typeof url !== 'string' || url.replace(/\/+$/, '') !== GITHUB_OAUTH_ISSUER) return false;
    const end = typeof validFor?.end === 'string' ? Date.parse(validFor.end) : NaN;
    return Number.isNaN(end) || end > now;
  });
}

/**
 * An IdentityProvider for the GitHub account of the editor's session: hands the
 * session's access token to a certificate authority that takes GitHub tokens,
 * or signs in to Sigstore with the browser on the GitHub connector for that
 * account and checks the result. Confirmation first, either way.
 */
export class GitHubSessionProvider implements IdentityProvider {
  readonly name = 'github-session';
  readonly via: 'github-token' | 'sigstore-login';
  readonly #session: GitHubSession;
  readonly #options: GitHubSessionProviderOptions;
  private readonly api: GitHubApi;
  private readonly connectorId: string;
  /** The Sigstore sign-in service ('sigstore-login'). */
  private readonly loginIssuer?: string;
  /** The certificate authority the signer will use ('github-token'), for the note. */
  private readonly caUrl?: string;

  constructor(options: GitHubSessionProviderOptions) {
    const session = options.session;
    if (typeof session?.accessToken !== 'string' || session.accessToken.trim() === '') {
      throw new ModelSigningError('INVALID_OPTION', 'The GitHub session has no access token', { option: 'session' });
    }
    if (typeof session.account?.label !== 'string' || session.account.label.trim() === '') {
      throw new ModelSigningError('INVALID_OPTION', 'The GitHub session names no account', { option: 'session' });
    }
    if (typeof options.confirm !== 'function') {
      throw new ModelSigningError('INVALID_OPTION', 'Signing with a GitHub session needs a confirmation step (confirm)', { option: 'confirm' });
    }
    if (options.fetchTimeoutMs !== undefined && !(options.fetchTimeoutMs > 0)) {
      throw new ModelSigningError('INVALID_OPTION', `The GitHub API timeout must be positive, not ${options.fetchTimeoutMs}`, { option: 'fetchTimeoutMs' });
    }
    this.#session = { accessToken: session.accessToken.trim(), account: { ...session.account } };
    this.#options = { ...options };
    this.api = new GitHubApi(this.#session.accessToken, options);
    this.connectorId = options.connectorId || GITHUB_OAUTH_ISSUER;
    if (!options.trustConfig.signingConfig) {
      throw new FormatError('TRUST_CONFIG_INVALID', 'The trust config has no signing config: it names no Sigstore service to sign with');
    }
    this.via = acceptsGitHubTokens(options.trustConfig) ? 'github-token' : 'sigstore-login';
    if (this.via === 'github-token') {
      this.caUrl = certificateAuthorityOf(options.trustConfig);
    } else {
      this.loginIssuer = oidcIssuerOf(options.trustConfig);
      if (!this.loginIssuer) {
        throw new FormatError(
          'TRUST_CONFIG_INVALID',
          "The trust config's signing config names no OIDC issuer to sign in with (oidcUrls), and its certificate authority does not take GitHub tokens",
        );
      }
      // The login options are checked now (issuer, timeout, out-of-band), not when signing.
      void new InteractiveLoginProvider(this.loginOptions(undefined));
    }
  }

  /** Never prints the token. */
  toJSON(): object {
    return { name: this.name, via: this.via, account: this.#session.account.label };
  }

  /** Asks GitHub who the session belongs to and says what signing with it will do. */
  async preview(options: { signal?: AbortSignal } = {}): Promise<SigningIdentityPreview> {
    return this.describe(await this.api.account(options.signal));
  }

  async getToken(options: { signal?: AbortSignal } = {}): Promise<string> {
    return (await this.getCredential(options)).token;
  }

  /** The preview, confirmed; then the credential, and for a sign-in the check that it is the previewed identity. */
  async getCredential(options: { signal?: AbortSignal } = {}): Promise<GitHubCredential> {
    const signal = options.signal;
    throwIfCancelled(signal);
    const preview = await this.preview({ signal });
    await this.confirmed(preview, signal);
    throwIfCancelled(signal);

    if (this.via === 'github-token') {
      return { token: this.#session.accessToken, subject: preview.identity, preview };
    }
    const token = await new InteractiveLoginProvider(this.loginOptions(preview.identity ?? preview.account)).getToken({ signal });
    const got = identityFromToken(token);
    this.checkSignIn(token, got, preview);
    return { token, subject: got.identity, preview };
  }

  private loginOptions(loginHint: string | undefined): InteractiveLoginOptions {
    return { ...this.#options.login, issuer: this.loginIssuer!, connectorId: this.connectorId, loginHint };
  }

  private async confirmed(preview: SigningIdentityPreview, signal?: AbortSignal): Promise<void> {
    let answer: unknown;
    try {
      answer = await raceSignal(
        Promise.resolve().then(() => this.#options.confirm({ ...preview })),
        signal,
      );
    } catch (e) {
      if (e instanceof ModelSigningError) throw e;
      throw new ModelSigningError(
        'CANCELLED',
        `Signing as ${preview.identity ?? preview.account} was not confirmed: ${this.api.redact(e instanceof Error ? e.message : String(e))}`,
        { reason: 'confirm-failed' },
      );
    }
    if (answer !== true) {
      throw new ModelSigningError('CANCELLED', `Signing as ${preview.identity ?? preview.account} was not confirmed`, {
        reason: 'declined',
        account: preview.account,
        identity: preview.identity,
      });
    }
  }

  /** The ID token must name the previewed identity (when there is one), from the GitHub connector (when it says). */
  private checkSignIn(token: string, got: { issuer: string; identity: string }, preview: SigningIdentityPreview): void {
    const connector = federatedConnector(token);
    if (connector !== undefined && connector !== this.connectorId) {
      throw new ModelSigningError(
        'LOGIN_IDENTITY_MISMATCH',
        `The browser signed in to Sigstore through '${connector}', not GitHub ('${this.connectorId}'), as ${got.identity}: nothing was signed`,
        { reason: 'connector', expected: preview.identity, actual: got.identity, account: preview.account, connector, issuer: got.issuer },
      );
    }
    if (preview.identity === undefined) return; // said in the preview's note
    if (got.identity.toLowerCase() !== preview.identity.toLowerCase()) {
      throw new ModelSigningError(
        'LOGIN_IDENTITY_MISMATCH',
        `The browser signed in to Sigstore as ${got.identity}, but the GitHub account signed in to the editor is ${preview.account} (${preview.identity}): nothing was signed. Sign in to GitHub in the browser as ${preview.account}, or sign out of GitHub there, and try again.`,
        { reason: 'identity', expected: preview.identity, actual: got.identity, account: preview.account, issuer: got.issuer },
      );
    }
  }

  private describe(a: GitHubAccount): SigningIdentityPreview {
    const label = this.#session.account.label;
    const aka = label.toLowerCase() === a.login.toLowerCase() ? '' : ` (the editor shows this session as ${label})`;
    const whence = a.source === 'public-email' ? 'the public email of its GitHub profile' : 'its primary verified email on GitHub';
    const none =
      a.missing === 'emails-not-visible'
        ? `GitHub does not show ${a.login}'s emails to this session (it needs the user:email scope) and the profile has no public email`
        : `GitHub shows no public or primary verified email for ${a.login}`;
    let note: string;
    if (this.via === 'github-token') {
      note =
        `The GitHub sign-in of ${a.login}${aka} (its access token) is sent to the Sigstore certificate authority at ${this.caUrl ?? "the signing config's certificate authority"}, which takes GitHub tokens. ` +
        (a.identity !== undefined
          ? `The certificate will name ${a.identity}, ${whence}, with issuer ${GITHUB_OAUTH_ISSUER}.`
          : `${none}, so the identity in the certificate is unknown until the certificate authority issues it.`);
    } else {
      const issuerNote = sameUrl(this.loginIssuer!, PRODUCTION_OIDC_ISSUER)
        ? `, which Sigstore's sign-in service records for GitHub accounts`
        : ` as Sigstore's public sign-in service records it (the sign-in service at ${this.loginIssuer} may record its own address instead)`;
      note =
        `A browser opens the Sigstore sign-in (${this.loginIssuer}) on its GitHub connector for ${a.login}${aka}: one click there. The editor's GitHub token is not sent to Sigstore, only to GitHub to read the account's email. ` +
        (a.identity !== undefined
          ? `The certificate will name ${a.identity}, ${whence}, with issuer ${GITHUB_OAUTH_ISSUER}${issuerNote}. If the browser signs in as anyone else, nothing is signed.`
          : `${none}, so the identity is unknown until you sign in, and the sign-in cannot be checked against this account: the certificate will name whichever account signs in.`);
    }
    return { account: a.login, identity: a.identity, issuer: GITHUB_OAUTH_ISSUER, via: this.via, note };
  }
}

/** The certificate authority @sigstore/sign will pick: API v1, not ended, newest start. */
function certificateAuthorityOf(config: TrustConfig): string | undefined {
  const now = Date.now();
  const cas = ((config.signingConfig?.caUrls ?? []) as Array<{ url?: unknown; majorApiVersion?: unknown; validFor?: { start?: unknown; end?: unknown } }>)
    .filter((c) => typeof c?.url === 'string' && (typeof c.majorApiVersion !== 'number' || c.majorApiVersion <= 1))
    .filter((c) => !(typeof c.validFor?.end === 'string' && Date.parse(c.validFor.end) < now))
    .sort((a, b) => (Date.parse(String(b.validFor?.start)) || 0) - (Date.parse(String(a.validFor?.start)) || 0));
  return cas[0]?.url as string | undefined;
}

/** Dex's `federated_claims.connector_id`, when the ID token carries it. */
function federatedConnector(token: string): string | undefined {
  try {
    const fc = (decodeJwt(token) as { federated_claims?: { connector_id?: unknown } }).federated_claims;
    return typeof fc?.connector_id === 'string' ? fc.connector_id : undefined;
  } catch {
    return undefined;
  }
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}
