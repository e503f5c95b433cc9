/// <reference types="mocha" />
// A broken verification policy in the real extension host: the models it may govern show a policy error (not
// Verified, not trust on first use), and Problems shows the error on the offending value of the policy file.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelSigningApi } from '../../src/extension/extension';
import { waitFor } from './waitFor';
import { extensionApi } from './extensionApi';
import { keyHintOf, signWithKey, writeKeyPair } from './signature';

let api: ModelSigningApi;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-policy-'));

suite('A broken verification policy', () => {
  const root = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const model = () => path.join(root(), 'policy-model');
  const policyFile = () => path.join(root(), '.vscode', 'model-signing.json');
  const problems = () => vscode.languages.getDiagnostics(vscode.Uri.file(policyFile())).filter((d) => d.source === 'model-signing');
  /** The text Problems points at in the policy file. */
  const flagged = (d: vscode.Diagnostic) => {
    const lines = fs.readFileSync(policyFile(), 'utf8').split('\n');
    assert.equal(d.range.start.line, d.range.end.line);
    return lines[d.range.start.line]!.slice(d.range.start.character, d.range.end.character);
  };
  let publicKey = '';
  let hint = '';

  suiteSetup(async () => {
    api = await extensionApi();
    fs.mkdirSync(model(), { recursive: true });
    fs.writeFileSync(path.join(model(), 'weights.bin'), crypto.randomBytes(4096));
    const privateKey = path.join(tmp, 'key.pem');
    publicKey = path.join(tmp, 'key.pub');
    writeKeyPair(privateKey, publicKey);
    await signWithKey(model(), privateKey);
    hint = keyHintOf(model());
  });

  suiteTeardown(async () => {
    fs.rmSync(policyFile(), { force: true });
    fs.rmSync(model(), { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
    await vscode.workspace.getConfiguration('modelSigning').update('verify.policy', undefined, vscode.ConfigurationTarget.Workspace);
  });

  const verify = () => vscode.commands.executeCommand<{ ok: boolean } | undefined>('modelSigning.verifyModel', vscode.Uri.file(model()), { publicKey });

  test('a Windows path in the policy file: every model of the folder is a policy error, shown on the value', async () => {
    fs.mkdirSync(path.dirname(policyFile()), { recursive: true });
    // Names another folder: before, this silently matched nothing and the model fell back to trust on first use.
    fs.writeFileSync(policyFile(), `{\n  "models": [\n    { "path": "models\\\\llama-*", "keyHints": ["${hint}"] }\n  ]\n}\n`);
    assert.equal(await verify(), undefined);
    assert.equal(api.states.get(model())?.kind, 'policyError');
    assert.equal(api.badgeOf(model())?.text, '$(error) Policy error');
    const [d, ...more] = problems();
    assert.equal(more.length, 0);
    assert.equal(d!.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(flagged(d!), '"path": "models\\\\llama-*"');
    assert.match(d!.message, /backslash/);
  });

  test('an unknown key (a typo) is a policy error on that key, and fixing the file clears it', async () => {
    fs.writeFileSync(policyFile(), `{ "models": [\n  { "path": "policy-*", "sigstor": [] , "keyHints": ["${hint}"] }\n] }\n`);
    await waitFor("the policy file's problem names the typo", () => problems().length === 1 && flagged(problems()[0]!) === '"sigstor": []', {
      detail: () => `badge: ${api.badgeText()}`,
    });
    assert.equal(await verify(), undefined);
    assert.equal(api.states.get(model())?.kind, 'policyError');
    fs.writeFileSync(policyFile(), JSON.stringify({ models: [{ path: 'policy-*', keyHints: [hint] }] }));
    await waitFor('the problem is gone once the file is fixed', () => problems().length === 0, { detail: () => `badge: ${api.badgeText()}` });
    assert.equal((await verify())?.ok, true);
    assert.equal(api.states.get(model())?.kind, 'verified');
    // Broken again while the model shows Verified: it does not stay Verified.
    fs.writeFileSync(policyFile(), JSON.stringify({ models: [{ path: 'policy-*', keyHints: [hint] }], extra: true }));
    await waitFor('a policy error replaces Verified', () => api.states.get(model())?.kind === 'policyError', { detail: () => `badge: ${api.badgeText()}` });
    fs.rmSync(policyFile());
  });

  test('the setting is checked as the file is: a setting that is no list is a policy error', async () => {
    const config = vscode.workspace.getConfiguration('modelSigning');
    try {
      await config.update('verify.policy', { path: 'policy-*', keyHints: [hint] }, vscode.ConfigurationTarget.Workspace);
      assert.equal(await verify(), undefined);
      assert.equal(api.states.get(model())?.kind, 'policyError');
      await config.update('verify.policy', [{ path: 'policy-*', keyHints: [hint] }], vscode.ConfigurationTarget.Workspace);
      assert.equal((await verify())?.ok, true);
    } finally {
      await config.update('verify.policy', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
