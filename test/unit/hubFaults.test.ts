// How the Hub client meets a server that misbehaves: every case one line on stderr, exit 1, nothing left behind.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempDir } from '../helpers/fixtures';
import { hubEnv, hubSuite, publishAltered } from '../helpers/hubModels';
import type { HubStandInRequest } from '../helpers/hubStandIn';

describe('hub: servers that misbehave', () => {
  const suite = hubSuite();

  const download = async (repo: string, env: NodeJS.ProcessEnv = {}) => {
    const parent = tempDir('ms-dl-');
    const r = await runCli(['hub', 'download', 'key', repo, '--to', path.join(parent, 'model'), '--public-key', suite.good.publicKey], {
      env: hubEnv(suite.hub, env),
    });
    return { ...r, left: fs.readdirSync(parent) };
  };

  /** Answers the requests `match` picks with `answer` while `body` runs. */
  const answering = async <T>(match: (q: HubStandInRequest) => boolean, answer: (res: http.ServerResponse) => void, body: () => Promise<T>): Promise<T> => {
    suite.hub.onRequest = (q, res) => {
      if (!match(q)) return false;
      answer(res);
      return true;
    };
    try {
      return await body();
    } finally {
      suite.hub.onRequest = undefined;
    }
  };

  it('storage that ignores Range: the broken file is fetched again from its first byte', async () => {
    publishAltered(suite.hub, 'org/norange', suite.good, {});
    suite.hub.cut('org/norange', 'model.safetensors', 50_000);
    suite.hub.ignoreRange('org/norange', 'model.safetensors');
    const r = await download('org/norange');
    assert.equal(r.code, 0, r.stderr);
    const transfers = suite.hub.downloads('org/norange/model.safetensors').filter((q) => q.server === 'cdn');
    assert.deepEqual(
      transfers.map((q) => q.range),
      [undefined, 'bytes=50000-'],
    );
  });

  it('a connection cut again and again: the download fails after five tries, naming the file', async () => {
    publishAltered(suite.hub, 'org/broken', suite.good, {});
    suite.hub.cut('org/broken', 'shards/part-2.bin', 1000, 5);
    const r = await download('org/broken');
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^Verification failed with error: Cannot get org\/broken\/shards\/part-2\.bin from the Hub: the (connection broke|transfer ended) at byte 5000/,
    );
    assert.deepEqual(r.left, []);
  });

  it('a resumed transfer that starts at another byte is refused', async () => {
    publishAltered(suite.hub, 'org/offset', suite.good, {});
    suite.hub.cut('org/offset', 'model.safetensors', 10_000);
    const r = await answering(
      (q) => q.server === 'cdn' && q.range !== undefined,
      (res) => {
        res.writeHead(206, { 'Content-Range': 'bytes 0-9/300000', 'Content-Length': 10 });
        res.end(Buffer.alloc(10));
      },
      () => download('org/offset'),
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /resumed org\/offset\/model\.safetensors at another byte than asked \(bytes 0-9\/300000\)\n$/);
    assert.deepEqual(r.left, []);
  });

  it('errors of the Hub: 500, 403 with a token, a redirect loop, a listing that is not JSON, a revision without a commit', async () => {
    const revision = (q: HubStandInRequest) => q.path.startsWith('/api/models/org/good/revision/');
    const tree = (q: HubStandInRequest) => q.path.startsWith('/api/models/org/good/tree/');
    const cases: [(q: HubStandInRequest) => boolean, (res: http.ServerResponse) => void, RegExp, NodeJS.ProcessEnv?][] = [
      [revision, (res) => res.writeHead(500).end(), /Cannot get revision 'main' of org\/good from the Hub: HTTP 500\n$/],
      [
        revision,
        (res) => res.writeHead(403).end(),
        /refused revision 'main' of org\/good \(HTTP 403\): it does not exist, or the token given was refused/,
        { HF_TOKEN: 'hf_x' },
      ],
      [revision, (res) => res.writeHead(302, { Location: '/api/models/org/good/revision/main' }).end(), /more than 10 redirects\n$/],
      [revision, (res) => res.writeHead(302, { Location: 'file:///etc/passwd' }).end(), /a redirect to file:\n$/],
      [revision, (res) => res.writeHead(200).end('{"sha": 1}'), /answer for revision 'main' of org\/good is not usable: no commit id/],
      [tree, (res) => res.writeHead(200).end('<html>'), /file listing of org\/good@[0-9a-f]{40} is not usable: is not JSON\n$/],
      [tree, (res) => res.writeHead(200).end('{}'), /is not usable: not a list\n$/],
      [tree, (res) => res.writeHead(200).end('[{"type": "file", "path": "../x", "size": 1, "oid": "a"}]'), /is not usable: a bad entry for '\.\.\/x'\n$/],
      [
        tree,
        (res) => res.writeHead(200).end('[{"type": "file", "path": "a", "size": 1, "oid": "a", "lfs": {"oid": "x", "size": 1}}]'),
        /bad storage metadata for 'a'\n$/,
      ],
      [tree, (res) => res.writeHead(200).end('[{"size": 1}]'), /an entry without a path\n$/],
      [
        tree,
        (res) => res.writeHead(200, { Link: '<http://example.com/next>; rel="next"' }).end('[]'),
        /a next page on another host \(http:\/\/example\.com\)\n$/,
      ],
      [tree, (res) => res.writeHead(200, { 'Content-Length': String(64 << 20) }).end(), /The Hub sent 67108864 bytes for the file listing/],
      [tree, (res) => res.writeHead(200).end(Buffer.alloc(33 << 20, 32)), /The Hub sent more than 33554432 bytes for the file listing/],
    ];
    for (const [match, answer, expected, env] of cases) {
      const r = await answering(match, answer, () =>
        runCli(['hub', 'verify', 'key', 'org/good', '--public-key', suite.good.publicKey], { env: hubEnv(suite.hub, env) }),
      );
      assert.equal(r.code, 1, String(expected));
      assert.match(r.stderr, expected);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  it('a small file whose transfer breaks', async () => {
    publishAltered(suite.hub, 'org/cutsmall', suite.good, {});
    suite.hub.cut('org/cutsmall', 'config.json', 5);
    const r = await runCli(['hub', 'verify', 'key', 'org/cutsmall', '--public-key', suite.good.publicKey], { env: hubEnv(suite.hub) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Verification failed with error: Cannot get org\/cutsmall\/config\.json from the Hub: \w+/);
  });

  it('a Hub that cannot be reached, or an endpoint that is no URL', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await runCli(['hub', 'verify', 'key', 'org/good', '--public-key', suite.good.publicKey], {
      env: hubEnv(suite.hub, { HF_ENDPOINT: `http://127.0.0.1:${port}` }),
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Verification failed with error: Cannot get revision 'main' of org\/good from the Hub: ECONNREFUSED\n$/);
    const bad = await runCli(['hub', 'verify', 'key', 'org/good', '--public-key', suite.good.publicKey], {
      env: hubEnv(suite.hub, { HF_ENDPOINT: 'nowhere' }),
    });
    assert.match(bad.stderr, /HF_ENDPOINT is not an http\(s\) URL: 'nowhere'\n$/);
  });
});
