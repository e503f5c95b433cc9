// Open Provenance: from the Explorer (a provenance file), the Signed Model view (a model's
// provenance, matched against that model) or the command palette (a file picker).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ProvenancePolicy } from '../core/provenance/types';
import { PROVENANCE_EXTENSIONS, defaultModelFor } from './provenanceFiles';
import { ProvenancePanel } from './provenancePanel';

/** Given by the Signed Model view and by tests; the Explorer gives only the file. */
export interface OpenProvenanceArgs {
  /** The model the subjects are matched against; default: the model named like the file, else its folder. */
  modelPath?: string;
  publicKey?: string;
  trustConfig?: string;
  /** Expected source repository, tag or branch, and builder (as `model-signing provenance verify` takes them). */
  policy?: ProvenancePolicy;
}

/** workspaceState key of the expected source and builder last given for a provenance file. */
const policyKey = (file: string) => `modelSigning.provenancePolicy:${file}`;

export async function openProvenanceCommand(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  uri?: vscode.Uri,
  args?: unknown,
): Promise<ProvenancePanel | undefined> {
  // The Explorer passes the selection (an array of URIs) as the second argument: not ours.
  const given: OpenProvenanceArgs = args && typeof args === 'object' && !Array.isArray(args) ? args : {};
  let file = uri?.scheme === 'file' ? uri.fsPath : undefined;
  if (!file) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFiles: true,
      canSelectMany: false,
      openLabel: 'Open Provenance',
      title: 'Open Provenance: choose a provenance file (.intoto.jsonl, .sigstore, .build.slsa, provenance JSON)',
      filters: { Provenance: PROVENANCE_EXTENSIONS, 'All files': ['*'] },
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    file = picked?.[0]?.fsPath;
  }
  if (!file) return undefined;
  const modelPath = given.modelPath ?? defaultModelFor(file);
  log.info(`Open Provenance ${file} (model ${modelPath})`);
  const resolved = path.resolve(file);
  // What the user last gave in the panel for this file (Expected Source and Builder…), unless the caller says.
  const state = context.workspaceState;
  return ProvenancePanel.show(context.extensionUri, log, {
    file: resolved,
    modelPath,
    publicKeyPath: given.publicKey,
    trustConfigPath: given.trustConfig,
    policy: given.policy ?? state.get<ProvenancePolicy>(policyKey(resolved)),
    onPolicyChange: (policy) => void state.update(policyKey(resolved), policy),
  });
}
