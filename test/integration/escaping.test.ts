/// <reference types="mocha" />
// Nothing a model names can rewrite the editor's UI: a model with hostile file names (ANSI
// escapes, carriage returns, bidi overrides, C1 controls) in a hostile folder name is verified
// in the real extension host, and the Signed Model view, the badge and Problems show them escaped.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelSigningApi } from '../../src/extension/extension';
import { UNSAFE_CHARS } from '../helpers/unsafeText';
import { extensionApi } from './extensionApi';
import { signWithKey, writeKeyPair } from './signature';

const CLEARS_THE_SCREEN = '\r\u001b[2K\u001b[1A\u001b[2K\rVerified\u001b[K';
const BIDI = 'model\u202egnp.exe';
const C1 = 'csi\u009b2Jnel\u0085';

function texts(item: vscode.TreeItem): string[] {
  const label = typeof item.label === 'object' ? item.label.label : item.label;
  const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : item.tooltip;
  return [label, item.description, tooltip].filter((t): t is string => typeof t === 'string');
}

suite('Hostile names in the editor', () => {
  let api: ModelSigningApi;
  suiteSetup(async () => {
    api = await extensionApi();
  });

  test('a tampered model with hostile file names: view, badge and Problems show them escaped', async () => {
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const model = path.join(root, `hostile\u202e${C1}`);
    fs.rmSync(model, { recursive: true, force: true });
    fs.mkdirSync(path.join(model, 'sub'), { recursive: true });
    for (const f of [CLEARS_THE_SCREEN, BIDI, path.join('sub', C1), 'ok.bin']) fs.writeFileSync(path.join(model, f), crypto.randomBytes(64));
    const priv = path.join(root, '..', 'hostile-key.pem');
    const pub = path.join(root, '..', 'hostile-key.pub');
    writeKeyPair(priv, pub);
    await signWithKey(model, priv);
    const uri = vscode.Uri.file(model);
    fs.writeFileSync(path.join(model, CLEARS_THE_SCREEN), 'changed');
    fs.rmSync(path.join(model, BIDI));
    const result = await vscode.commands.executeCommand<{ ok: boolean }>('modelSigning.verifyModel', uri, { publicKey: pub });
    assert.equal(result?.ok, false);
    assert.equal(api.states.get(model)?.kind, 'tampered');
    api.states.focus(model);

    const items = await api.manifestItems();
    const shown = items.flatMap(texts);
    for (const t of shown) assert.doesNotMatch(t.replace(/\n/g, ''), UNSAFE_CHARS, `tree text ${JSON.stringify(t)}`);
    const labels = items.map((i) => (typeof i.label === 'object' ? i.label.label : i.label));
    for (const escaped of ['\\r\\x1b[2K\\x1b[1A\\x1b[2K\\rVerified\\x1b[K', 'model\\u202egnp.exe', 'csi\\x9b2Jnel\\x85'])
      assert.ok(labels.includes(escaped), `${escaped} in ${JSON.stringify(labels)}`);

    assert.equal(api.badgeOf(model)?.text, '$(warning) Tampered · 2 files');
    // Our own newline separates the policy line; no other control character.
    assert.doesNotMatch(api.badgeOf(model)!.tooltip.replace(/\n/g, ''), UNSAFE_CHARS);
    assert.match(api.badgeOf(model)!.tooltip, /\nhostile\\u202ecsi\\x9b2Jnel\\x85 differs/);

    const diagnostics = vscode.languages
      .getDiagnostics()
      .filter(([u]) => u.fsPath.startsWith(model))
      .flatMap(([, ds]) => ds);
    assert.equal(diagnostics.length, 2);
    for (const d of diagnostics) assert.doesNotMatch(d.message, UNSAFE_CHARS, d.message);
    assert.ok(
      diagnostics.some((d) => d.message.endsWith(': model\\u202egnp.exe')),
      JSON.stringify(diagnostics.map((d) => d.message)),
    );
    fs.rmSync(model, { recursive: true, force: true });
  });
});
