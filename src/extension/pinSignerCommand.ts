import * as vscode from 'vscode';
import { POLICY_FILE, isModelSigningError, modelGlob, pinIdentity, policyFilePath } from '../core';
import { safeText } from '../core/display';
import { ModelStates, canPin } from './modelState';
import { ModelTarget, modelName } from './modelTarget';
import { notify } from './notify';
import { signerText } from './trustWording';

export interface PinDeps {
  states: ModelStates;
  log: vscode.LogOutputChannel;
  /** Verify the model again, quietly, under the policy just written. */
  reverify: (target: ModelTarget) => Promise<void>;
}

/**
 * Pin Signer: writes the signer of a model shown as "not pinned" into the workspace's policy file, for
 * exactly that folder (a key signature's public key itself, when the user gave it), then verifies the
 * model again under it. Reached from the verification notification, the Signed Model view and the badge:
 * the click is the consent, so nothing more is asked.
 */
export async function pinSignerCommand(deps: PinDeps, modelPath?: string): Promise<boolean> {
  const state = modelPath ? deps.states.get(modelPath) : deps.states.current;
  if (!canPin(state)) {
    void notify.warn(safeText`Pin Signer: verify a signed model that no policy governs first (in a trusted workspace)`);
    return false;
  }
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(state.target.modelPath));
  // The pin would be workspace input we then trust; canPin already says so, but trust may have changed.
  if (!folder || !vscode.workspace.isTrusted) {
    void notify.warn(safeText`Pin Signer: ${modelName(state.target.modelPath)} is not in a trusted workspace folder`);
    return false;
  }
  const who = signerText(state.result.signer);
  const glob = modelGlob(folder.uri.fsPath, state.target.modelPath);
  try {
    await pinIdentity(policyFilePath(folder.uri.fsPath), glob, state.result.signer, folder.uri.fsPath, state.pin);
  } catch (e) {
    const message = isModelSigningError(e) ? e.message : String(e);
    deps.log.error(`Pin Signer: ${message}`);
    void notify.error(safeText`Could not pin ${who}: ${message}`);
    return false;
  }
  deps.log.info(`Pinned ${who} for ${glob} in ${POLICY_FILE}`);
  void notify.info(safeText`Pinned ${who} for ${glob} in ${POLICY_FILE}`);
  await deps.reverify(state.target);
  return true;
}
