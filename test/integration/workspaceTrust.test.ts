/// <reference types="mocha" />
// The workspace cannot choose its own trust: settings that decide what verifies come from the
// user, a workspace's .vscode/settings.json is ignored for them, and the user's own policy wins
// over the workspace's. Real files, the real configuration service, the real commands.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { name, publisher } from '../../package.json';
import type { ModelSigningApi } from '../../src/extension/extension';
import { waitFor } from './waitFor';
import { extensionApi } from './extensionApi';
import { keyHintOf, signWithKey, writeKeyPair } from './signature';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-trust-'));
let api: ModelSigningApi;
const root = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const config = () => vscode.workspace.getConfiguration('modelSigning');

/**
 * Writes the workspace's .vscode/settings.json as a cloned repository would, and waits until VS Code
 * has read it: a window-scoped marker in the same file shows up as a workspace value.
 */
async function writeWorkspaceSettings(settings: Record<string, unknown> | undefined): Promise<void> {
  const file = path.join(root(), '.vscode', 'settings.json');
  if (settings === undefined) fs.rmSync(file, { force: true });
  else {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ ...settings, 'modelSigning.verify.useDigestCache': false }, null, 2));
  }
  const marker = settings === undefined ? undefined : false;
  await waitFor('the workspace settings are read', () => config().inspect('verify.useDigestCache')?.workspaceValue === marker);
}

/** A model in the workspace signed with a fresh key; returns its path, public key and key hint. */
async function keySignedModel(): Promise<{ model: string; pub: string; hint: string }> {
  const model = path.join(root(), 'trust-model');
  fs.mkdirSync(model, { recursive: true });
  fs.writeFileSync(path.join(model, 'weights.bin'), crypto.randomBytes(32 << 10));
  const priv = path.join(tmp, 'key.pem');
  const pub = path.join(tmp, 'key.pub');
  writeKeyPair(priv, pub);
  await signWithKey(model, priv);
  const hint = keyHintOf(model);
  return { model, pub, hint };
}

function policyOf(model: string): string | undefined {
  const state = api.states.get(model);
  return state && 'policy' in state ? state.policy?.label : undefined;
}

suite('The workspace cannot choose its own trust', () => {
  suiteSetup(async () => {
    api = await extensionApi();
  });
  suiteTeardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('contributes the settings that decide trust or receive a token as machine scope, restricted in untrusted workspaces', () => {
    const manifest = vscode.extensions.getExtension(`${publisher}.${name}`)!.packageJSON as {
      contributes: { configuration: { properties: Record<string, { scope?: string }> } };
      capabilities?: { untrustedWorkspaces?: { supported?: unknown; restrictedConfigurations?: string[] } };
    };
    const properties = manifest.contributes.configuration.properties;
    for (const key of ['modelSigning.sigstore.trustConfig', 'modelSigning.github.apiUrl']) assert.equal(properties[key]?.scope, 'machine', key);
    assert.equal(manifest.capabilities?.untrustedWorkspaces?.supported, 'limited');
    assert.deepEqual([...(manifest.capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? [])].sort(), Object.keys(properties).sort());
  });

  test('a workspace .vscode/settings.json naming its own Sigstore trust config does not make a forged keyless signature verify', async function () {
    this.timeout(30_000);
    const forgedFile = path.join(root(), '..', 'forged-signer.json');
    if (!fs.existsSync(forgedFile)) this.skip(); // the test-electron runner prepares no forgery
    const forged = JSON.parse(fs.readFileSync(forgedFile, 'utf8')) as { model: string; trustConfig: string; identity: string; issuer: string };
    try {
      await writeWorkspaceSettings({ 'modelSigning.sigstore.trustConfig': forged.trustConfig });
      assert.notEqual(config().get('sigstore.trustConfig'), forged.trustConfig, 'the workspace value is not the effective one');
      const result = await vscode.commands.executeCommand<{ ok: boolean } | undefined>('modelSigning.verifyModel', vscode.Uri.file(forged.model), {
        identity: forged.identity,
        issuer: forged.issuer,
      });
      assert.equal(result, undefined, 'the forgery verified');
      // The model's own state: the badge follows whichever model is current, which a background event may change.
      assert.equal(api.states.get(forged.model)?.kind, 'failed');
    } finally {
      await writeWorkspaceSettings(undefined);
    }
  });

  test("the user's policy wins over the workspace's .vscode/model-signing.json, and the state says which applied", async () => {
    const { model, pub, hint } = await keySignedModel();
    const policyFile = path.join(root(), '.vscode', 'model-signing.json');
    fs.mkdirSync(path.dirname(policyFile), { recursive: true });
    const verify = () => vscode.commands.executeCommand<{ ok: boolean } | undefined>('modelSigning.verifyModel', vscode.Uri.file(model), { publicKey: pub });
    try {
      await verify();
      assert.equal(policyOf(model), 'No policy: the signer is not pinned');
      assert.equal(api.states.get(model)?.kind, 'signed');
      // The workspace pins another key; the user pins the signer's: the user's decides.
      fs.writeFileSync(policyFile, JSON.stringify({ models: [{ path: 'trust-model', keyHints: ['1'.repeat(64)] }] }));
      await verify();
      assert.equal(api.states.get(model)?.kind, 'failed');
      assert.equal(policyOf(model), 'Policy: .vscode/model-signing.json');
      await config().update('verify.policy', [{ path: '**', keyHints: [hint] }], vscode.ConfigurationTarget.Global);
      assert.equal((await verify())?.ok, true);
      assert.equal(api.states.get(model)?.kind, 'verified');
      assert.equal(policyOf(model), 'Policy: user settings');
      // And the other way round: the workspace cannot accept what the user's policy refuses.
      fs.writeFileSync(policyFile, JSON.stringify({ models: [{ path: 'trust-model', keyHints: [hint] }] }));
      await config().update('verify.policy', [{ path: '**', keyHints: ['2'.repeat(64)] }], vscode.ConfigurationTarget.Global);
      await verify();
      assert.equal(api.states.get(model)?.kind, 'failed');
      assert.equal(policyOf(model), 'Policy: user settings');
    } finally {
      fs.rmSync(policyFile, { force: true });
      await config().update('verify.policy', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test("a key file named relatively in the user's policy is read from the home folder, never from the workspace", async () => {
    const { model, pub } = await keySignedModel();
    // The workspace supplies "the publisher's key": its own.
    const planted = path.join(root(), 'keys', 'publisher.pub');
    fs.mkdirSync(path.dirname(planted), { recursive: true });
    fs.copyFileSync(pub, planted);
    try {
      await config().update('verify.policy', [{ path: 'trust-model', keys: ['keys/publisher.pub'] }], vscode.ConfigurationTarget.Global);
      const result = await vscode.commands.executeCommand<{ ok: boolean } | undefined>('modelSigning.verifyModel', vscode.Uri.file(model), { publicKey: pub });
      assert.notEqual(result?.ok, true);
      const state = api.states.get(model);
      // The key the user's policy names is missing from the home folder: a broken policy, never the planted key.
      assert.equal(state?.kind, 'policyError');
      assert.ok(state.message.includes(path.join(os.homedir(), 'keys', 'publisher.pub')), state.message);
    } finally {
      fs.rmSync(path.dirname(planted), { recursive: true, force: true });
      await config().update('verify.policy', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
