// Settings a workspace must not choose. `package.json` declares the ones that decide trust or where
// credentials go as `machine` scope and lists them in `restrictedConfigurations`; these readers
// also ignore workspace values themselves, in case a VS Code (or a misdeclared scope) lets one through.
import * as vscode from 'vscode';
import { SETTINGS } from './constants';

type SettingKey = (typeof SETTINGS)[Exclude<keyof typeof SETTINGS, 'section'>];

/** A setting from the user's own (or remote) settings, or its default: never the workspace's. */
export function userSetting<T>(key: SettingKey, scope?: vscode.Uri): T | undefined {
  const seen = vscode.workspace.getConfiguration(SETTINGS.section, scope).inspect<T>(key);
  return seen?.globalValue ?? seen?.defaultValue;
}

/** A setting as VS Code resolves it in a trusted workspace; in an untrusted one, the user's own value. */
export function trustedSetting<T>(key: SettingKey, scope?: vscode.Uri): T | undefined {
  return vscode.workspace.isTrusted ? vscode.workspace.getConfiguration(SETTINGS.section, scope).get<T>(key) : userSetting<T>(key, scope);
}
