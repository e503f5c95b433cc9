/// <reference types="mocha" />
// Models in a Hugging Face cache inside the workspace (issue 12), in the real extension host: Sign Model and
// Verify Model on a models--ORG--NAME folder and on a snapshot, whose files are links into blobs/; the
// signature goes beside snapshots/, never into the cache; a publisher's model.sig inside the snapshot is used;
// the search on open finds both; a changed blob is caught.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelSigningApi } from '../../src/extension/extension';
import { findSignedModels } from '../../src/extension/verifyOnOpen';
import { HF_MODEL_FILES, addHfRevision, blobName, cacheTree, hfCachedModel } from '../helpers/hfCache';
import { INTEGRATION_SCRATCH } from './marker';
import { extensionApi } from './extensionApi';
import { signWithKey, writeKeyPair } from './signature';

const root = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const scratch = path.join(root(), '..', INTEGRATION_SCRATCH);
let api: ModelSigningApi;
let hub: string;
let keys: { priv: string; pub: string };

suite('Models in the Hugging Face cache', () => {
  suiteSetup(async () => {
    api = await extensionApi();
    api.digestCacheOptions.racyWindowMs = 0;
    hub = path.join(root(), 'hf-cache', 'hub');
    fs.mkdirSync(scratch, { recursive: true });
    const dir = fs.mkdtempSync(path.join(scratch, 'hf-keys-'));
    keys = { priv: path.join(dir, 'key.pem'), pub: path.join(dir, 'key.pub') };
    writeKeyPair(keys.priv, keys.pub);
  });
  suiteTeardown(() => fs.rmSync(path.join(root(), 'hf-cache'), { recursive: true, force: true }));

  test('Sign Model on models--ORG--NAME signs its snapshot of main, beside snapshots/; Verify Model checks every link', async () => {
    const repo = hfCachedModel(hub);
    const before = cacheTree(repo.folder);
    // Named by repository and commit, not by the snapshot folder's bare hash.
    await vscode.commands.executeCommand('modelSigning.verifyModel', vscode.Uri.file(repo.folder));
    assert.equal(api.states.get(repo.snapshot)?.kind, 'unsigned');
    assert.equal(api.badgeOf(repo.snapshot)?.tooltip, `acme/tiny-llm@${repo.commit.slice(0, 7)} has no signature`);
    await signWithKey(repo.folder, keys.priv);
    const signature = path.join(repo.folder, `${repo.commit}.sig`);
    assert.ok(fs.existsSync(signature), 'the signature is beside snapshots/, named after the commit');
    assert.deepEqual(
      cacheTree(repo.folder).filter((l) => !l.startsWith(`${repo.commit}.sig `)),
      before,
      'blobs/, refs/, snapshots/ and .no_exist/ are as huggingface_hub left them',
    );
    // The snapshot folder itself, as the Explorer shows it.
    const result = await vscode.commands.executeCommand<{ ok: boolean }>('modelSigning.verifyModel', vscode.Uri.file(repo.snapshot), { publicKey: keys.pub });
    assert.equal(result?.ok, true);
    assert.equal(api.states.get(repo.snapshot)?.kind, 'signed');
    // The Explorer marks the snapshot folder, as the workspace shows it (its files are links).
    assert.equal(api.fileDecoration(repo.snapshot)?.badge, 'S');

    fs.appendFileSync(path.join(repo.folder, 'blobs', blobName('config.json', Buffer.from(HF_MODEL_FILES['config.json']!))), ' ');
    const tampered = await vscode.commands.executeCommand<{ ok: boolean }>('modelSigning.verifyModel', vscode.Uri.file(repo.folder), { publicKey: keys.pub });
    assert.equal(tampered?.ok, false);
    assert.equal(api.states.get(repo.snapshot)?.kind, 'tampered');
    assert.equal(api.fileDecoration(path.join(repo.snapshot, 'config.json'))?.badge, 'M');
  });

  test("a publisher's model.sig inside the snapshot (a link into blobs/) is the signature, and left out of the model", async () => {
    const plain = fs.mkdtempSync(path.join(scratch, 'hf-plain-'));
    for (const [file, text] of Object.entries(HF_MODEL_FILES)) {
      fs.mkdirSync(path.dirname(path.join(plain, file)), { recursive: true });
      fs.writeFileSync(path.join(plain, file), text);
    }
    await signWithKey(plain, keys.priv);
    const repo = addHfRevision(hub, 'acme/published', {
      files: { ...HF_MODEL_FILES, 'model.sig': fs.readFileSync(path.join(plain, 'model.sig')) },
      refs: ['main'],
    });
    const result = await vscode.commands.executeCommand<{ ok: boolean }>('modelSigning.verifyModel', vscode.Uri.file(repo.snapshot), { publicKey: keys.pub });
    assert.equal(result?.ok, true);
    assert.equal(api.states.get(repo.snapshot)?.kind, 'signed');
  });

  test('the search on open finds both: the signature beside snapshots/ and the one the repository carries', async () => {
    const signedHere = hfCachedModel(hub, 'acme/signed-here');
    await signWithKey(signedHere.folder, keys.priv);
    const found = await findSignedModels();
    const here = found.find((t) => t.modelPath === signedHere.snapshot);
    assert.deepEqual(here, { modelPath: signedHere.snapshot, isFile: false, signaturePath: path.join(signedHere.folder, `${signedHere.commit}.sig`) });
    const published = found.find((t) => t.modelPath.includes('models--acme--published'));
    assert.equal(published?.signaturePath, path.join(published!.modelPath, 'model.sig'));
    // A .sig in a folder that only looks like a repository is no model.
    fs.mkdirSync(path.join(hub, 'models--acme--fake'), { recursive: true });
    fs.writeFileSync(path.join(hub, 'models--acme--fake', `${'a'.repeat(40)}.sig`), '{}');
    assert.ok(!(await findSignedModels()).some((t) => t.signaturePath.includes('models--acme--fake')));
  });
});
