// What the extension's pickers read from a module (core's tokenList), against a real SoftHSM2 token.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { isModelSigningError } from '../../src/core/errors';
import { Pkcs11KeySigner } from '../../src/core/pkcs11/pkcs11Signer';
import { formatPkcs11Uri, parsePkcs11Uri } from '../../src/core/pkcs11/pkcs11Uri';
import { installedModules, listTokenKeys, listTokens } from '../../src/core/pkcs11/tokenList';
import { loadPublicKey, samePublicKey } from '../../src/core/signing/keys';
import { tempDir } from '../helpers/fixtures';
import { NO_SOFTHSM, SoftHsm, softHsm } from '../helpers/softHsm';

describe('PKCS #11 tokens for a picker (SoftHSM2)', { skip: NO_SOFTHSM }, () => {
  let hsm: SoftHsm;
  let publicKey: string;
  before(() => {
    hsm = softHsm(tempDir('ms-softhsm-'), 'picker-token');
    publicKey = hsm.makeKey('picked', 'EC:prime256v1', '0a0b');
    hsm.makeKey('other', 'rsa:2048', '0c');
  });

  it('lists the initialised tokens (not the spare slot SoftHSM2 adds) and, logged in, their private keys', async () => {
    const tokens = await listTokens(hsm.module);
    assert.deepEqual(
      tokens.map((t) => [t.label, t.loginRequired, t.initialized]),
      [['picker-token', true, true]],
    );
    const token = tokens[0]!;
    assert.deepEqual(await listTokenKeys(hsm.module, token.slotId), [], 'private keys are private objects: none before logging in');
    const keys = await listTokenKeys(hsm.module, token.slotId, hsm.pin);
    assert.deepEqual(keys.map((k) => [k.label, k.id.toString('hex'), k.keyType]).sort(), [
      ['other', '0c', 'rsa'],
      ['picked', '0a0b', 'ec'],
    ]);
    await assert.rejects(listTokenKeys(hsm.module, token.slotId, 'nope'), (e: unknown) => isModelSigningError(e) && e.code === 'PKCS11_PIN_INCORRECT');
    await assert.rejects(listTokenKeys(hsm.module, 123456n), (e: unknown) => isModelSigningError(e) && e.code === 'PKCS11_TOKEN_NOT_FOUND');

    // What the extension builds from the picks: slot, token, key label and id; the PIN from the callback.
    const uri = formatPkcs11Uri({
      path: [
        ['slot-id', String(token.slotId)],
        ['token', token.label],
        ['object', 'picked'],
        ['id', keys.find((k) => k.label === 'picked')!.id],
      ],
      query: [['module-path', hsm.module]],
    });
    const asked: string[] = [];
    const signer = await Pkcs11KeySigner.open({ uri: parsePkcs11Uri(uri), askPin: (t) => (asked.push(t.label), Promise.resolve(hsm.pin)) });
    assert.deepEqual(asked, ['picker-token']);
    assert.ok(samePublicKey(signer.publicKey, loadPublicKey(fs.readFileSync(publicKey))));
    const wrongToken = formatPkcs11Uri({
      path: [
        ['slot-id', String(token.slotId)],
        ['token', 'another'],
        ['object', 'picked'],
      ],
      query: [['module-path', hsm.module]],
    });
    await assert.rejects(
      Pkcs11KeySigner.open({ uri: parsePkcs11Uri(wrongToken), askPin: () => Promise.resolve(hsm.pin) }),
      /The token in slot \d+ is not called 'another'/,
    );
  });

  it('lists the modules installed in a folder: shared libraries only', () => {
    const dir = tempDir('ms-modules-');
    for (const f of ['libone.so', 'libtwo.so.2', 'readme.txt', 'mac.dylib']) fs.writeFileSync(path.join(dir, f), '');
    assert.deepEqual(
      installedModules([dir, path.join(dir, 'missing')]),
      ['libone.so', 'libtwo.so.2', 'mac.dylib'].map((f) => path.join(dir, f)),
    );
  });
});
