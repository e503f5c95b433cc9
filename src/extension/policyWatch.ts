import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { POLICY_FILE, policyFilePath, readPolicyFile } from '../core';
import { safeText } from '../core/display';
import { SETTINGS } from './constants';
import { ModelStates } from './modelState';
import { ModelTarget } from './modelTarget';
import { notify } from './notify';
import { isPolicyError, showPolicyProblem } from './policyProblems';

/**
 * When a workspace folder's policy file or policy setting changes: its
 * Problems entry follows the file (a notification when it becomes broken),
 * and the models of that folder shown as verified, signed, tampered, failed or policy errors
 * are verified again: a broken policy turns them into policy errors, a fixed one
 * gives them back.
 */
export function watchPolicies(states: ModelStates, diagnostics: vscode.DiagnosticCollection, reverify: (t: ModelTarget) => Promise<void>): vscode.Disposable {
  const broken = new Set<string>();
  const recheck = async (folder: vscode.WorkspaceFolder) => {
    const root = folder.uri.fsPath;
    try {
      // An untrusted folder's policy file is never applied: nothing to report on it.
      if (vscode.workspace.isTrusted) await readPolicyFile(policyFilePath(root), root);
      showPolicyProblem(diagnostics, root);
      broken.delete(root);
    } catch (e) {
      if (!isPolicyError(e)) throw e;
      showPolicyProblem(diagnostics, root, e);
      if (!broken.has(root))
        void notify.error(safeText`Model Signing: ${POLICY_FILE} is broken, so no model of ${folder.name} shows as verified: ${e.message}`);
      broken.add(root);
    }
    // Only what a policy decides: models shown as verified, signed, tampered, failed, unchecked or policy errors that are still there.
    const affected = states
      .all()
      .filter(
        (s) =>
          ['verified', 'signed', 'tampered', 'failed', 'unchecked', 'policyError'].includes(s.kind) &&
          (s.target.modelPath === root || s.target.modelPath.startsWith(root + path.sep)) &&
          fs.existsSync(s.target.signaturePath),
      );
    for (const state of affected) await reverify(state.target);
  };
  const onFile = (uri: vscode.Uri) => {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (folder && uri.fsPath === policyFilePath(folder.uri.fsPath)) void recheck(folder);
  };
  const watcher = vscode.workspace.createFileSystemWatcher(`**/${POLICY_FILE}`);
  return vscode.Disposable.from(
    watcher,
    watcher.onDidChange(onFile),
    watcher.onDidCreate(onFile),
    watcher.onDidDelete(onFile),
    vscode.workspace.onDidChangeConfiguration((e) => {
      for (const folder of vscode.workspace.workspaceFolders ?? []) {
        if (e.affectsConfiguration(`${SETTINGS.section}.${SETTINGS.policy}`, folder.uri)) void recheck(folder);
      }
    }),
  );
}
