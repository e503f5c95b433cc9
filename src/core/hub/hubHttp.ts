// One HTTP exchange with the Hub or the storage it redirects to: redirects followed by hand, so the
// token goes to the Hub's own origin only, and the Hub's error headers turned into typed errors.
import * as http from 'node:http';
import * as https from 'node:https';
import { cancelledError, throwIfAborted } from '../abort';
import { ModelSigningError } from '../errors';

export interface HubRequest {
  method?: 'GET' | 'HEAD';
  /** Sent to `tokenOrigin` only: a redirect to another origin (the CDN) drops it, as browsers and `requests` do. */
  token?: string;
  tokenOrigin: string;
  range?: { start: number };
  /** For messages: what was asked for (`the listing of ORG/NAME`, `ORG/NAME/config.json`). */
  what: string;
  signal?: AbortSignal;
}

export interface HubResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
  /** Where the answer came from, after redirects. */
  url: URL;
}

const MAX_REDIRECTS = 10;
const USER_AGENT = 'model-signing-vscode';

/** GET (or HEAD) `url`, following redirects; an answer of 400 or more becomes a ModelSigningError, its body unread. */
export async function hubRequest(url: URL, req: HubRequest): Promise<HubResponse> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    throwIfAborted(req.signal);
    const res = await send(current, req);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      current = new URL(res.headers.location, current);
      if (current.protocol !== 'https:' && current.protocol !== 'http:') throw requestFailed(req, `a redirect to ${current.protocol}`);
      continue;
    }
    if (status >= 400) {
      res.resume();
      throw hubError(status, res.headers, req);
    }
    return { status, headers: res.headers, body: res, url: current };
  }
  throw requestFailed(req, `more than ${MAX_REDIRECTS} redirects`);
}

function send(url: URL, req: HubRequest): Promise<http.IncomingMessage> {
  const headers: http.OutgoingHttpHeaders = { 'user-agent': USER_AGENT, 'accept-encoding': 'identity' };
  if (req.token && url.origin === req.tokenOrigin) headers.authorization = `Bearer ${req.token}`;
  if (req.range && req.range.start > 0) headers.range = `bytes=${req.range.start}-`;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const r = client.request(url, { method: req.method ?? 'GET', headers, signal: req.signal }, resolve);
    r.on('error', (e) => reject(req.signal?.aborted ? cancelledError() : requestFailed(req, errnoOf(e))));
    r.end();
  });
}

function errnoOf(e: Error): string {
  return 'code' in e && typeof e.code === 'string' ? e.code : e.message;
}

export function requestFailed(req: Pick<HubRequest, 'what'>, why: string): ModelSigningError {
  return new ModelSigningError('HUB_REQUEST_FAILED', `Cannot get ${req.what} from the Hub: ${why}`, { what: req.what, why });
}

/**
 * The Hub says why in `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo) and
 * `X-Error-Message`; a 401 without a code means "not found, or private or gated and you are not allowed"
 * (huggingface_hub's utils/_http.py reads them the same way).
 */
function hubError(status: number, headers: http.IncomingHttpHeaders, req: HubRequest): ModelSigningError {
  const code = one(headers['x-error-code']);
  const serverMessage = one(headers['x-error-message'])?.slice(0, 300);
  const data = { what: req.what, status, errorCode: code, serverMessage };
  const said = serverMessage ? ` (the Hub says: ${serverMessage})` : '';
  if (code === 'GatedRepo') {
    const how = req.token
      ? 'the token given has no access: accept its conditions on the model page'
      : 'log in (HF_TOKEN or `hf auth login`) after accepting its conditions on the model page';
    return new ModelSigningError('HUB_ACCESS_DENIED', `${req.what} is in a gated repository: ${how}${said}`, data);
  }
  if (code === 'RevisionNotFound') return new ModelSigningError('HUB_NOT_FOUND', `The Hub has no such revision: ${req.what}${said}`, data);
  if (code === 'EntryNotFound') return new ModelSigningError('HUB_NOT_FOUND', `The Hub has no such file: ${req.what}${said}`, data);
  if (status === 401 || status === 403) {
    const how = req.token ? 'the token given was refused or has no access to it' : 'if it is private or gated, log in (HF_TOKEN or `hf auth login`)';
    return new ModelSigningError('HUB_ACCESS_DENIED', `The Hub refused ${req.what} (HTTP ${status}): it does not exist, or ${how}${said}`, data);
  }
  if (status === 404 || code === 'RepoNotFound') return new ModelSigningError('HUB_NOT_FOUND', `The Hub has no ${req.what} (HTTP ${status})${said}`, data);
  return new ModelSigningError('HUB_REQUEST_FAILED', `Cannot get ${req.what} from the Hub: HTTP ${status}${said}`, data);
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The body of an answer as bytes, refused past `maxBytes` (a listing page, a signature, a small file). */
export async function readBody(res: HubResponse, maxBytes: number, what: string, signal?: AbortSignal): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.body.destroy();
    throw new ModelSigningError('HUB_RESPONSE_INVALID', `The Hub sent ${declared} bytes for ${what}; at most ${maxBytes} were expected`, { what });
  }
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      throwIfAborted(signal);
      length += chunk.length;
      if (length > maxBytes) {
        res.body.destroy();
        throw new ModelSigningError('HUB_RESPONSE_INVALID', `The Hub sent more than ${maxBytes} bytes for ${what}`, { what });
      }
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof ModelSigningError) throw e;
    throw requestFailed({ what }, errnoOf(e as Error));
  }
  return Buffer.concat(chunks, length);
}
