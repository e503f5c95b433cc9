// The identity-token side of keyless signing: what a provider is, a token
// given outright, and reading a token's claims for display. Tokens never reach
// an error message or an error's data.
import { decodeJwt } from 'jose';
import { settle, throwIfCancelled } from '../abort';
import { ModelSigningError } from '../errors';

/** Anything that can hand out an OIDC identity token for Fulcio. */
export interface IdentityProvider {
  /** 'static', 'ambient' or 'interactive'. */
  readonly name: string;
  getToken(options?: { signal?: AbortSignal }): Promise<string>;
}

export const DEFAULT_OIDC_CLIENT_ID = 'sigstore';

/** Three base64url parts: the shape of a JWT (whether its parts decode is checkToken's to say). */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** A line a token service or tool said, for a message: short, with anything shaped like a JWT cut out. */
export function quotableLine(line: string): string {
  const redacted = line.trim().replace(/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_.-]*/g, '[token]');
  return redacted.length > 200 ? `${redacted.slice(0, 200)}…` : redacted;
}

// ---------------------------------------------------------------------------
// Reading a token (unverified: for display and early sanity checks only)
// ---------------------------------------------------------------------------

/**
 * The issuer and the identity Fulcio will certify, read from a token without
 * verifying it: `email` when `email_verified` is true, else `sub`.
 */
export function identityFromToken(token: string): { issuer: string; identity: string } {
  const claims = decodeClaims(token);
  const issuer = claims.iss;
  if (typeof issuer !== 'string' || issuer === '') {
    throw new ModelSigningError('IDENTITY_TOKEN_INVALID', 'The identity token has no issuer (`iss` claim)', { reason: 'no-issuer' });
  }
  if (typeof claims.email === 'string' && claims.email !== '' && (claims.email_verified === true || claims.email_verified === 'true')) {
    return { issuer, identity: claims.email };
  }
  if (typeof claims.sub === 'string' && claims.sub !== '') return { issuer, identity: claims.sub };
  throw new ModelSigningError(
    'IDENTITY_TOKEN_INVALID',
    'The identity token has neither a verified email (`email` with `email_verified: true`) nor a subject (`sub`)',
    { reason: 'no-identity', issuer },
  );
}

/** The claims, unverified. `source` finishes "The identity token …" in what a malformed one is told. */
export function decodeClaims(token: string, source?: string): Record<string, unknown> {
  const which = source ? `The identity token ${source}` : 'The identity token';
  if (typeof token !== 'string' || token.trim() === '') {
    throw new ModelSigningError('IDENTITY_TOKEN_INVALID', `${which} is empty`, { reason: 'empty' });
  }
  try {
    return decodeJwt(token.trim());
  } catch {
    // jose's messages do not quote the token, but nothing of it is kept either.
    throw new ModelSigningError('IDENTITY_TOKEN_INVALID', `${which} is not a well-formed JWT (expected three base64url parts with a JSON claims set)`, {
      reason: 'malformed',
    });
  }
}

/**
 * Well-formed, with an identity, and not expired: what Fulcio would reject anyway, said earlier and clearer.
 * `source` finishes "The identity token …" ("you pasted", "from https://issuer"): the user is told which token.
 */
export function checkToken(token: string, source: string): string {
  const t = token.trim();
  const claims = decodeClaims(t, source);
  identityFromToken(t);
  if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) {
    const expiredAt = new Date(claims.exp * 1000).toISOString();
    throw new ModelSigningError('IDENTITY_TOKEN_INVALID', `The identity token ${source} expired at ${expiredAt}`, { reason: 'expired', expiredAt });
  }
  return t;
}

// ---------------------------------------------------------------------------
// Explicit token
// ---------------------------------------------------------------------------

/** Where a token given outright came from, for what its errors say. */
export type TokenOrigin = 'command-line' | 'pasted' | 'caller';

const ORIGIN_TEXT: Record<TokenOrigin, string> = {
  'command-line': 'given on the command line (--identity-token)',
  pasted: 'you pasted',
  caller: 'given to the command',
};

/** A token given by the caller (`--identity-token`, a pasted one, or a program's). */
export class StaticTokenProvider implements IdentityProvider {
  readonly name = 'static';
  readonly #token: string;
  readonly #origin: TokenOrigin;

  constructor(token: string, origin: TokenOrigin = 'command-line') {
    decodeClaims(token);
    this.#token = token.trim();
    this.#origin = origin;
  }

  getToken(options: { signal?: AbortSignal } = {}): Promise<string> {
    return settle(() => {
      throwIfCancelled(options.signal);
      return checkToken(this.#token, ORIGIN_TEXT[this.#origin]);
    });
  }

  /** Never prints the token. */
  toJSON(): object {
    return { name: this.name };
  }
}
