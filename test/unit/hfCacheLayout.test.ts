import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { HashingError, InlineHashPool, listModelFiles, serializeModel } from '../../src/core';
import {
  blobOfLink,
  blobsFolder,
  cachePaths,
  hubCacheDir,
  parseRepoFolderName,
  refuseOutputInCache,
  repoFolderName,
  resolveModelPath,
  snapshotContaining,
  snapshotOfSignature,
  snapshotSignaturePath,
} from '../../src/core/huggingface/cacheLayout';
import { makeModel, tempDir } from '../helpers/fixtures';
import { HF_MODEL_FILES, addHfRevision, hfCachedModel } from '../helpers/hfCache';

/** A fresh hub cache folder (HF_HUB_CACHE) in a temp folder. */
const hubDir = () => path.join(tempDir('ms-hf-'), 'hub');

const OPTIONS = { method: 'files', hashAlgorithm: 'sha256', shardSize: 1_000_000_000 } as const;

async function names(model: string, options: Parameters<typeof listModelFiles>[1] = {}) {
  return (await listModelFiles(model, options)).files.map((f) => f.name);
}

async function rootDigest(model: string): Promise<string> {
  return (await serializeModel(model, { ...OPTIONS, pool: new InlineHashPool() })).rootDigest();
}

async function rejectsWithCode(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof HashingError, `expected a HashingError, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  });
}

function throwsWithCode(f: () => unknown, code: string) {
  assert.throws(f, (e: unknown) => e instanceof HashingError && e.code === code);
}

describe('the Hugging Face cache location', () => {
  const home = '/home/u';
  it('follows constants.py: HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME, XDG_CACHE_HOME, ~/.cache', () => {
    assert.equal(hubCacheDir({}, home), '/home/u/.cache/huggingface/hub');
    assert.equal(hubCacheDir({ XDG_CACHE_HOME: '/xdg' }, home), '/xdg/huggingface/hub');
    assert.equal(hubCacheDir({ XDG_CACHE_HOME: '/xdg', HF_HOME: '/hf' }, home), '/hf/hub');
    assert.equal(hubCacheDir({ HF_HOME: '/hf', HUGGINGFACE_HUB_CACHE: '/legacy' }, home), '/legacy');
    assert.equal(hubCacheDir({ HF_HUB_CACHE: '/new', HUGGINGFACE_HUB_CACHE: '/legacy' }, home), '/new');
  });

  it('expands ~ and $VARS as expanduser and expandvars do, leaving unknown ones', () => {
    assert.equal(hubCacheDir({ HF_HOME: '~/hf' }, home), '/home/u/hf/hub');
    assert.equal(hubCacheDir({ HF_HOME: '~/hf', HOME: '/h2' }, home), '/h2/hf/hub');
    assert.equal(hubCacheDir({ HF_HUB_CACHE: '/d/${USER}/$X/$NOPE', USER: 'ann', X: 'x' }, home), '/d/ann/x/$NOPE');
  });

  it('names repository folders as repo_folder_name does, and reads them back', () => {
    assert.equal(repoFolderName('acme/tiny-llm'), 'models--acme--tiny-llm');
    assert.equal(repoFolderName('gpt2'), 'models--gpt2');
    assert.equal(repoFolderName('org/set', 'dataset'), 'datasets--org--set');
    assert.deepEqual(parseRepoFolderName('models--acme--tiny-llm'), { type: 'model', repoId: 'acme/tiny-llm' });
    assert.deepEqual(parseRepoFolderName('spaces--a--b'), { type: 'space', repoId: 'a/b' });
    assert.deepEqual(parseRepoFolderName(`models--${'o'.repeat(40)}--${'n'.repeat(96)}`)?.repoId.length, 137);
    for (const bad of [`models--a--${'n'.repeat(97)}`, 'models', 'kittens--a--b', 'models--', 'models--a--b--c', 'models--..--x', 'models--a b'])
      assert.equal(parseRepoFolderName(bad), undefined, bad);
  });

  it('gives the paths huggingface_hub writes, with relative links as _create_symlink makes them', () => {
    const p = cachePaths('/c/models--a--b');
    assert.equal(p.blob('ab12'), '/c/models--a--b/blobs/ab12');
    assert.equal(p.ref('refs/pr/1'), '/c/models--a--b/refs/refs/pr/1');
    assert.equal(p.snapshotFile('c0', 'sub/f'), '/c/models--a--b/snapshots/c0/sub/f');
    assert.equal(p.noExist('c0', 'x.json'), '/c/models--a--b/.no_exist/c0/x.json');
    assert.equal(p.linkText('f', 'ab12'), '../../blobs/ab12');
    assert.equal(p.linkText('sub/f', 'ab12'), '../../../blobs/ab12');
    assert.equal(path.resolve(path.dirname(p.snapshotFile('c0', 'sub/f')), p.linkText('sub/f', 'ab12')), p.blob('ab12'));
  });
});

describe('a cached snapshot as a model', () => {
  it('is listed with no flag: every link into its blobs is the file of its name', async () => {
    const repo = hfCachedModel(hubDir());
    assert.deepEqual(await names(repo.snapshot), ['README.md', 'config.json', 'model.safetensors', 'text_encoder/model.safetensors', 'tokenizer.json']);
    const listing = await listModelFiles(repo.snapshot);
    // Opened as the blob itself, never through the link.
    for (const f of listing.files) assert.equal(path.dirname(f.path), path.join(repo.folder, 'blobs'));
  });

  it('has the digest of the same files in a plain folder, a subfolder and a single file too', async () => {
    const repo = hfCachedModel(hubDir());
    assert.equal(await rootDigest(repo.snapshot), await rootDigest(makeModel(HF_MODEL_FILES)));
    assert.equal(await rootDigest(path.join(repo.snapshot, 'text_encoder')), await rootDigest(makeModel({ 'model.safetensors': 'safetensors weights' })));
    const single = await listModelFiles(path.join(repo.snapshot, 'config.json'));
    assert.deepEqual(
      single.files.map((f) => [f.name, f.size]),
      [['.', HF_MODEL_FILES['config.json']!.length]],
    );
  });

  it('is a dataset or a space snapshot too (the same layout); only ORG/NAME lookups are models only', async () => {
    const hub = hubDir();
    const dataset = addHfRevision(hub, 'acme/corpus', { files: { 'train.parquet': 'rows' }, refs: ['main'] }, 'datasets');
    assert.deepEqual(await names(dataset.snapshot), ['train.parquet']);
    assert.equal(resolveModelPath(dataset.folder).snapshot?.type, 'dataset');
    throwsWithCode(() => resolveModelPath('acme/corpus', { env: { HF_HUB_CACHE: hub }, cwd: tempDir() }), 'MODEL_NOT_FOUND');
  });

  it('is found through a linked cache folder (~/.cache on another disk)', async () => {
    const repo = hfCachedModel(hubDir());
    const alias = path.join(tempDir(), 'cache-link');
    fs.symlinkSync(repo.cacheDir, alias);
    assert.equal((await names(path.join(alias, path.relative(repo.cacheDir, repo.snapshot)))).length, 5);
  });

  it('refuses a link out of the blobs: elsewhere, another repository, blobs/ itself, a folder in it', async () => {
    const repo = hfCachedModel(hubDir());
    const other = addHfRevision(repo.cacheDir, 'acme/other', { files: { 'x.bin': 'other' }, refs: ['main'] });
    const outside = path.join(tempDir(), 'secret');
    fs.writeFileSync(outside, 'secret');
    fs.mkdirSync(path.join(repo.folder, 'blobs', 'sub'));
    fs.writeFileSync(path.join(repo.folder, 'blobs', 'sub', 'f'), 'nested');
    const targets = {
      outside,
      otherRepo: fs.readlinkSync(path.join(other.snapshot, 'x.bin')).replace('../../', `../../../${path.basename(other.folder)}/`),
      blobsItself: '../../blobs',
      nested: '../../blobs/sub/f',
      refs: '../../refs/main',
    };
    for (const [what, target] of Object.entries(targets)) {
      const link = path.join(repo.snapshot, what);
      fs.symlinkSync(target, link);
      await rejectsWithCode(listModelFiles(repo.snapshot), 'SYMLINK_NOT_ALLOWED');
      // With --allow-symlinks, as today: within the model only.
      await rejectsWithCode(listModelFiles(repo.snapshot, { allowSymlinks: true }), 'SYMLINK_OUTSIDE_MODEL');
      fs.unlinkSync(link);
    }
    // A `..` chain that still lands in the repository's own blobs is a blob.
    fs.symlinkSync(
      `../../snapshots/../blobs/${path.basename(fs.readlinkSync(path.join(repo.snapshot, 'config.json')))}`,
      path.join(repo.snapshot, 'again.json'),
    );
    assert.ok((await names(repo.snapshot)).includes('again.json'));
  });

  it('refuses blob links when blobs/ is itself a link, or the folder is not <type>s--*/snapshots/<commit>', async () => {
    const linked = hfCachedModel(hubDir());
    const real = path.join(tempDir(), 'blobs');
    fs.renameSync(path.join(linked.folder, 'blobs'), real);
    fs.symlinkSync(real, path.join(linked.folder, 'blobs'));
    await rejectsWithCode(listModelFiles(linked.snapshot), 'SYMLINK_NOT_ALLOWED');

    for (const layout of ['kittens--acme--x/snapshots', 'models--acme--x/not-snapshots']) {
      const folder = path.join(tempDir(), layout.split('/')[0]!);
      const snap = path.join(folder, layout.split('/')[1]!, 'c0');
      fs.mkdirSync(path.join(folder, 'blobs'), { recursive: true });
      fs.mkdirSync(path.join(folder, 'snapshots'), { recursive: true });
      fs.mkdirSync(snap, { recursive: true });
      fs.writeFileSync(path.join(folder, 'blobs', 'b'), 'b');
      fs.symlinkSync('../../blobs/b', path.join(snap, 'f'));
      assert.equal(snapshotContaining(snap), undefined, layout);
      await rejectsWithCode(listModelFiles(snap), 'SYMLINK_NOT_ALLOWED');
    }
  });

  it('checks a blob by its real path and kind', () => {
    const repo = hfCachedModel(hubDir());
    const snapshot = snapshotContaining(fs.realpathSync(repo.snapshot))!;
    const blobs = blobsFolder(snapshot)!;
    assert.equal(blobOfLink(blobs, path.join(repo.snapshot, 'missing')), undefined);
    assert.equal(path.dirname(blobOfLink(blobs, path.join(repo.snapshot, 'config.json'))!.path), blobs);
  });
});

describe('a model argument that names a cached repository', () => {
  const env = (cacheDir: string) => ({ HF_HUB_CACHE: cacheDir });

  it('resolves the repository folder and ORG/NAME to the snapshot of refs/main', () => {
    const repo = hfCachedModel(hubDir());
    assert.equal(resolveModelPath(repo.folder).path, repo.snapshot);
    const byId = resolveModelPath('acme/tiny-llm', { env: env(repo.cacheDir), cwd: tempDir() });
    assert.equal(byId.path, repo.snapshot);
    assert.deepEqual(byId.snapshot && [byId.snapshot.repoId, byId.snapshot.commit, byId.snapshot.type], ['acme/tiny-llm', repo.commit, 'model']);
    // A snapshot path, or any other path, is used as given.
    assert.deepEqual(resolveModelPath(repo.snapshot), { path: repo.snapshot });
  });

  it('prefers a path on disk named like a repo id', () => {
    const repo = hfCachedModel(hubDir());
    const cwd = tempDir();
    fs.mkdirSync(path.join(cwd, 'acme/tiny-llm'), { recursive: true });
    assert.deepEqual(resolveModelPath('acme/tiny-llm', { env: env(repo.cacheDir), cwd }), { path: 'acme/tiny-llm' });
  });

  it('takes --revision as a commit, a branch, a tag or refs/pr/N; the only snapshot when there is no refs/main', () => {
    const repo = hfCachedModel(hubDir());
    const v1 = addHfRevision(repo.cacheDir, 'acme/tiny-llm', { files: { 'config.json': '{}' }, refs: ['v1.0', 'refs/pr/1'] });
    for (const revision of ['v1.0', 'refs/pr/1', v1.commit]) assert.equal(resolveModelPath(repo.folder, { revision }).path, v1.snapshot, revision);
    assert.equal(resolveModelPath(repo.folder, { revision: 'main' }).path, repo.snapshot);

    const lone = addHfRevision(repo.cacheDir, 'acme/lone', { files: { a: 'a' } });
    assert.equal(resolveModelPath(lone.folder).path, lone.snapshot);
  });

  it('says which revision cannot be used and why', () => {
    const repo = hfCachedModel(hubDir());
    addHfRevision(repo.cacheDir, 'acme/tiny-llm', { files: { a: 'a' } });
    fs.rmSync(path.join(repo.folder, 'refs/main'));
    throwsWithCode(() => resolveModelPath(repo.folder), 'MODEL_NOT_FOUND'); // two snapshots, no refs/main
    for (const revision of ['nope', '../../../etc/passwd', 'a//b', '0'.repeat(40), '/abs']) {
      throwsWithCode(() => resolveModelPath(repo.folder, { revision }), 'MODEL_NOT_FOUND');
    }
    fs.writeFileSync(path.join(repo.folder, 'refs/main'), 'not a commit');
    throwsWithCode(() => resolveModelPath(repo.folder), 'MODEL_NOT_FOUND');
    throwsWithCode(() => resolveModelPath(makeModel({ a: 'a' }), { revision: 'main' }), 'INVALID_OPTION');
    throwsWithCode(() => resolveModelPath('acme/absent', { env: env(repo.cacheDir), cwd: tempDir() }), 'MODEL_NOT_FOUND');
  });

  it('refuses an output in the folders huggingface_hub owns, also through a link to the cache', () => {
    const repo = hfCachedModel(hubDir());
    const linked = path.join(tempDir(), 'hub-link');
    fs.symlinkSync(repo.cacheDir, linked);
    const refused = [
      path.join(repo.snapshot, 'model.sig'),
      path.join(repo.folder, 'snapshots', 'x.sig'),
      path.join(repo.folder, 'blobs', 'x'),
      path.join(repo.folder, 'refs', 'new', 'x'),
      path.join(linked, path.basename(repo.folder), 'snapshots', repo.commit, 'model.sig'),
    ];
    for (const output of refused) throwsWithCode(() => refuseOutputInCache(output, 'signature'), 'OUTPUT_IN_HF_CACHE');
    for (const output of [path.join(repo.folder, 'model.sig'), path.join(repo.cacheDir, 'model.sig'), path.join(tempDir(), 'model.sig')]) {
      refuseOutputInCache(output, 'signature');
    }
  });

  it("puts a snapshot's signature beside snapshots/, named after the commit, and finds the snapshot back", () => {
    const repo = hfCachedModel(hubDir());
    const snapshot = resolveModelPath(repo.folder).snapshot!;
    const sig = snapshotSignaturePath(snapshot);
    assert.equal(sig, path.join(repo.folder, `${repo.commit}.sig`));
    assert.equal(snapshotOfSignature(sig)?.snapshot, repo.snapshot);
    assert.equal(snapshotOfSignature(path.join(repo.folder, `${'0'.repeat(40)}.sig`)), undefined);
    assert.equal(snapshotOfSignature(path.join(repo.folder, 'model.sig')), undefined);
  });
});
