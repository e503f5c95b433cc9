// Where the Hub is and which token to show it, found as huggingface_hub finds them (constants.py, utils/_auth.py).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FormatError } from '../errors';
import { hubCacheDir } from '../huggingface/cacheLayout';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export interface HubSettings {
  /** The Hub's base URL, without a trailing slash. */
  endpoint: string;
  /** A user access token, sent as `Authorization: Bearer` to the endpoint only (never to the storage it redirects to). */
  token?: string;
  /** Where the token came from, for messages (`HF_TOKEN`, or the token file's path); never the token. */
  tokenSource?: string;
}

/** A token file larger than this is not a token. */
const MAX_TOKEN_FILE_BYTES = 4096;

/**
 * HF_ENDPOINT (default https://huggingface.co); the token from HF_TOKEN, then the older
 * HUGGING_FACE_HUB_TOKEN, then the file `hf auth login` writes: HF_TOKEN_PATH, else `$HF_HOME/token`,
 * HF_HOME defaulting to `$XDG_CACHE_HOME/huggingface` or `~/.cache/huggingface`. An empty value counts as none.
 */
export function hubSettingsFromEnv(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): HubSettings {
  const endpoint = (env.HF_ENDPOINT?.trim() || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
  let parsed: URL | undefined;
  try {
    parsed = new URL(endpoint);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new FormatError('INVALID_OPTION', `HF_ENDPOINT is not an http(s) URL: '${endpoint}'`, { endpoint });
  }
  for (const name of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN'] as const) {
    const token = env[name]?.trim();
    if (token) return { endpoint, token, tokenSource: name };
  }
  // HF_HOME as the cache's own lookup finds it (with ~ and $VAR expanded): the cache is $HF_HOME/hub.
  const hfHome = path.dirname(hubCacheDir({ ...env, HF_HUB_CACHE: undefined, HUGGINGFACE_HUB_CACHE: undefined }, home));
  const tokenFile = env.HF_TOKEN_PATH || path.join(hfHome, 'token');
  const token = readTokenFile(tokenFile);
  return token ? { endpoint, token, tokenSource: tokenFile } : { endpoint };
}

function readTokenFile(file: string): string | undefined {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile() || stat.size > MAX_TOKEN_FILE_BYTES) return undefined;
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
