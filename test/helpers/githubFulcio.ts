// A front for the local Fulcio that makes the local Sigstore "a deployment whose
// certificate authority takes GitHub access tokens": a node:http proxy on
// 127.0.0.1 that, for POST /api/v2/signingCert, looks at the credential
// (`credentials.oidcIdentityToken`, where @sigstore/sign's CAClient puts it).
//  - A JWT is passed through unchanged.
//  - Anything else is taken as a GitHub access token: the front asks GitHub
//    (the stand-in, over HTTP, with that token) for the account's email, chosen
//    as Dex's GitHub connector chooses it (the profile's public email, else the
//    primary verified one), checks the proof of possession (the request's key
//    must have signed that email, as Fulcio checks it against a token's
//    subject), and forwards the request with a JWT for that email and issuer
//    https://github.com/login/oauth minted by LocalSigstore.mintToken.
//    A token GitHub does not accept gets 401; nothing is forwarded.
// Every other request is forwarded as it is.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { GITHUB_OAUTH_ISSUER } from '../../src/core/sigstore/githubSession';
import type { LocalSigstore } from './localSigstore';

const SIGNING_CERT_PATH = '/api/v2/signingCert';

export interface GitHubFulcioRequest {
  method: string;
  path: string;
  /** What the credential was: a JWT, something else (a GitHub token), or none. */
  credential: 'jwt' | 'github-token' | 'none';
  /** The credential as received (test-only record). */
  received?: string;
  /** The email GitHub named for a GitHub token. */
  email?: string;
  status: number;
  /** Why the front refused, when it did. */
  refused?: string;
}

export interface GitHubFulcio {
  /** The front's base URL: the caUrls entry of clientTrustConfig. */
  url: string;
  requests: GitHubFulcioRequest[];
  /** The LocalSigstore's ClientTrustConfig with caUrls = this front and oidcUrls = GitHub's OAuth issuer. */
  clientTrustConfig: Record<string, unknown>;
  writeTrustConfig(file: string): void;
  stop(): Promise<void>;
}

/**
 * The LocalSigstore's ClientTrustConfig, with its certificate authority at `caURL` and
 * GitHub's OAuth issuer as the only OIDC URL: how a signing config says its CA takes GitHub tokens.
 */
export function githubClientTrustConfig(sigstore: LocalSigstore, caURL: string): Record<string, unknown> {
  const base = structuredClone(sigstore.clientTrustConfig) as { signingConfig: Record<string, unknown> } & Record<string, unknown>;
  const [ca] = base.signingConfig.caUrls as Array<{ validFor: { start: string } }>;
  const start = ca!.validFor.start;
  base.signingConfig.caUrls = [{ url: caURL, majorApiVersion: 1, validFor: { start }, operator: 'localhost' }];
  base.signingConfig.oidcUrls = [{ url: GITHUB_OAUTH_ISSUER, majorApiVersion: 1, validFor: { start }, operator: 'localhost' }];
  return base;
}

