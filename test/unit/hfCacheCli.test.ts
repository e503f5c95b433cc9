// Every command on a model in the Hugging Face cache, as `hf download` leaves it: the snapshot path,
// the models--ORG--NAME folder, or ORG/NAME looked up through HF_HUB_CACHE, with --revision.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { makeKeyPair, makeModel, runCli, tempDir } from '../helpers/fixtures';
import { HF_MODEL_FILES, addHfRevision, blobName, cacheTree, hfCachedModel } from '../helpers/hfCache';

/** A fresh hub cache folder (HF_HUB_CACHE) in a temp folder. */
const hubDir = () => path.join(tempDir('ms-hf-'), 'hub');

const key = makeKeyPair();

describe('the CLI on a Hugging Face cache', () => {
  it('digest: the snapshot, its repository folder and ORG/NAME give the digest of the same files in a plain folder', async () => {
    const repo = hfCachedModel(hubDir());
    const plain = await runCli(['digest', makeModel(HF_MODEL_FILES)]);
    assert.equal(plain.code, 0, plain.stderr);
    const env = { HF_HUB_CACHE: repo.cacheDir };
    for (const [arg, options] of [
      [repo.snapshot, {}],
      [repo.folder, {}],
      ['acme/tiny-llm', { env }],
      // A child process, from a folder outside the clone, through HF_HOME.
      ['acme/tiny-llm', { env: { HF_HOME: path.dirname(repo.cacheDir) }, cwd: tempDir(), spawn: true }],
    ] as const) {
      const r = await runCli(['digest', arg], options);
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, plain.stdout, ''], arg);
    }
  });

  it('digest --revision: a tag, refs/pr/N or a commit; a revision not cached is one line and exit 1', async () => {
    const repo = hfCachedModel(hubDir());
    const v1 = addHfRevision(repo.cacheDir, 'acme/tiny-llm', { files: { 'config.json': '{"v": 1}' }, refs: ['v1.0', 'refs/pr/1'] });
    const want = (await runCli(['digest', makeModel({ 'config.json': '{"v": 1}' })])).stdout;
    const env = { HF_HUB_CACHE: repo.cacheDir };
    for (const revision of ['v1.0', 'refs/pr/1', v1.commit]) {
      const r = await runCli(['digest', 'acme/tiny-llm', '--revision', revision], { env });
      assert.deepEqual([r.code, r.stdout], [0, want], revision);
    }
    const bad = await runCli(['digest', 'acme/tiny-llm', '--revision', 'v9'], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^Computing digest failed: Revision 'v9' of acme\/tiny-llm cannot be used: it is not in the cache \(no refs\/v9\)/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    const absent = await runCli(['digest', 'acme/absent'], { env });
    assert.equal(absent.code, 1);
    assert.match(absent.stderr, /the Hugging Face cache \(.*\) holds no model 'acme\/absent'/);
    const notRepo = await runCli(['digest', makeModel({ a: 'a' }), '--revision', 'main']);
    assert.equal(notRepo.code, 1);
    assert.match(notRepo.stderr, /--revision applies to a Hugging Face cache repository/);
  });

  it('sign and verify ORG/NAME with a key: the cache is left as it was; a changed blob fails', async () => {
    const repo = hfCachedModel(hubDir());
    const before = cacheTree(repo.folder);
    const env = { HF_HUB_CACHE: repo.cacheDir };
    const sig = path.join(tempDir(), 'model.sig');
    const signed = await runCli(['sign', 'key', 'acme/tiny-llm', '--private-key', key.privateKey, '--signature', sig], { env });
    assert.equal(signed.code, 0, signed.stderr);
    assert.deepEqual(cacheTree(repo.folder), before);
    for (const arg of ['acme/tiny-llm', repo.folder, repo.snapshot]) {
      const r = await runCli(['verify', 'key', arg, '--signature', sig, '--public-key', key.publicKey], { env });
      assert.equal(r.code, 0, `${arg}: ${r.stderr}`);
    }
    // Another revision is another model.
    addHfRevision(repo.cacheDir, 'acme/tiny-llm', { files: { 'config.json': '{}' }, refs: ['v2'] });
    const other = await runCli(['verify', 'key', 'acme/tiny-llm', '--revision', 'v2', '--signature', sig, '--public-key', key.publicKey], { env });
    assert.equal(other.code, 1);
    fs.appendFileSync(path.join(repo.folder, 'blobs', blobName('config.json', Buffer.from(HF_MODEL_FILES['config.json']!))), ' ');
    const tampered = await runCli(['verify', 'key', 'acme/tiny-llm', '--signature', sig, '--public-key', key.publicKey], { env });
    assert.equal(tampered.code, 1);
    assert.match(tampered.stdout + tampered.stderr, /config\.json/);
  });

  it('sign refuses to write into the snapshot or blobs (also by default, from inside the snapshot): one line, nothing written', async () => {
    const repo = hfCachedModel(hubDir());
    const before = cacheTree(repo.folder);
    const keyArgs = ['--private-key', key.privateKey];
    for (const [args, cwd] of [
      [['--signature', path.join(repo.snapshot, 'model.sig')], undefined],
      [['--signature', path.join(repo.folder, 'blobs', 'model.sig')], undefined],
      [[], repo.snapshot],
    ] as const) {
      const r = await runCli(['sign', 'key', repo.snapshot, ...keyArgs, ...args], { cwd });
      assert.equal(r.code, 1, r.stdout);
      assert.match(
        r.stderr,
        /^Signing failed with error: Cannot write the signature to '.*model\.sig': it is inside the Hugging Face cache's (snapshots|blobs)\/ folder of acme\/tiny-llm/,
      );
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
    assert.deepEqual(cacheTree(repo.folder), before);
    // Beside snapshots/ is outside what huggingface_hub reads.
    const beside = await runCli(['sign', 'key', repo.folder, ...keyArgs, '--signature', path.join(repo.folder, `${repo.commit}.sig`)]);
    assert.equal(beside.code, 0, beside.stderr);
  });

  it("verify a publisher's signature that the repository carries: model.sig, itself a link into blobs, left out", async () => {
    const plain = makeModel(HF_MODEL_FILES);
    const published = path.join(tempDir(), 'model.sig');
    assert.equal((await runCli(['sign', 'key', plain, '--private-key', key.privateKey, '--signature', published])).code, 0);
    const repo = addHfRevision(hubDir(), 'acme/signed', { files: { ...HF_MODEL_FILES, 'model.sig': fs.readFileSync(published) }, refs: ['main'] });
    assert.ok(fs.lstatSync(path.join(repo.snapshot, 'model.sig')).isSymbolicLink());
    const env = { HF_HUB_CACHE: repo.cacheDir };
    const r = await runCli(['verify', 'key', 'acme/signed', '--signature', path.join(repo.snapshot, 'model.sig'), '--public-key', key.publicKey], { env });
    assert.equal(r.code, 0, r.stderr);
    // attest and provenance verify recognise it as the model's signature; digest counts it, as the reference does, and says so.
    const digest = await runCli(['digest', 'acme/signed'], { env });
    assert.match(digest.stderr, /model\.sig is an OMS signature of this model/);
  });

  it('attest ORG/NAME and provenance verify --model-path ORG/NAME --revision, with a key', async () => {
    const repo = hfCachedModel(hubDir());
    const before = cacheTree(repo.folder);
    const env = { HF_HUB_CACHE: repo.cacheDir };
    const output = path.join(tempDir(), 'tiny.provenance.json');
    const attest = ['attest', 'acme/tiny-llm', '--method', 'key', '--private-key', key.privateKey, '--per-file'];
    const a = await runCli([...attest, '--output', output, '--source-uri', 'github.com/acme/tiny-llm'], { env });
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(cacheTree(repo.folder), before);
    const verify = (model: string, ...more: string[]) =>
      runCli(['provenance', 'verify', '--provenance', output, '--model-path', model, '--public-key', key.publicKey, ...more], { env });
    for (const model of ['acme/tiny-llm', repo.folder, repo.snapshot]) {
      const r = await verify(model);
      assert.equal(r.code, 0, `${model}: ${r.stdout}${r.stderr}`);
    }
    assert.equal((await verify('acme/tiny-llm', '--revision', 'main')).code, 0);
    addHfRevision(repo.cacheDir, 'acme/tiny-llm', { files: { 'config.json': '{}' }, refs: ['v2'] });
    assert.equal((await verify('acme/tiny-llm', '--revision', 'v2')).code, 1);
    const unknown = await verify('acme/tiny-llm', '--revision', 'v3');
    assert.deepEqual([unknown.code, unknown.stderr.trim().split('\n').length], [1, 1]);
    assert.match(unknown.stderr, /Revision 'v3' of acme\/tiny-llm cannot be used/);
    const inside = await runCli([...attest, '--output', path.join(repo.snapshot, 'p.json')], { env });
    assert.equal(inside.code, 1);
    assert.match(inside.stderr, /Cannot write the provenance to .*inside the Hugging Face cache's snapshots\/ folder/);
  });
});
