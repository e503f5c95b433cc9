// The extension's stand-in for make-fetch-happen (src/extension/hostFetch.ts), against a real local
// HTTP server: the calls @sigstore/sign and tuf-js make, retries only where they are safe, timeouts.
import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import hostFetch from '../../src/extension/hostFetch';

describe('hostFetch (make-fetch-happen on the host fetch)', () => {
  let server: Server;
  let base: string;
  const hits = new Map<string, number>();
  before(async () => {
    server = createServer((req, res) => {
      const n = (hits.get(req.url!) ?? 0) + 1;
      hits.set(req.url!, n);
      if (req.url === '/flaky' && n < 3) return void res.writeHead(503).end('busy');
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000);
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, body, ua: req.headers['user-agent'] })),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('sends the method, headers and body, and reads JSON or a Buffer back', async () => {
    const r = await hostFetch(`${base}/echo`, { method: 'POST', headers: { 'user-agent': 'sigstore-js' }, body: 'payload', timeout: 5000, retry: false });
    assert.deepEqual(await r.json(), { method: 'POST', body: 'payload', ua: 'sigstore-js' });
    const b = await (await hostFetch(`${base}/echo`)).buffer();
    assert.ok(Buffer.isBuffer(b));
    assert.equal((JSON.parse(b.toString()) as { method: unknown }).method, 'GET');
  });

  it('retries a GET on 5xx as often as asked, never a POST', async () => {
    assert.equal((await hostFetch(`${base}/flaky`, { retry: { retries: 3 } })).status, 200);
    assert.equal(hits.get('/flaky'), 3);
    hits.delete('/flaky');
    assert.equal((await hostFetch(`${base}/flaky`, { method: 'POST', retry: 3 })).status, 503);
    assert.equal(hits.get('/flaky'), 1);
  });

  it('gives up after the timeout', async () => {
    // The server answers after 2 s: a TimeoutError (not its late answer) is the timeout at work.
    await assert.rejects(hostFetch(`${base}/slow`, { timeout: 200 }), (e: Error) => e.name === 'TimeoutError');
  });

  it('streams the body as async-iterable chunks, as tuf-js reads it', async () => {
    const r = await hostFetch(`${base}/echo`);
    let n = 0;
    for await (const chunk of r.body as AsyncIterable<Uint8Array>) n += chunk.length;
    assert.ok(n > 10);
  });
});
