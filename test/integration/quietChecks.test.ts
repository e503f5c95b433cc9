/// <reference types="mocha" />
// Quiet re-checks (the live badge, a policy change) in the real extension host: they show their result without
// passing through "Verifying", and a model that was already failing does not take the badge from the one the user
// looks at when a policy change checks it again.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelSigningApi } from '../../src/extension/extension';
import { signWithKey, writeKeyPair } from './signature';
import { waitFor } from './waitFor';
import { extensionApi } from './extensionApi';

let api: ModelSigningApi;
const root = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const model = () => path.join(root(), 'quiet-model');
const broken = () => path.join(root(), 'quiet-broken-model');
const policyFile = () => path.join(root(), '.vscode', 'model-signing.json');
const keyDir = fs.mkdtempSync(path.join(root(), '..', 'quiet-keys-'));
const privateKey = path.join(keyDir, 'key.pem');
const publicKey = path.join(keyDir, 'key.pub');

const verify = (target: string, args: Record<string, unknown> = { publicKey }) =>
  vscode.commands.executeCommand<{ ok: boolean } | undefined>('modelSigning.verifyModel', vscode.Uri.file(target), args);
const kindOf = (target: string) => api.states.get(target)?.kind;

suite('Quiet re-checks', () => {
  suiteSetup(async () => {
    api = await extensionApi();
    api.digestCacheOptions.racyWindowMs = 0;
    writeKeyPair(privateKey, publicKey);
    fs.mkdirSync(model(), { recursive: true });
    fs.writeFileSync(path.join(model(), 'weights.bin'), crypto.randomBytes(64 << 10));
    await signWithKey(model(), privateKey);
    // A signature file that is no bundle: every check of this model fails, quiet or not.
    fs.mkdirSync(broken(), { recursive: true });
    fs.writeFileSync(path.join(broken(), 'weights.bin'), 'w');
    fs.writeFileSync(path.join(broken(), 'model.sig'), '{"not": "a bundle"}');
  });
  suiteTeardown(() => {
    fs.rmSync(policyFile(), { force: true });
    for (const dir of [model(), broken(), keyDir]) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a live re-check shows its result without passing through Verifying', async () => {
    assert.equal((await verify(model()))?.ok, true);
    const seen: string[] = [];
    const listening = api.states.onDidChange((s) => {
      if (s?.target.modelPath === model()) seen.push(s.kind);
    });
    const weights = path.join(model(), 'weights.bin');
    const original = fs.readFileSync(weights);
    try {
      fs.appendFileSync(weights, 'changed');
      await waitFor('the live badge says tampered', () => kindOf(model()) === 'tampered', { detail: () => seen.join(', ') });
    } finally {
      fs.writeFileSync(weights, original);
    }
    await waitFor('the live badge recovers', () => kindOf(model()) === 'signed', { detail: () => seen.join(', ') });
    listening.dispose();
    assert.deepEqual(
      seen.filter((k) => k === 'verifying'),
      [],
      `states seen: ${seen.join(', ')}`,
    );
  });

  test('a policy change checks every model again; one that was already failing does not take the badge', async () => {
    assert.equal(await verify(broken()), undefined);
    assert.equal(kindOf(broken()), 'failed');
    assert.equal((await verify(model()))?.ok, true);
    api.states.focus(model());
    let brokenChecked = false;
    const listening = api.states.onDidChange((s) => {
      if (s?.target.modelPath === broken()) brokenChecked = true;
    });
    try {
      fs.mkdirSync(path.dirname(policyFile()), { recursive: true });
      const pem = fs.readFileSync(publicKey, 'utf8');
      fs.writeFileSync(policyFile(), JSON.stringify({ models: [{ path: 'quiet-model', publicKeys: [pem] }] }));
      await waitFor('the pinned model is verified', () => kindOf(model()) === 'verified', { detail: () => String(kindOf(model())) });
      await waitFor('the failing model is checked again', () => brokenChecked);
      assert.equal(kindOf(broken()), 'failed');
      assert.equal(api.states.current?.target.modelPath, model(), 'the badge stays on the model the user looks at');
    } finally {
      listening.dispose();
      fs.rmSync(policyFile(), { force: true });
    }
  });
});
