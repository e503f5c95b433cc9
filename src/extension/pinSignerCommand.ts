import * as vscode from 'vscode';
import { POLICY_FILE, PinChoice, SignerInfo, isModelSigningError, modelGlob, pinChoices, pinIdentity, policyFilePath } from '../core';
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
 * the click is the consent, so nothing more is asked, except for a CI workflow's signature, which may be pinned
 * as that workflow at any ref or as exactly this ref (pinChoices): a pick says what each will accept.
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
  const choice = await choosePin(state.result.signer, modelName(state.target.modelPath));
  if (!choice) return false;
  const who = choice.scope === 'workflow' ? choice.label.replace(/^The /, 'the ') : signerText(state.result.signer);
  const glob = modelGlob(folder.uri.fsPath, state.target.modelPath);
  try {
    await pinIdentity(policyFilePath(folder.uri.fsPath), glob, state.result.signer, folder.uri.fsPath, state.pin, choice.scope);
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

interface PinItem extends vscode.QuickPickItem {
  choice: PinChoice;
}

/** The only way to pin the signer, or the user's pick of several (undefined if cancelled). */
async function choosePin(signer: SignerInfo, model: string): Promise<PinChoice | undefined> {
  const choices = pinChoices(signer);
  if (choices.length === 1) return choices[0];
  // Certificate text is escaped, and `$(` kept from being read as an icon.
  const shown = (text: string) => String(safeText`${text}`).replace(/\$\(/g, '\\$(');
  const items: PinItem[] = choices.map((choice) => ({ label: shown(choice.label), detail: shown(choice.accepts), choice }));
  const picked = await vscode.window.showQuickPick(items, {
    title: String(safeText`Pin Signer: which signatures should ${model} accept?`),
    ignoreFocusOut: true,
  });
  return picked?.choice;
}
