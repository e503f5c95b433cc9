// A model's signature file, read as the Bundle it holds, for tests that look inside it.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Bundle } from '../../src/core/signing/bundle';

/** `<model>/model.sig`, unchecked: the extension wrote it. */
export function readSignature(model: string): Bundle {
  return JSON.parse(fs.readFileSync(path.join(model, 'model.sig'), 'utf8')) as Bundle;
}

/** The key hint of a key-signed model's signature. */
export function keyHintOf(model: string): string {
  return readSignature(model).verificationMaterial.publicKey!.hint!;
}

/** Signs a model folder with a private key through Sign Model, asking nothing (an existing signature is replaced). */
export async function signWithKey(model: string, privateKey: string): Promise<void> {
  const args = { method: 'key', privateKey, skipConfirmation: true, overwrite: true };
  assert.equal(await vscode.commands.executeCommand<boolean>('modelSigning.signModel', vscode.Uri.file(model), args), true);
}

/** A fresh EC key pair as PEM files (PKCS #8, SPKI; the public one only when a file is named); returns the public PEM. */
export function writeKeyPair(privateKeyFile: string, publicKeyFile?: string, curve = 'P-256'): string {
  const pair = crypto.generateKeyPairSync('ec', { namedCurve: curve });
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  fs.writeFileSync(privateKeyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  if (publicKeyFile) fs.writeFileSync(publicKeyFile, publicPem);
  return publicPem;
}
