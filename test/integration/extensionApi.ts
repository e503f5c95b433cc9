// The extension under test, as the suites reach it.
import * as vscode from 'vscode';
import { name, publisher } from '../../package.json';
import type { ModelSigningApi } from '../../src/extension/extension';

/** The API the extension returns, activating it when no suite has yet. */
export async function extensionApi(): Promise<ModelSigningApi> {
  const ext = vscode.extensions.getExtension<ModelSigningApi>(`${publisher}.${name}`)!;
  return ext.isActive ? ext.exports : await ext.activate();
}
