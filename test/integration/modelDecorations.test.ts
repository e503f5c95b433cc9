/// <reference types="mocha" />
// The Explorer's marks (issue 11, §5), in the real extension host: the model folder says signed (not
// pinned), verified or tampered; its files verified, modified or unsigned extra, and they follow changes on
// disk through the live re-verification. Tooltips are fixed text: no file name or signer in them.
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
const MODEL = 'decorated-model';
const model = () => path.join(root(), MODEL);
const policyFile = () => path.join(root(), '.vscode', 'model-signing.json');
const keyDir = fs.mkdtempSync(path.join(root(), '..', 'decoration-keys-'));
const privateKey = path.join(keyDir, 'key.pem');
const badgeOf = (file: string) => api.fileDecoration(path.join(model(), file))?.badge;
const shown = () => ['', 'weights.bin', 'config.json', 'extra.bin'].map((f) => `${f || MODEL}: ${badgeOf(f) ?? '-'}`).join(', ');

suite('Explorer decorations on models', () => {
  let policyBefore: string | undefined;
  let publicKeyPem = '';
  suiteSetup(async () => {
    api = await extensionApi();
    api.digestCacheOptions.racyWindowMs = 0;
    policyBefore = fs.existsSync(policyFile()) ? fs.readFileSync(policyFile(), 'utf8') : undefined;
    publicKeyPem = writeKeyPair(privateKey);
    fs.mkdirSync(model(), { recursive: true });
    fs.writeFileSync(path.join(model(), 'weights.bin'), crypto.randomBytes(16 << 10));
    fs.writeFileSync(path.join(model(), 'config.json'), '{}');
  });
  suiteTeardown(() => {
    if (policyBefore === undefined) fs.rmSync(policyFile(), { force: true });
    else fs.writeFileSync(policyFile(), policyBefore);
    fs.rmSync(model(), { recursive: true, force: true });
    fs.rmSync(keyDir, { recursive: true, force: true });
  });

  test('signed, not pinned: the folder is marked S, its files get no check mark', async () => {
    await signWithKey(model(), privateKey);
    await waitFor('the folder marked signed', () => badgeOf('') === 'S', { detail: shown });
    assert.equal(badgeOf('weights.bin'), undefined, shown());
    const tooltip = api.fileDecoration(model())?.tooltip ?? '';
    assert.match(tooltip, /not pinned/);
    assert.ok(!tooltip.includes(MODEL), tooltip);
  });

  test('verified under a policy: check marks; a changed file turns M, an added one U, and back', async () => {
    fs.mkdirSync(path.dirname(policyFile()), { recursive: true });
    fs.writeFileSync(policyFile(), JSON.stringify({ models: [{ path: MODEL, publicKeys: [publicKeyPem] }] }));
    await vscode.commands.executeCommand('modelSigning.verifyModel', vscode.Uri.file(model()));
    await waitFor('the folder marked verified', () => badgeOf('') === '✓', { detail: shown });
    assert.equal(badgeOf('weights.bin'), '✓', shown());

    const config = path.join(model(), 'config.json');
    fs.writeFileSync(config, '{"changed": true}');
    await waitFor('config.json marked modified', () => badgeOf('config.json') === 'M' && badgeOf('') === '!', { detail: shown });
    // A tampered model is not verified: none of its files gets a check mark.
    assert.equal(badgeOf('weights.bin'), undefined, shown());
    fs.writeFileSync(path.join(model(), 'extra.bin'), 'not signed');
    await waitFor('extra.bin marked unsigned', () => badgeOf('extra.bin') === 'U', { detail: shown });

    fs.writeFileSync(config, '{}');
    fs.rmSync(path.join(model(), 'extra.bin'));
    await waitFor('verified again, the marks cleared', () => badgeOf('') === '✓' && badgeOf('config.json') === '✓' && badgeOf('extra.bin') === undefined, {
      detail: shown,
    });
  });
});
