// What `npm start` offers for keyless signing, each working offline for as long as it runs:
//  - one trust config for all three identity sources: the GitHub front as certificate authority (it
//    passes ID tokens through to the local Fulcio and takes the GitHub stand-in's access tokens), the
//    local issuer first among the OIDC URLs (the browser sign-in goes there), GitHub's OAuth issuer
//    after it (how a signing config says its CA takes GitHub tokens);
//  - a page on 127.0.0.1 that mints a fresh identity token on every visit, to paste: the local issuer's
//    tokens live 10 minutes, so one minted at start would not last the session.
import { readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

type OidcUrl = { url: string } & Record<string, unknown>;

/** Writes to `file` the GitHub front's trust config with `issuer` as the first OIDC URL. */
export function writeDemoTrustConfig(githubTrustConfig: string, issuer: string, file: string): void {
  const config = JSON.parse(readFileSync(githubTrustConfig, 'utf8')) as { signingConfig: { oidcUrls: OidcUrl[] } };
  const [github] = config.signingConfig.oidcUrls;
  if (!github) throw new Error(`${githubTrustConfig} names no OIDC URL`);
  config.signingConfig.oidcUrls = [{ ...github, url: issuer }, github];
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
}

export interface TokenPage {
  url: string;
  stop(): Promise<void>;
}

/** A loopback page that answers each GET with a fresh token from `mint`, as plain text, never cached. */
export async function startTokenPage(mint: () => Promise<string>): Promise<TokenPage> {
  const server = http.createServer((req, res) => {
    const headers = { 'Cache-Control': 'no-store', 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };
    if (req.method !== 'GET' || (req.url ?? '/') !== '/') {
      res.writeHead(req.method === 'GET' ? 404 : 405, headers).end('GET / for a fresh identity token\n');
      return;
    }
    mint().then(
      (token) => res.writeHead(200, headers).end(token),
      (e: unknown) => res.writeHead(500, headers).end(`could not mint a token: ${e instanceof Error ? e.message : String(e)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