export async function startGitHubFulcio(opts: { sigstore: LocalSigstore; githubApiBase: string }): Promise<GitHubFulcio> {
  const { sigstore, githubApiBase } = opts;
  const requests: GitHubFulcioRequest[] = [];

  async function handle(
    method: string,
    pathname: string,
    search: string,
    contentType: string | undefined,
    body: string,
  ): Promise<{ status: number; type: string; body: string | Buffer }> {
    if (method !== 'POST' || pathname !== SIGNING_CERT_PATH) {
      requests.push({ method, path: pathname, credential: 'none', status: 0 });
      return forward(method, `${pathname}${search}`, contentType, body, requests.at(-1)!);
    }
    let json: { credentials?: { oidcIdentityToken?: unknown }; publicKeyRequest?: { publicKey?: { content?: unknown }; proofOfPossession?: unknown } };
    try {
      json = JSON.parse(body) as typeof json;
    } catch {
      return refuse({ method, path: pathname, credential: 'none', status: 0 }, 400, 'the request is not JSON');
    }
    const credential = json.credentials?.oidcIdentityToken;
    if (typeof credential !== 'string' || credential === '') {
      return refuse({ method, path: pathname, credential: 'none', status: 0 }, 401, 'no credential');
    }
    if (isJwt(credential)) {
      const r: GitHubFulcioRequest = { method, path: pathname, credential: 'jwt', received: credential, status: 0 };
      requests.push(r);
      return forward(method, pathname, contentType, body, r);
    }

    const r: GitHubFulcioRequest = { method, path: pathname, credential: 'github-token', received: credential, status: 0 };
    const email = await githubEmail(githubApiBase, credential);
    if (email.status !== 200) return refuse(r, email.status === 401 ? 401 : 502, `GitHub answered ${email.status}`);
    if (!email.email) return refuse(r, 403, 'GitHub shows no public or primary verified email for this account');
    r.email = email.email;
    // Fulcio's proof of possession: the key in the request signed the subject.
    const pem = json.publicKeyRequest?.publicKey?.content;
    const proof = json.publicKeyRequest?.proofOfPossession;
    let possessed = false;
    try {
      possessed =
        typeof pem === 'string' &&
        typeof proof === 'string' &&
        crypto.verify('sha256', Buffer.from(email.email), crypto.createPublicKey(pem), Buffer.from(proof, 'base64'));
    } catch {
      /* a bad key or signature */
    }
    if (!possessed) return refuse(r, 400, `the proof of possession is not a signature of ${email.email}`);
    json.credentials = { ...json.credentials, oidcIdentityToken: await sigstore.mintToken({ email: email.email, iss: GITHUB_OAUTH_ISSUER }) };
    requests.push(r);
    return forward(method, pathname, 'application/json', JSON.stringify(json), r);
  }

  function refuse(r: GitHubFulcioRequest, status: number, why: string) {
    r.status = status;
    r.refused = why;
    requests.push(r);
    // Fulcio's error shape (gRPC gateway): {code, message}.
    return { status, type: 'application/json', body: JSON.stringify({ code: status === 401 ? 16 : status === 403 ? 7 : 3, message: why }) };
  }

  async function forward(method: string, pathAndQuery: string, contentType: string | undefined, body: string, r: GitHubFulcioRequest) {
    const res = await fetch(`${sigstore.fulcioURL}${pathAndQuery}`, {
      method,
      headers: contentType ? { 'Content-Type': contentType } : {},
      body: method === 'GET' || method === 'HEAD' ? undefined : body,
    });
    r.status = res.status;
    return { status: res.status, type: res.headers.get('content-type') ?? 'application/octet-stream', body: Buffer.from(await res.arrayBuffer()) };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      handle(req.method ?? 'GET', url.pathname, url.search, req.headers['content-type'], Buffer.concat(chunks).toString('utf8'))
        .catch((e: unknown) => ({ status: 502, type: 'text/plain', body: `front: ${e instanceof Error ? e.message : String(e)}` }))
        .then(({ status, type, body }) => {
          res.writeHead(status, { 'Content-Type': type });
          res.end(body);
        })
        // The answer could not be written (the client went away): drop the connection.
        .catch((e: unknown) => res.destroy(e instanceof Error ? e : new Error(String(e))));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientTrustConfig = githubClientTrustConfig(sigstore, url);
  return {
    url,
    requests,
    clientTrustConfig,
    writeTrustConfig(file: string) {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      fs.writeFileSync(file, `${JSON.stringify(clientTrustConfig, null, 2)}\n`);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Three base64url parts, the middle one a JSON object. */
function isJwt(s: string): boolean {
  const parts = s.split('.');
  if (parts.length !== 3) return false;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null;
  } catch {
    return false;
  }
}

/** As Dex's GitHub connector: GET /user's public email, else the primary verified one of GET /user/emails. */
async function githubEmail(apiBase: string, token: string): Promise<{ status: number; email?: string }> {
  const headers = { Authorization: `Bearer ${token}`, Accept: 'application/vnd.github+json', 'User-Agent': 'local-github-fulcio' };
  const user = await fetch(`${apiBase}/user`, { headers });
  if (user.status !== 200) return { status: user.status };
  const { email } = (await user.json()) as { email?: string | null };
  if (email) return { status: 200, email };
  const emails = await fetch(`${apiBase}/user/emails?per_page=100`, { headers });
  if (emails.status !== 200) return { status: emails.status === 404 ? 200 : emails.status };
  const list = (await emails.json()) as Array<{ email: string; primary: boolean; verified: boolean }>;
  return { status: 200, email: list.find((e) => e.primary && e.verified)?.email };
}
