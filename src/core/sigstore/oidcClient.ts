// openid-client's loading and the rules the sign-in holds an issuer and its endpoints to.
import type * as OidcClient from 'openid-client';
import { ModelSigningError } from '../errors';

export type OpenidClient = typeof OidcClient;

/** openid-client is ESM-only; loaded on first use (require(esm) on Node 20.19+, inlined by esbuild). */
export async function loadOpenidClient(): Promise<OpenidClient> {
  try {
    return await import('openid-client');
  } catch (e) {
    throw new ModelSigningError('OIDC_LOGIN_FAILED', `Could not load openid-client: ${e instanceof Error ? e.message : String(e)}`, { reason: 'load' }, e);
  }
}

export function abortableFetch(signal: AbortSignal): OidcClient.CustomFetch {
  return (url, init) =>
    fetch(url, {
      ...(init as RequestInit),
      signal: init.signal ? AbortSignal.any([init.signal, signal]) : signal,
    });
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether a URL names this machine (127.0.0.1, localhost or ::1). */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname.toLowerCase());
}

/** An https URL, or http on a loopback host (127.0.0.1, localhost, ::1) only. */
export function parseIssuer(issuer: string): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ModelSigningError('INVALID_OPTION', `The OIDC issuer is not a URL: ${issuer}`, { option: 'issuer', issuer });
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackUrl(url)) return url;
  throw new ModelSigningError('INVALID_OPTION', `The OIDC issuer must use https (plain http is allowed for 127.0.0.1, localhost and ::1 only): ${url.href}`, {
    option: 'issuer',
    issuer: url.href,
  });
}

export function formatDuration(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
