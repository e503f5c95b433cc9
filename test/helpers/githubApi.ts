// A stand-in for GitHub's REST API on 127.0.0.1: GET /user and GET /user/emails
// for the access tokens it knows, answered as api.github.com answers them
// (401 "Bad credentials" for any other token, 403 without a User-Agent, 404
// for /user/emails when the token lacks the user:email scope).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
  visibility?: 'public' | 'private' | null;
}

export interface GitHubAccount {
  /** The OAuth access token of this account's session. */
  token: string;
  login: string;
  id?: number;
  /** The profile's public email (`email` of GET /user); default null, i.e. kept private. */
  publicEmail?: string | null;
  emails: GitHubEmail[];
  /** Whether the token has the user:email scope; without it GET /user/emails answers 404. Default true. */
  emailScope?: boolean;
  /** Answer every request with GitHub's 403 for an exhausted rate limit. */
  rateLimited?: boolean;
}

export interface GitHubApiRequest {
  method: string;
  /** Without the query. */
  path: string;
  query: string;
  authorization?: string;
  accept?: string;
  userAgent?: string;
  apiVersion?: string;
  status: number;
}

export interface GitHubApi {
  /** e.g. http://127.0.0.1:PORT (no trailing slash): the apiBase to give the client. */
  apiBase: string;
  /** Looked up on every request: tests may add or change accounts. */
  accounts: GitHubAccount[];
  requests: GitHubApiRequest[];
  stop(): Promise<void>;
}

const DOCS = 'https://docs.github.com/rest';

export async function startGitHubApi(opts: { accounts?: GitHubAccount[] } = {}): Promise<GitHubApi> {
  const state: GitHubApi = { apiBase: '', accounts: [...(opts.accounts ?? [])], requests: [], stop: () => Promise.resolve() };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: GitHubApiRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      authorization: req.headers.authorization,
      accept: header(req, 'accept'),
      userAgent: header(req, 'user-agent'),
      apiVersion: header(req, 'x-github-api-version'),
      status: 0,
    };
    state.requests.push(record);
    const send = (status: number, body: unknown) => {
      record.status = status;
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    req.resume();
    if (!record.userAgent) {
      return send(403, {
        message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.',
        documentation_url: DOCS,
        status: '403',
      });
    }
    const account = accountFor(state.accounts, req.headers.authorization);
    if (!account) return send(401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
    if (account.rateLimited) {
      res.setHeader('x-ratelimit-limit', '5000');
      res.setHeader('x-ratelimit-remaining', '0');
      res.setHeader('x-ratelimit-reset', String(Math.floor(Date.now() / 1000) + 600));
      return send(403, { message: 'API rate limit exceeded for user ID 1.', documentation_url: DOCS, status: '403' });
    }
    if (req.method === 'GET' && url.pathname === '/user') {
      const id = account.id ?? idOf(account.login);
      return send(200, {
        login: account.login,
        id,
        node_id: `U_${id}`,
        type: 'User',
        name: null,
        email: account.publicEmail ?? null,
        html_url: `https://github.com/${account.login}`,
      });
    }
    if (req.method === 'GET' && url.pathname === '/user/emails') {
      if (account.emailScope === false) return send(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
      return send(
        200,
        account.emails.map((e) => ({ visibility: e.primary ? 'private' : null, ...e })),
      );
    }
    return send(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  state.apiBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

/** GitHub takes `Bearer <token>` and the older `token <token>`. */
function accountFor(accounts: GitHubAccount[], authorization: string | undefined): GitHubAccount | undefined {
  const m = /^(?:Bearer|token) (\S+)$/i.exec(authorization ?? '');
  return m ? accounts.find((a) => a.token === m[1]) : undefined;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function idOf(login: string): number {
  let h = 0;
  for (const c of login) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % 100_000_000;
}
