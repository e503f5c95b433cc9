// Errors of the sign-in without its secrets: the authorization code, the PKCE
// verifier, the client secret and the ID token are scrubbed from messages and
// data, and a cause that carries one is dropped.
import { ModelSigningError } from '../errors';

const REDACTED = '[redacted]';

/** The secret strings of one login, to be scrubbed from anything reported. */
export class Secrets {
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
      if (typeof v === 'string') {
        strings.push(v);
        return;
      }
      if (typeof v !== 'object') return;
      seen.add(v);
      if (v instanceof Error) {
        strings.push(v.message, v.stack ?? '');
        walk(v.cause, depth + 1);
      }
      if (Array.isArray(v)) {
        v.forEach((x) => walk(x, depth + 1));
        return;
      }
      for (const k of Object.keys(v)) {
        try {
          walk((v as Record<string, unknown>)[k], depth + 1);
        } catch {
          /* a throwing getter */
        }
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

export function oauthError(e: unknown, secrets: Secrets, reason: 'discovery' | 'exchange', what: string): ModelSigningError {
  const err = e as { name?: unknown; code?: unknown; error?: unknown; error_description?: unknown; status?: unknown; cause?: unknown; message?: unknown };
  const data: Record<string, unknown> = { reason };
  let detail: string;
  if (typeof err?.error === 'string') {
    // ResponseBodyError (token endpoint) or AuthorizationResponseError (callback: e.g. access_denied).
    const error = secrets.redact(err.error);
    data.error = error;
    if (typeof err.status === 'number') data.status = err.status;
    const description = typeof err.error_description === 'string' ? secrets.redact(err.error_description) : undefined;
    if (description) data.errorDescription = description;
    if (err.name === 'AuthorizationResponseError') data.reason = err.error === 'access_denied' ? 'denied' : 'authorization';
    detail = `the identity provider answered ${error}${description ? `: ${description}` : ''}`;
  } else {
    detail = typeof err?.message === 'string' ? secrets.redact(err.message) : secrets.redact(String(e));
    // openid-client says which claim or attribute failed in its cause.
    const which = failedClaim(err?.cause) ?? failedClaim((err?.cause as { cause?: unknown } | undefined)?.cause);
    if (which) {
      data.claim = which;
      detail += ` (${which})`;
    }
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

export function browserError(e: unknown, secrets: Secrets): ModelSigningError {
  const msg = e instanceof Error ? e.message : String(e);
  return new ModelSigningError('OIDC_LOGIN_FAILED', `Could not open the sign-in page: ${secrets.redact(msg)}`, { reason: 'browser' }, secrets.safeCause(e));
}

export function unexpectedError(e: unknown, secrets: Secrets): ModelSigningError {
  const msg = e instanceof Error ? e.message : String(e);
  return new ModelSigningError('OIDC_LOGIN_FAILED', `The sign-in failed: ${secrets.redact(msg)}`, { reason: 'unexpected' }, secrets.safeCause(e));
}
