// Google Cloud's ambient identity: the metadata server's identity endpoint, as
// the `id` package asks it (audience, `format=full`, `Metadata-Flavor: Google`).
// Detected as `id` detects it (the DMI product name), or by GCE_METADATA_HOST,
// the variable Google's own client libraries (and cosign) honour for where the
// metadata server is.
import * as fs from 'node:fs';
import { cancelledError } from '../abort';
import { ModelSigningError } from '../errors';
import { looksLikeJwt, quotableLine } from './identityToken';

export const GCP_PRODUCT_NAME_FILE = '/sys/class/dmi/id/product_name';
/** Google's libraries' default host; `id` uses the short name `metadata`, which only resolves with GCE's DNS search path. */
const DEFAULT_METADATA_HOST = 'metadata.google.internal';
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_TOKEN_CHARS = 64 * 1024;
const SYSTEM = 'Google Cloud';

/** Whether this looks like a Google Cloud machine: GCE_METADATA_HOST set, or a Google DMI product name (`id`'s test). */
export function onGoogleCloud(env: NodeJS.ProcessEnv, productNameFile = GCP_PRODUCT_NAME_FILE): boolean {
  if (env.GCE_METADATA_HOST) return true;
  try {
    return ['Google', 'Google Compute Engine'].includes(fs.readFileSync(productNameFile, 'utf8').trim());
  } catch {
    return false;
  }
}

/** The identity token of the machine's default service account, for `audience`. */
export async function metadataIdentityToken(audience: string, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string> {
  const host = env.GCE_METADATA_HOST || DEFAULT_METADATA_HOST;
  const fail = (why: string, data: Record<string, unknown> = {}) =>
    new ModelSigningError('IDENTITY_TOKEN_UNAVAILABLE', `${SYSTEM}: ${why}`, { sources: ['google-cloud'], host, ...data });
  // As Google's libraries take it: a host name or address, and a port, nothing else.
  if (!/^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(host)) {
    throw fail(`GCE_METADATA_HOST must be a host or host:port, not '${host}'`, { reason: 'bad-host' });
  }
  const url = new URL(`http://${host}/computeMetadata/v1/instance/service-accounts/default/identity`);
  url.searchParams.set('audience', audience);
  url.searchParams.set('format', 'full');
  const deadline = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  let res: Response;
  let body: string;
  try {
    res = await fetch(url, { headers: { 'Metadata-Flavor': 'Google' }, redirect: 'error', signal: signal ? AbortSignal.any([signal, deadline]) : deadline });
    body = (await res.text()).trim();
  } catch (e) {
    if (signal?.aborted) throw cancelledError();
    if (deadline.aborted) throw fail(`the metadata server at ${host} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`, { reason: 'timeout' });
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    throw fail(`the metadata server at ${host} cannot be reached (${cause ?? (e as Error).message})`, { reason: 'unreachable' });
  }
  if (res.status !== 200) {
    const said = quotableLine(body.split(/\r?\n/)[0]!);
    throw fail(`the metadata server's identity endpoint answered HTTP ${res.status}${said ? `: ${said}` : ''}`, { reason: 'http', status: res.status });
  }
  if (body.length > MAX_TOKEN_CHARS || !looksLikeJwt(body)) {
    throw fail("the metadata server's identity endpoint answered with no identity token (expected a JWT)", { reason: 'garbage' });
  }
  return body;
}
