// FulcioCredentialSigner (a GitHub access token sent to a Fulcio that takes
// them) against a certificate authority that is down, refuses, or answers
// without a certificate, over real HTTP on 127.0.0.1: SIGNING_SERVICE_FAILED
// saying which, and never the credential (a refusal's body may quote it).
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ModelSigningError } from '../../src/core/errors';
import { FulcioCredentialSigner } from '../../src/core/sigstore/fulcioCredentialSigner';
import { assertNoSecrets } from '../helpers/secrets';

const credential = { token: 'gho_fulcioCredentialSignerTestToken0123456789', subject: 'alice@example.com' };

describe('a certificate authority that does not certify', () => {
  let server: http.Server;
  let fulcioURL: string;
  let answer: { status: number; body: string } = { status: 500, body: '' };
  before(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    fulcioURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((r) => server.close(r)));

  async function failure(url: string): Promise<ModelSigningError> {
    let caught: unknown;
    await assert.rejects(new FulcioCredentialSigner({ fulcioURL: url, credential, timeoutMs: 10_000 }).sign(Buffer.from('payload')), (e: unknown) => {
      caught = e;
      return true;
    });
    assert.ok(caught instanceof ModelSigningError, String(caught));
    assert.equal(caught.code, 'SIGNING_SERVICE_FAILED');
    assertNoSecrets(caught, [credential.token]);
    return caught;
  }

  it('unreachable: the address and the network error', async () => {
    // A port that was just free (fetch refuses some low ports, 9 among them, before connecting).
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    const e = await failure(url);
    assert.equal(e.message, `Keyless signing failed: the certificate authority at ${url} could not be reached (ECONNREFUSED)`);
  });

  it('a refusal: the status only, not the body that quotes the credential', async () => {
    answer = { status: 401, body: JSON.stringify({ code: 401, message: `token ${credential.token} is not accepted` }) };
    const e = await failure(fulcioURL);
    assert.deepEqual(e.data, { status: 401 });
    assert.equal(e.message, 'Keyless signing failed: the certificate authority refused the credential (HTTP 401)');
  });

  it('an answer without a certificate', async () => {
    answer = { status: 201, body: JSON.stringify({ signedCertificateEmbeddedSct: { chain: { certificates: [] } } }) };
    const e = await failure(fulcioURL);
    assert.equal(e.message, 'Keyless signing failed: the certificate authority answered without a certificate');
  });
});
