// GitHub's REST API with the access token of the editor's GitHub session: who
// the account is and which email a certificate for it would carry. The token
// goes to the API address only (https, or http on loopback; no redirects) and
// never reaches an error message, an error's data or a kept cause.
import { cancelledError } from '../abort';
import { ModelSigningError } from '../errors';

export const DEFAULT_GITHUB_API_BASE = 'https://api.github.com';
const DEFAULT_FETCH_TIMEOUT_MS = 15_000;
const GITHUB_API_VERSION = '2022-11-28';
const USER_AGENT = 'model-signing-vscode';

/** Who a session's token belongs to, and the email a certificate for it would carry. */
export interface GitHubAccount {
  login: string;
  identity?: string;
  /** Where the identity comes from. */
  source?: 'public-email' | 'primary-email';
  /** Why there is none: the emails were listed without a primary verified one, or could not be listed (no user:email scope). */
  missing?: 'no-primary-verified' | 'emails-not-visible';
}

/** GitHub's REST API as one session's token sees it. */
export class GitHubApi {
  readonly #accessToken: string;
  readonly apiBase: string;
  readonly fetchTimeoutMs: number;

  constructor(accessToken: string, options: { apiBase?: string; fetchTimeoutMs?: number } = {}) {
    this.#accessToken = accessToken;
    this.apiBase = parseApiBase(options.apiBase ?? DEFAULT_GITHUB_API_BASE);
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  }

  /**
   * The login, and the email the certificate will carry, chosen as Dex's GitHub
   * connector chooses it: the profile's public email if it has one, else the
   * primary verified email.
   */
  async account(signal?: AbortSignal): Promise<GitHubAccount> {
    const [user, emails] = await Promise.all([this.get('/user', signal, false), this.get('/user/emails?per_page=100', signal, true)]);
    const u = user as { login?: unknown; email?: unknown } | null;
    if (typeof u !== 'object' || u === null || typeof u.login !== 'string' || u.login === '') {
      throw new ModelSigningError('GITHUB_API_FAILED', 'GitHub answered GET /user without a login', { reason: 'malformed', endpoint: 'GET /user' });
    }
    if (typeof u.email === 'string' && u.email !== '') return { login: u.login, identity: u.email, source: 'public-email' };
    if (emails === undefined) return { login: u.login, missing: 'emails-not-visible' };
    if (!Array.isArray(emails)) {
      throw new ModelSigningError('GITHUB_API_FAILED', 'GitHub answered GET /user/emails with something other than a list', {
        reason: 'malformed',
        endpoint: 'GET /user/emails',
      });
    }
    const primary = emails.find((e: unknown) => {
      const x = e as { email?: unknown; primary?: unknown; verified?: unknown } | null;
      return typeof x === 'object' && x !== null && x.primary === true && x.verified === true && typeof x.email === 'string' && x.email !== '';
    }) as { email: string } | undefined;
    return primary ? { login: u.login, identity: primary.email, source: 'primary-email' } : { login: u.login, missing: 'no-primary-verified' };
  }

  /**
   * GET {apiBase}{path} with the session's token. Errors say the endpoint and
   * the status, never the token nor the answer. `optional`: a 403 or 404 (no
   * user:email scope) resolves to undefined.
   */
  private async get(path: string, signal: AbortSignal | undefined, optional: boolean): Promise<unknown> {
    const endpoint = `GET ${path.split('?')[0]}`;
    const timeout = AbortSignal.timeout(this.fetchTimeoutMs);
    let res: Response;
    try {
      res = await fetch(`${this.apiBase}${path}`, {
        headers: {
          Authorization: `Bearer ${this.#accessToken}`,
          Accept: 'application/vnd.github+json',
          'X-GitHub-Api-Version': GITHUB_API_VERSION,
          'User-Agent': USER_AGENT,
        },
        // A redirect could carry the token elsewhere: GitHub does not redirect these.
        redirect: 'error',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (e) {
      throw this.networkError(e, endpoint, signal, timeout);
    }
    if (res.status === 200) {
      try {
        return await res.json();
      } catch (e) {
        if (signal?.aborted || timeout.aborted) throw this.networkError(e, endpoint, signal, timeout);
        throw new ModelSigningError('GITHUB_API_FAILED', `GitHub answered ${endpoint} with something other than JSON`, { reason: 'malformed', endpoint });
      }
    }
    await res.body?.cancel().catch(() => undefined);
    if ((res.status === 403 || res.status === 429) && res.headers.get('x-ratelimit-remaining') === '0') {
      const reset = Number(res.headers.get('x-ratelimit-reset'));
      const until = Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000).toISOString() : undefined;
      throw new ModelSigningError(
        'GITHUB_API_FAILED',
        `GitHub's API rate limit is exhausted (HTTP ${res.status} for ${endpoint})${until ? `: try again after ${until}` : ''}`,
        { reason: 'rate-limited', status: res.status, endpoint, apiBase: this.apiBase, until },
      );
    }
    if (optional && (res.status === 403 || res.status === 404)) return undefined;
    if (res.status === 401) {
      throw new ModelSigningError(
        'GITHUB_API_FAILED',
        `GitHub did not accept the editor's GitHub sign-in (HTTP 401 for ${endpoint}): sign in to GitHub again`,
        { reason: 'unauthorized', status: 401, endpoint, apiBase: this.apiBase },
      );
    }
    throw new ModelSigningError('GITHUB_API_FAILED', `GitHub answered ${endpoint} with HTTP ${res.status}`, {
      reason: 'http',
      status: res.status,
      endpoint,
      apiBase: this.apiBase,
    });
  }

  private networkError(e: unknown, endpoint: string, signal: AbortSignal | undefined, timeout: AbortSignal): ModelSigningError {
    if (signal?.aborted) return cancelledError();
    if (timeout.aborted) {
      return new ModelSigningError('GITHUB_API_FAILED', `GitHub did not answer ${endpoint} within ${this.fetchTimeoutMs} ms`, {
        reason: 'timeout',
        endpoint,
        apiBase: this.apiBase,
        timeoutMs: this.fetchTimeoutMs,
      });
    }
    // undici's TypeError('fetch failed') keeps the reason (ECONNREFUSED, ENOTFOUND, …) in its cause.
    const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
    const why =
      typeof cause?.code === 'string'
        ? cause.code
        : typeof cause?.message === 'string'
          ? this.redact(cause.message)
          : e instanceof Error
            ? this.redact(e.message)
            : 'network error';
    return new ModelSigningError('GITHUB_API_FAILED', `Could not reach GitHub at ${this.apiBase} (${endpoint}): ${why}`, {
      reason: 'network',
      endpoint,
      apiBase: this.apiBase,
      errno: typeof cause?.code === 'string' ? cause.code : undefined,
    });
  }

  /** The text without the token. */
  redact(text: string): string {
    const t = this.#accessToken;
    return t.length >= 4 ? text.split(t).join('[redacted]') : text;
  }
}

/** https, or http on a loopback host only: the token travels with every request. */
function parseApiBase(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new ModelSigningError('INVALID_OPTION', `The GitHub API address is not a URL: ${base}`, { option: 'apiBase' });
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname.toLowerCase());
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) || url.username || url.password || url.search || url.hash) {
    throw new ModelSigningError(
      'INVALID_OPTION',
      `The GitHub API address must be an https URL (plain http only for 127.0.0.1, localhost and ::1), without credentials or query: ${url.origin}${url.pathname}`,
      { option: 'apiBase' },
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
