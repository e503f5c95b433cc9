/// <reference types="mocha" />
// Verification without a click (issue 11, §5), in the real extension host: the models signed before the
// workspace opened were verified in the background as it opened, without a prompt; the search for them
// skips dependency folders and finds single-file models by their `<file>.sig`.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelSigningApi } from '../../src/extension/extension';
import { findSignedModels } from '../../src/extension/verifyOnOpen';
import { extensionApi } from './extensionApi';

let api: ModelSigningApi;
const root = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
// Signed before code-server started (test/e2e/keylessModel.ts, forgedModel.ts); absent under test:electron.
const signedModel = () => path.join(root(), 'signed-llm');
const forgedModel = () => path.join(root(), 'forged-model');
const keySignedModel = () => path.join(root(), 'key-signed-model');

suite('Verification on open', () => {
  suiteSetup(async () => {
    api = await extensionApi();
  });

  test('models signed before the workspace opened are verified without a click: signed (not pinned), or not verified', async function () {
    if (!fs.existsSync(signedModel())) this.skip();
    await api.verifiedOnOpen;
    // No policy names the keyless signer: shown as signed and not pinned, never Verified.
    const signed = api.states.get(signedModel());
    assert.equal(signed?.kind, 'signed', JSON.stringify(signed?.kind));
    // A signature from a Sigstore the user does not trust is not verified, and the reason is kept.
    const forged = api.states.get(forgedModel());
    assert.equal(forged?.kind, 'failed');
  });

  test('a model signed with a key is shown as signed and not checked yet, not as a failure; a click verifies it', async function () {
    if (!fs.existsSync(keySignedModel())) this.skip();
    await api.verifiedOnOpen;
    const state = api.states.get(keySignedModel());
    assert.equal(state?.kind, 'unchecked', JSON.stringify(state));
    const badge = api.badgeOf(keySignedModel())!;
    assert.equal(badge.text, '$(key) Signed with a key — not checked');
    assert.ok(badge.tooltip.includes('Verify Model asks for the public key'), badge.tooltip);
    assert.equal(api.fileDecoration(keySignedModel())?.badge, '?');
    api.states.focus(keySignedModel());
    assert.equal(api.badgeCommand(), 'modelSigning.verifyShownModel');
    const row = (await api.manifestItems())[0];
    assert.equal(row?.command?.command, 'modelSigning.verifyShownModel');
    assert.equal(row?.command?.arguments, undefined);
  });

  test('the search finds model.sig folders and <model file>.sig files, not dependency folders', async () => {
    const made = [path.join(root(), 'node_modules', 'pkg'), path.join(root(), 'single-file-models')];
    fs.mkdirSync(made[0]!, { recursive: true });
    fs.mkdirSync(made[1]!, { recursive: true });
    fs.writeFileSync(path.join(made[0]!, 'model.sig'), '{}');
    const onnx = path.join(made[1]!, 'net.onnx');
    fs.writeFileSync(onnx, 'onnx');
    fs.writeFileSync(`${onnx}.sig`, '{}');
    // A .sig of something that is not a model file (a release tarball's detached signature) is not a model.
    fs.writeFileSync(path.join(made[1]!, 'release.tar.gz.sig'), 'gpg');
    try {
      const found = await findSignedModels();
      assert.ok(!found.some((t) => t.modelPath.includes(`${path.sep}node_modules${path.sep}`)), found.map((t) => t.modelPath).join('\n'));
      const file = found.find((t) => t.modelPath === onnx);
      assert.deepEqual(file, { modelPath: onnx, isFile: true, signaturePath: `${onnx}.sig` });
      assert.ok(!found.some((t) => t.signaturePath.endsWith('release.tar.gz.sig')));
    } finally {
      for (const dir of [path.join(root(), 'node_modules'), made[1]!]) fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
