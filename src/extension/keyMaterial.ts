import * as vscode from 'vscode';
import { MethodInput, ModelSigningError, loadPrivateKey, readKeyFile } from '../core';
import type { KeyObject } from 'node:crypto';
import { safeText } from '../core/display';
import { notify } from './notify';

/** Picks one file, or several, with a title that says what for. */
export async function pickFiles(title: string, many = false): Promise<string[] | undefined> {
  const uris = await vscode.window.showOpenDialog({ title, canSelectFiles: true, canSelectFolders: false, canSelectMany: many, openLabel: 'Select' });
  return uris?.map((u) => u.fsPath);
}

/** Asks for a method's input with its prompt: a file or files, or a line of text (hidden if secret). */
export async function pickInput(input: MethodInput): Promise<string[] | undefined> {
  const title = input.prompt ?? input.help;
  if (input.kind !== 'text' && input.kind !== 'secret') return pickFiles(title, input.kind === 'certificates');
  const text = await vscode.window.showInputBox({ title, password: input.kind === 'secret', ignoreFocusOut: true });
  return text === undefined ? undefined : [text];
}

/**
 * Loads a PEM private key, asking for its password when it is encrypted.
 * A password is kept in SecretStorage only when the user says so.
 */
export async function loadKeyInteractively(file: string, secrets: vscode.SecretStorage, given?: string): Promise<KeyObject | undefined> {
  const pem = readKeyFile(file, 'private key');
  const secretKey = `modelSigning.keyPassword:${file}`;
  const stored = given ?? (await secrets.get(secretKey));
  try {
    return loadPrivateKey(pem, stored);
  } catch (e) {
    if (!(e instanceof ModelSigningError) || (e.code !== 'KEY_PASSWORD_REQUIRED' && !(stored !== undefined && e.code === 'KEY_INVALID'))) throw e;
  }
  const password = await vscode.window.showInputBox({ title: 'Password of the private key', prompt: file, password: true, ignoreFocusOut: true });
  if (password === undefined) return undefined;
  const key = loadPrivateKey(pem, password);
  const remember = await notify.info(safeText`Remember this key password in VS Code's secret storage?`, {}, 'Remember', 'Not now');
  if (remember === 'Remember') await secrets.store(secretKey, password);
  return key;
}
