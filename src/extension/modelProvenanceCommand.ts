import * as path from 'node:path';
import * as vscode from 'vscode';
import { displayText, safeText } from '../core/display';
import { ModelStates } from './modelState';
import { notify } from './notify';
import { provenanceFilesOf } from './provenanceFiles';

/**
 * Open Provenance of the model the Signed Model view shows. The view's Provenance rows run it without
 * arguments (verificationBadge.ts says why a row's click must not carry any): with several provenance
 * files it asks which one.
 */
export async function openModelProvenance<T>(states: ModelStates, open: (file: vscode.Uri, modelPath: string) => Promise<T>): Promise<T | undefined> {
  const modelPath = states.current?.target.modelPath;
  if (!modelPath) {
    void notify.info(safeText`Open Provenance: verify a model first; the Signed Model view shows none`);
    return undefined;
  }
  const files = provenanceFilesOf(modelPath);
  if (files.length === 0) {
    void notify.info(safeText`${path.basename(modelPath)} has no provenance beside or inside it`);
    return undefined;
  }
  const file =
    files.length === 1
      ? files[0]
      : (
          await vscode.window.showQuickPick(
            files.map((f) => ({ label: displayText(path.basename(f)), description: displayText(path.dirname(f)), file: f })),
            { title: `Open Provenance of ${displayText(path.basename(modelPath))}`, placeHolder: 'Which provenance file?' },
          )
        )?.file;
  return file ? open(vscode.Uri.file(file), modelPath) : undefined;
}
