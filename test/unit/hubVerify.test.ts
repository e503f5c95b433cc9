import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseHubRepo } from '../../src/core/hub/hubRepo';
import { hubSettingsFromEnv } from '../../src/core/hub/hubSettings';
import { runCli, tempDir } from '../helpers/fixtures';
import { hubEnv, hubSuite, publishAltered, publishSigned } from '../helpers/hubModels';

describe('hub verify', () => {
  const suite = hubSuite();

  const verify = (repo: string, publicKey: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
    runCli(['hub', 'verify', 'key', repo, '--public-key', publicKey, ...extra], { env: hubEnv(suite.hub, env) });

  it('verifies a suite.good model from the listing: the large files are never downloaded, the small ones are hashed', async () => {
    const from = suite.hub.requests.length;
    const r = await verify('org/good', suite.good.publicKey);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Commit: ${suite.good.commit}\n`));
    assert.match(r.stdout, /Checked by the Hub's metadata \(sha256 of LFS\/Xet storage\): 2 file\(s\): model\.safetensors, shards\/part-2\.bin\n/);
    assert.match(r.stdout, /Checked by their bytes \(kept in git, fetched and hashed\): 2 file\(s\): config\.json, tokenizer\/vocab\.txt\n/);
    assert.match(r.stdout, /Verification succeeded\n$/);
    const requests = suite.hub.requests.slice(from);
    assert.equal(requests.filter((q) => q.server === 'cdn').length, 0, 'nothing was fetched from storage');
    assert.equal(suite.hub.downloads('org/good/model.safetensors').length, 0);
    assert.equal(suite.hub.downloads('org/good/config.json').length, 1);
    // .gitattributes is one of the git paths the signer left out: neither fetched nor reported.
    assert.equal(suite.hub.downloads('org/good/.gitattributes').length, 0);
  });

  it('pins the revision: a branch, a tag or a commit, and a model page URL, all read from the commit resolved', async () => {
    suite.hub.setRef('org/good', 'v1', suite.good.commit);
    for (const repo of ['org/good@v1', `org/good@${suite.good.commit}`, `${suite.hub.endpoint}/org/good/tree/v1`]) {
      const r = await verify(repo, suite.good.publicKey);
      assert.equal(r.code, 0, `${repo}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Commit: ${suite.good.commit}\n`));
    }
    const resolves = suite.hub.requests.filter((q) => q.path.startsWith('/org/good/resolve/'));
    assert.ok(
      resolves.every((q) => q.path.startsWith(`/org/good/resolve/${suite.good.commit}/`)),
      'every file is read from the pinned commit',
    );
  });

  it('reads a listing of many pages (the Link header)', async () => {
    suite.hub.pageSize = 2;
    try {
      const r = await verify('org/good', suite.good.publicKey);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(suite.hub.requests.filter((q) => q.path === '/api/models/org/good/tree/' + suite.good.commit).length >= 4);
    } finally {
      suite.hub.pageSize = 1000;
    }
  });

  it('a changed large file is caught from the metadata, before any download', async () => {
    publishAltered(suite.hub, 'org/changed', suite.good, { 'model.safetensors': Buffer.alloc(300_000, 8) });
    const r = await verify('org/changed', suite.good.publicKey);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /the model does not match its signature \(1 changed, 0 missing, 0 extra\)\nchanged: model\.safetensors \(expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}\)\n/,
    );
    assert.equal(suite.hub.downloads('org/changed/model.safetensors').length, 0);
  });

  it('a changed small file, a missing file and an extra file are reported as verify reports them', async () => {
    publishAltered(suite.hub, 'org/edited', suite.good, {
      'config.json': '{"architectures": ["Evil"]}\n',
      'tokenizer/vocab.txt': null,
      'extra.bin': 'x',
      'notes.md': 'y',
    });
    const r = await verify('org/edited', suite.good.publicKey);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /\(1 changed, 1 missing, 2 extra\)\nchanged: config\.json .*\nmissing: tokenizer\/vocab\.txt\nextra: {3}extra\.bin\nextra: {3}notes\.md\n$/,
    );
    // An extra file is extra whatever its bytes: it is not fetched.
    assert.equal(suite.hub.downloads('org/edited/notes.md').length, 0);
    // As with verify: unsigned files can be left out; a signed file left out is missing.
    const ignoring = await verify('org/edited', suite.good.publicKey, ['--ignore-unsigned-files', '--ignore-paths', 'config.json']);
    assert.match(ignoring.stderr, /\(0 changed, 2 missing, 0 extra\)\nmissing: config\.json\nmissing: tokenizer\/vocab\.txt\n$/);
  });

  it('--json: the result as verify --json gives it, with the commit and how each file was checked', async () => {
    const r = await verify('org/good', suite.good.publicKey, ['--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { verified: boolean; resources: unknown[]; hub: Record<string, unknown> };
    assert.equal(json.verified, true);
    assert.equal(json.resources.length, 4);
    assert.deepEqual(json.hub, {
      repo: 'org/good',
      revision: 'main',
      commit: suite.good.commit,
      signature: 'model.sig',
      checkedByMetadata: ['model.safetensors', 'shards/part-2.bin'],
      checkedByBytes: ['config.json', 'tokenizer/vocab.txt'],
    });
  });

  it('a signature elsewhere in the repository (--signature), and a wrong key', async () => {
    const dir = path.join(tempDir(), 'moved');
    fs.cpSync(suite.good.dir, dir, { recursive: true });
    fs.mkdirSync(path.join(dir, 'signatures'));
    fs.renameSync(path.join(dir, 'model.sig'), path.join(dir, 'signatures/v1.sig'));
    suite.hub.publish('org/moved', dir);
    assert.match(
      (await verify('org/moved', suite.good.publicKey)).stderr,
      /has no signature 'model\.sig' \(give its path in the repository with --signature\)\n$/,
    );
    assert.match(
      (await verify('org/moved', suite.good.publicKey, ['--signature', 'signatures/v1.sig', '--ignore-paths', 'signatures'])).stdout,
      /Verification succeeded/,
    );
    const other = await publishSigned(suite.hub, 'org/other');
    const wrongKey = await verify('org/good', other.publicKey);
    assert.equal(wrongKey.code, 1);
    assert.equal(wrongKey.stderr.split('\n').length, 2, wrongKey.stderr);
  });

  it('a signature over anything but files + sha256 needs the bytes, and says so', async () => {
    const shards = await publishSigned(suite.hub, 'org/shards', { signArgs: ['--serialization', 'shards'] });
    const r = await verify('org/shards', shards.publicKey);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^Verification failed with error: The signature is over shards hashed with sha256; .*checking it needs the bytes: use hub download\n$/,
    );
    const blake = await publishSigned(suite.hub, 'org/blake', { signArgs: ['--hash-algorithm', 'blake2b'] });
    assert.match((await verify('org/blake', blake.publicKey)).stderr, /over files hashed with blake2b; .*needs the bytes/);
  });

  it('a repository, revision or signature the Hub does not have: one line, exit 1', async () => {
    const cases: [string, RegExp][] = [
      [
        'org/nothing',
        /^Verification failed with error: The Hub refused revision 'main' of org\/nothing \(HTTP 401\): it does not exist, or if it is private or gated, log in/,
      ],
      [
        'org/good@nope',
        /^Verification failed with error: The Hub has no such revision: revision 'nope' of org\/good \(the Hub says: Invalid rev id: nope\)\n$/,
      ],
      ['not a repo', /^Verification failed with error: 'not a repo' is not a Hugging Face model: give ORG\/NAME/],
      ['org/a..b', /is not a Hugging Face model/],
    ];
    for (const [repo, expected] of cases) {
      const r = await verify(repo, suite.good.publicKey);
      assert.equal(r.code, 1, repo);
      assert.match(r.stderr, expected);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.equal((await runCli(['hub', 'verify', 'key'])).code, 2);
    assert.equal((await runCli(['hub', 'frobnicate'])).code, 2);
    assert.match((await runCli(['hub', '--help'])).stdout, /Commands:\n\s+verify/);
    assert.match((await runCli(['hub', 'verify', 'key', '--help'])).stdout, /--signature PATH_IN_REPO/);
  });

  it('a gated repository: 401 without a token, which says to log in; HF_TOKEN or the token file opens it; the token is never shown nor sent to storage', async () => {
    const gated = await publishSigned(suite.hub, 'org/gated', { gated: true });
    const denied = await verify('org/gated', gated.publicKey);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /is in a gated repository: log in \(HF_TOKEN or `hf auth login`\) after accepting its conditions/);
    const wrong = await verify('org/gated', gated.publicKey, [], { HF_TOKEN: 'hf_wrongtoken' });
    assert.match(wrong.stderr, /the token given has no access/);
    assert.doesNotMatch(wrong.stderr + wrong.stdout, /hf_wrongtoken/);

    const from = suite.hub.requests.length;
    const withEnv = await verify('org/gated', gated.publicKey, [], { HF_TOKEN: suite.hub.token });
    assert.equal(withEnv.code, 0, withEnv.stderr);
    const home = tempDir('ms-hfhome-');
    fs.writeFileSync(path.join(home, 'token'), `${suite.hub.token}\n`);
    const withFile = await verify('org/gated', gated.publicKey, [], { HF_HOME: home });
    assert.equal(withFile.code, 0, withFile.stderr);
    for (const r of [withEnv, withFile]) assert.ok(!(r.stdout + r.stderr).includes(suite.hub.token));
    const sent = suite.hub.requests.slice(from);
    assert.ok(sent.filter((q) => q.server === 'hub').every((q) => q.authorization === `Bearer ${suite.hub.token}`));
    assert.ok(sent.filter((q) => q.server === 'cdn').every((q) => q.authorization === undefined));
  });
});

describe('Hub repository names and settings', () => {
  it('reads ORG/NAME[@REVISION] and model URLs as huggingface_hub names them', () => {
    assert.deepEqual(parseHubRepo('org/name'), { id: 'org/name', revision: 'main' });
    assert.deepEqual(parseHubRepo('gpt2@refs/pr/1'), { id: 'gpt2', revision: 'refs/pr/1' });
    assert.deepEqual(parseHubRepo('https://huggingface.co/org/name'), { id: 'org/name', revision: 'main' });
    assert.deepEqual(parseHubRepo('https://huggingface.co/org/name/tree/refs%2Fpr%2F2'), { id: 'org/name', revision: 'refs/pr/2' });
    assert.deepEqual(parseHubRepo('https://huggingface.co/org/name/blob/v1/config.json'), { id: 'org/name', revision: 'v1/config.json' });
    for (const bad of ['', 'a/b/c', 'org/na--me', 'org/name.git', '-org/name', 'org/name@', 'org/name@a\nb', 'org/' + 'x'.repeat(97)]) {
      assert.throws(() => parseHubRepo(bad), { code: 'INVALID_OPTION' }, bad);
    }
  });

  it('finds the endpoint and token as huggingface_hub does: HF_TOKEN, HUGGING_FACE_HUB_TOKEN, HF_TOKEN_PATH, HF_HOME/token, XDG_CACHE_HOME', () => {
    const home = tempDir('ms-home-');
    assert.deepEqual(hubSettingsFromEnv({}, home), { endpoint: 'https://huggingface.co' });
    assert.equal(hubSettingsFromEnv({ HF_ENDPOINT: 'http://127.0.0.1:1/' }, home).endpoint, 'http://127.0.0.1:1');
    assert.throws(() => hubSettingsFromEnv({ HF_ENDPOINT: 'file:///etc' }, home), { code: 'INVALID_OPTION' });
    assert.deepEqual(hubSettingsFromEnv({ HF_TOKEN: ' a ', HUGGING_FACE_HUB_TOKEN: 'b' }, home), {
      endpoint: 'https://huggingface.co',
      token: 'a',
      tokenSource: 'HF_TOKEN',
    });
    assert.equal(hubSettingsFromEnv({ HF_TOKEN: '', HUGGING_FACE_HUB_TOKEN: 'b' }, home).token, 'b');
    fs.mkdirSync(path.join(home, '.cache/huggingface'), { recursive: true });
    fs.writeFileSync(path.join(home, '.cache/huggingface/token'), 'from-default\n');
    assert.equal(hubSettingsFromEnv({}, home).token, 'from-default');
    const xdg = tempDir('ms-xdg-');
    fs.mkdirSync(path.join(xdg, 'huggingface'));
    fs.writeFileSync(path.join(xdg, 'huggingface/token'), 'from-xdg');
    assert.equal(hubSettingsFromEnv({ XDG_CACHE_HOME: xdg }, home).token, 'from-xdg');
    const file = path.join(tempDir(), 'tok');
    fs.writeFileSync(file, 'from-path');
    assert.deepEqual(hubSettingsFromEnv({ HF_TOKEN_PATH: file }, home), { endpoint: 'https://huggingface.co', token: 'from-path', tokenSource: file });
    fs.writeFileSync(file, 'x'.repeat(5000));
    assert.equal(hubSettingsFromEnv({ HF_TOKEN_PATH: file, HF_HOME: xdg }, home).token, undefined);
    assert.equal(hubSettingsFromEnv({ HF_HOME: path.join(home, 'nowhere') }, home).token, undefined);
  });
});
