// An HTTP server on 127.0.0.1 that answers 404 to everything and records what it was asked (method,
// path, and whether an Authorization header came): where a hostile workspace would send a token.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RequestRecorder {
  url: string;
  /** `METHOD /path (authorization: yes|no)`; never the header itself. */
  requests: string[];
  stop(): Promise<void>;
}

export async function startRequestRecorder(): Promise<RequestRecorder> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url} (authorization: ${req.headers.authorization ? 'yes' : 'no'})`);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
