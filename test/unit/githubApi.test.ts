// GitHubApi against a GitHub (Enterprise) API that answers wrongly, over real
// HTTP on 127.0.0.1: every failure is GITHUB_API_FAILED with a reason and the
// endpoint, and never carries the session's token.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ModelSigningError } from '../../src/core/errors';
import { GitHubApi } from '../../src/core/sigstore/githubApi';
import { assertNoSecrets } from '../helpers/secrets';

const TOKEN = 'gho_0123456789abcdefghijklmnopqrstuvwxyz';

/** What the server answers for a path: status, headers, body. */
type Answer = { status: number; headers?: Record<string, string>; body?: string };
const json = (v: unknown): Answer => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(v) });

describe('GitHub API answers that are not what GitHub answers', () => {
  let server: http.Server;
  let apiBase: string;
  let answers: Record<string, Answer> = {};
  const seen: string[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      const p = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      seen.push(p);
      const a = answers[p] ?? { status: 404 };
      res.writeHead(a.status, a.headers).end(a.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    apiBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((r) => server.close(r)));

  async function failure(routes: Record<string, Answer>): Promise<ModelSigningError> {
    answers = routes;
    let caught: unknown;
    await assert.rejects(new GitHubApi(TOKEN, { apiBase }).account(), (e: unknown) => {
      caught = e;
      return true;
    });
    assert.ok(caught instanceof ModelSigningError, String(caught));
    assert.equal(caught.code, 'GITHUB_API_FAILED');
    assertNoSecrets(caught, [TOKEN]);
    return caught;
  }

  it('a user without a login, or emails that are not a list: malformed, naming the endpoint', async () => {
    const noLogin = await failure({ '/user': json({ id: 1 }), '/user/emails': json([]) });
    assert.deepEqual(noLogin.data, { reason: 'malformed', endpoint: 'GET /user' });
    const notList = await failure({ '/user': json({ login: 'alice' }), '/user/emails': json({ message: 'Not a list' }) });
    assert.deepEqual(notList.data, { reason: 'malformed', endpoint: 'GET /user/emails' });
  });

  it('a 200 answer that is not JSON: malformed', async () => {
    const e = await failure({ '/user': { status: 200, body: '<html>Sign in</html>' }, '/user/emails': json([]) });
    assert.deepEqual(e.data, { reason: 'malformed', endpoint: 'GET /user' });
    assert.equal(e.message, 'GitHub answered GET /user with something other than JSON');
  });

  it('a server error: the status and the endpoint', async () => {
    const e = await failure({ '/user': { status: 502 }, '/user/emails': json([]) });
    assert.deepEqual(e.data, { reason: 'http', status: 502, endpoint: 'GET /user', apiBase });
    assert.equal(e.message, 'GitHub answered GET /user with HTTP 502');
  });

  it('a redirect is not followed (it could carry the token elsewhere): a network failure', async () => {
    seen.length = 0;
    const elsewhere = { status: 302, headers: { location: 'http://127.0.0.2:9/user' } };
    const e = await failure({ '/user': elsewhere, '/user/emails': elsewhere });
    assert.equal(e.data.reason, 'network');
    assert.equal(e.data.errno, undefined);
    assert.match(e.message, /redirect/);
    assert.deepEqual(seen.sort(), ['/user', '/user/emails']);
  });

  it('an API address that is not a URL: INVALID_OPTION before any request', () => {
    assert.throws(
      () => new GitHubApi(TOKEN, { apiBase: 'api.github.example' }),
      (e: unknown) => {
        assert.ok(e instanceof ModelSigningError);
        assert.equal(e.code, 'INVALID_OPTION');
        assert.deepEqual(e.data, { option: 'apiBase' });
        return true;
      },
    );
  });
});
