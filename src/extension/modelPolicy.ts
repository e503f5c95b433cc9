// Which verification policy governs a model, and where it came from: the user's settings win over
// the workspace's `.vscode/model-signing.json`, which wins over the workspace's settings (core
// findGoverningPolicy). An untrusted workspace contributes nothing: its policy could name its own
// keys or CAs, which would widen what verifies.
import * as os from 'node:os';
import * as vscode from 'vscode';
import { POLICY_FILE, Policy, PolicyEntry, PolicyLayer, PolicyOrigin, findGoverningPolicy, parsePolicySetting, policyFilePath, readPolicyFile } from '../core';
import { SETTINGS } from './constants';

/** What the Signed Model view and the badge's tooltip say about the policy. */
export interface PolicyNote {
  kind: PolicyOrigin | 'none' | 'untrusted';
  label: string;
  detail?: string;
}

export interface ModelPolicy {
  entry?: PolicyEntry;
  note: PolicyNote;
}

export const NOT_TRUSTED = 'Workspace policy not applied: folder not trusted';
const LABELS: Record<PolicyOrigin, string> = {
  user: 'Policy: user settings',
  workspaceFile: `Policy: ${POLICY_FILE}`,
  workspaceSettings: 'Policy: workspace settings',
};
const SETTING = `${SETTINGS.section}.${SETTINGS.policy}`;

export async function policyFor(modelPath: string): Promise<ModelPolicy> {
  const trusted = vscode.workspace.isTrusted;
  const fallback: ModelPolicy = { note: trusted ? { kind: 'none', label: 'No policy: the signer is not pinned' } : { kind: 'untrusted', label: NOT_TRUSTED } };
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(modelPath));
  if (!folder) return fallback;
  const root = folder.uri.fsPath;
  const seen = vscode.workspace.getConfiguration(SETTINGS.section, folder.uri).inspect<unknown>(SETTINGS.policy);
  const layers: PolicyLayer[] = [];
  const add = (origin: PolicyOrigin, policy: Policy | undefined) => policy && policy.models.length > 0 && layers.push({ origin, policy });
  // The user's key and certificate files are theirs: relative to their home folder, never to the workspace, which could supply them.
  add('user', settingPolicy(seen?.globalValue, os.homedir(), `user settings (${SETTING})`));
  if (trusted) {
    add('workspaceFile', await readPolicyFile(policyFilePath(root), root));
    add('workspaceSettings', settingPolicy(seen?.workspaceFolderValue ?? seen?.workspaceValue, root, `workspace settings (${SETTING})`));
  }
  const found = findGoverningPolicy(root, modelPath, layers);
  if (!found) return fallback;
  const detail = trusted ? `'${found.entry.path}'` : `'${found.entry.path}'; workspace policy not applied: folder not trusted`;
  return { entry: found.entry, note: { kind: found.origin, label: LABELS[found.origin], detail } };
}

function settingPolicy(value: unknown, baseDir: string, source: string): Policy | undefined {
  // Anything but an empty list is parsed: a setting of the wrong type is an error to see, not no policy.
  return value === undefined ? undefined : parsePolicySetting(value, { workspaceRoot: baseDir, source });
}
