/// <reference types="mocha" />
// Sign Model with a key on a PKCS #11 token, inside the real extension host: the pkcs11js addon loads in
// it, the token is a SoftHSM2 one made here (SOFTHSM2_CONF set in this host), and the signature is an
// ordinary key signature, which Verify Model checks with the key pkcs11-tool reads off the token.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { NO_SOFTHSM, softHsm } from '../helpers/softHsm';
import { INTEGRATION_SCRATCH } from './marker';
import { extensionApi } from './extensionApi';
import { keyHintOf } from './signature';

const scratch = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, '..', INTEGRATION_SCRATCH);

suite('Sign Model with a PKCS #11 token', () => {
  test('signs with a P-384 key on a SoftHSM2 token, given module, token, key and PIN; Verify Model checks it with the public key', async function () {
    if (NO_SOFTHSM) return this.skip();
    this.timeout(120_000);
    fs.mkdirSync(scratch, { recursive: true });
    const hsm = softHsm(fs.mkdtempSync(path.join(scratch, 'softhsm-')));
    const publicKey = hsm.makeKey('release-key', 'EC:secp384r1', 'a1');
    const model = path.join(fs.mkdtempSync(path.join(scratch, 'pkcs11-')), 'token-model');
    fs.mkdirSync(model);
    fs.writeFileSync(path.join(model, 'weights.bin'), 'weights');
    const api = await extensionApi();
    const uri = vscode.Uri.file(model);
    const args = { method: 'pkcs11-key', pkcs11Module: hsm.module, pkcs11Token: hsm.token, pkcs11Key: 'release-key', skipConfirmation: true, overwrite: true };

    // A wrong PIN given up front is an error (a notification, not a retry), and nothing is written.
    assert.equal(await vscode.commands.executeCommand('modelSigning.signModel', uri, { ...args, pin: 'wrong' }), undefined);
    assert.ok(!fs.existsSync(path.join(model, 'model.sig')));

    assert.equal(await vscode.commands.executeCommand<boolean>('modelSigning.signModel', uri, { ...args, pin: hsm.pin }), true);
    // The signer's key is known at once: the badge says who signed, not pinned.
    assert.match(api.badgeText(), /^\$\(unverified\) Signed with key [0-9a-f]{12}… — not pinned$/);
    const result = await vscode.commands.executeCommand<{ ok: boolean }>('modelSigning.verifyModel', uri, { publicKey });
    assert.equal(result?.ok, true);
    assert.equal(keyHintOf(model).length, 64);
  });
});
