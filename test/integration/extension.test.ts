/// <reference types="mocha" />
// Runs inside the real VS Code extension host (see index.ts). What exists today: the extension
// loads from the development copy and activates; the editor features come with their milestone.
import * as assert from 'node:assert/strict';
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import { name, publisher, version } from '../../package.json';

const EXTENSION_ID = `${publisher}.${name}`; // model-signing.model-signing-vscode
// This bundle is <extension>/dist/test/integration/extension.test.js.
const EXTENSION_ROOT = resolve(__dirname, '..', '..', '..');

function getExtension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded in the extension host`);
  return ext;
}

suite('Extension host', () => {
  test('is the real Node 20 extension host', () => {
    assert.ok(process.versions.node.startsWith('20'), `process.versions.node is ${process.versions.node}`);
  });

  test(`${EXTENSION_ID} is present, loaded from the development copy`, () => {
    const ext = getExtension();
    assert.equal(ext.id, EXTENSION_ID);
    assert.equal(ext.extensionUri.fsPath, EXTENSION_ROOT);
    assert.equal((ext.packageJSON as { version?: string }).version, version);
  });

  test(`${EXTENSION_ID} activates`, async () => {
    const ext = getExtension();
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  test('the workspace holds the tiny model', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1, 'one workspace folder');
    for (const file of ['config.json', 'weights.bin']) {
      const stat = await vscode.workspace.fs.stat(vscode.Uri.joinPath(folders[0]!.uri, 'tiny-model', file));
      assert.equal(stat.type, vscode.FileType.File, `tiny-model/${file}`);
    }
  });
});
