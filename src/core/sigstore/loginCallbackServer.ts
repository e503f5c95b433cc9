// The loopback server that receives the browser's redirect after sign-in: one
// accepted callback (the expected state, compared in constant time), a plain
// page for the browser, and no listening beyond 127.0.0.1.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ModelSigningError } from '../errors';

export const CALLBACK_PATH = '/auth/callback';

export interface CallbackServer {
  redirectUri: string;
  /** Resolves with the first request to the callback path that carries the expected state. */
  callback: Promise<URL>;
  /** Answers the browser that made the accepted callback. */
  finish(ok: boolean, message: string): void;
  /** Stops listening and drops every connection; resolves when the port is closed. */
  close(): Promise<void>;
}

export async function startCallbackServer(expectedState: string): Promise<CallbackServer> {
  let redirectUri = '';
  let accepted: http.ServerResponse | undefined;
  let finished: Promise<void> = Promise.resolve();
  let resolveCallback!: (u: URL) => void;
  const callback = new Promise<URL>((resolve) => {
    resolveCallback = resolve;
  });

  const server = http.createServer((req, res) => {
    res.setHeader('Connection', 'close');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      return page(res, 400, 'Bad request', 'This address is not understood.');
    }
    if (url.pathname !== CALLBACK_PATH) return page(res, 404, 'Not found', 'Nothing here.');
    if (req.method !== 'GET') return page(res, 405, 'Method not allowed', 'Only GET is answered here.');
    if (accepted) return page(res, 409, 'Already signed in', 'This sign-in has already been handled. You can close this tab.');
    const state = url.searchParams.get('state');
    if (state === null || !sameString(state, expectedState)) {
      // Not ours (a stale tab, or someone else's request): keep waiting for the real one.
      return page(
        res,
        400,
        'Sign-in not recognised',
        'This response does not belong to the sign-in in progress (state mismatch). Start the sign-in again from the application.',
      );
    }
    accepted = res;
    finished = new Promise((resolve) => res.once('close', () => resolve()));
    // openid-client takes the redirect_uri for the exchange from this URL: rebuild it on ours.
    const received = new URL(redirectUri);
    received.search = url.search;
    resolveCallback(received);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: unknown) => {
    throw new ModelSigningError(
      'OIDC_LOGIN_FAILED',
      `Could not listen on 127.0.0.1 for the sign-in callback: ${e instanceof Error ? e.message : String(e)}`,
      { reason: 'callback-server' },
      e,
    );
  });
  // `localhost` in the URL, as sigstore-python and cosign send it (the public-good
  // OAuth client is registered for it); the listener itself is on 127.0.0.1 only.
  redirectUri = `http://localhost:${(server.address() as AddressInfo).port}${CALLBACK_PATH}`;
  let closing: Promise<void> | undefined;
  return {
    redirectUri,
    callback,
    finish(ok, message) {
      if (accepted && !accepted.headersSent) page(accepted, ok ? 200 : 400, ok ? 'Signed in' : 'Sign-in failed', message);
    },
    close() {
      closing ??= (async () => {
        if (accepted && !accepted.writableEnded) page(accepted, 400, 'Sign-in failed', 'The sign-in was stopped.');
        // Let the answer reach the browser before the sockets are dropped.
        await Promise.race([finished, new Promise((r) => setTimeout(r, 1000).unref())]);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

function page(res: http.ServerResponse, status: number, title: string, message: string): void {
  const body = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#222}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>
`;
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
