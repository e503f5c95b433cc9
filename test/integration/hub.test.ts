/// <reference types="mocha" />
// Verify Hugging Face Model… and Download Verified Model… inside the real extension host, against the
// Hub stand-in on 127.0.0.1 (HF_ENDPOINT, read by the commands as huggingface_hub reads it).
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HubVerificationResult } from '../../src/core/hub/verifyHubModel';
import type { ModelSigningApi } from '../../src/extension/extension';
import { HubStandIn, startHubStandIn } from '../helpers/hubStandIn';
import { INTEGRATION_SCRATCH } from './marker';
import { extensionApi } from './extensionApi';
import { signWithKey, writeKeyPair } from './signature';

const scratch = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, '..', INTEGRATION_SCRATCH);
fs.mkdirSync(scratch, { recursive: true });
const tmp = fs.mkdtempSync(path.join(scratch, 'hub-'));

suite('Models on the Hugging Face Hub', () => {
  let api: ModelSigningApi;
  let hub: HubStandIn;
  let commit: string;
  let model: string;
  const saved = { ...process.env };
  const pub = path.join(tmp, 'key.pub');

  suiteSetup(async () => {
    api = await extensionApi();
    hub = await startHubStandIn();
    Object.assign(process.env, { HF_ENDPOINT: hub.endpoint, HF_HOME: path.join(tmp, 'hf-home') });
    delete process.env.HF_TOKEN;
    delete process.env.HF_HUB_CACHE;
    const priv = path.join(tmp, 'key.pem');
    writeKeyPair(priv, pub);
    model = path.join(tmp, 'tiny');
    fs.mkdirSync(path.join(model, 'tokenizer'), { recursive: true });
    fs.writeFileSync(path.join(model, 'model.safetensors'), crypto.randomBytes(256 << 10));
    fs.writeFileSync(path.join(model, 'config.json'), '{"hidden_size": 8}');
    fs.writeFileSync(path.join(model, 'tokenizer', 'vocab.txt'), 'a\nb\n');
    fs.writeFileSync(path.join(model, '.gitattributes'), '*.safetensors filter=lfs diff=lfs merge=lfs -text\n');
    await signWithKey(model, priv);
    commit = hub.publish('org/tiny', model);
  });

  suiteTeardown(async () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    await hub.stop();
  });

  test('Verify Hugging Face Model shows the result in the Signed Model view, without downloading the weights', async () => {
    const result = await vscode.commands.executeCommand<HubVerificationResult>('modelSigning.verifyHubModel', { repo: 'org/tiny', publicKey: pub });
    assert.equal(result?.ok, true);
    assert.equal(result.commit, commit);
    const state = api.states.current;
    assert.equal(state?.kind, 'signed', 'a good signature no policy names: shown as not pinned');
    assert.equal(state.target.modelPath, `hf://org/tiny@${commit}`);
    const labels = (await api.manifestItems()).map((i) => (typeof i.label === 'string' ? i.label : (i.label?.label ?? '')));
    for (const file of ['model.safetensors', 'config.json'])
      assert.ok(
        labels.some((l) => l.includes(file)),
        `${file} in ${labels.join(', ')}`,
      );
    assert.equal(hub.requests.filter((q) => q.server === 'cdn').length, 0, 'nothing was fetched from storage');
  });

  test('a changed weights file on the Hub shows as tampered, caught from the listing', async () => {
    const changed = path.join(tmp, 'changed');
    fs.cpSync(model, changed, { recursive: true });
    fs.writeFileSync(path.join(changed, 'model.safetensors'), crypto.randomBytes(256 << 10));
    const changedCommit = hub.publish('org/changed', changed);
    const result = await vscode.commands.executeCommand<HubVerificationResult>('modelSigning.verifyHubModel', { repo: 'org/changed', publicKey: pub });
    assert.equal(result?.ok, false);
    assert.deepEqual(
      result.diff.changed.map((c) => c.name),
      ['model.safetensors'],
    );
    assert.equal(api.states.current?.kind, 'tampered');
    assert.equal(api.states.current.target.modelPath, `hf://org/changed@${changedCommit}`);
  });

  test('a repository the Hub does not have: a readable failure, not a stack trace', async () => {
    const result = await vscode.commands.executeCommand<HubVerificationResult | undefined>('modelSigning.verifyHubModel', { repo: 'org/none', publicKey: pub });
    assert.equal(result, undefined);
    const state = api.states.current;
    assert.equal(state?.kind, 'failed');
    assert.match(state.message, /^The Hub refused revision 'main' of org\/none \(HTTP 401\)/);
  });

  test('Download Verified Model writes the folder only after every file verified, and shows it as that model', async () => {
    const to = path.join(tmp, 'downloads', 'tiny');
    const got = await vscode.commands.executeCommand<string>('modelSigning.downloadHubModel', { repo: 'org/tiny', publicKey: pub, to });
    assert.equal(got, to);
    for (const file of ['model.safetensors', 'config.json', 'tokenizer/vocab.txt', 'model.sig']) {
      assert.ok(fs.readFileSync(path.join(to, file)).equals(fs.readFileSync(path.join(model, file))), file);
    }
    assert.equal(api.states.current?.kind, 'signed');
    assert.equal(api.states.current.target.modelPath, to);
    assert.deepEqual(fs.readdirSync(path.dirname(to)), ['tiny'], 'no staging folder is left');
  });
});
