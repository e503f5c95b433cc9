// Verification without a click: when a workspace opens, its signed models are verified one at a
// time in the background (quietly: no prompt, no notification), so the badge, the Signed Model view
// and the Explorer already say what each one is. Loaded at activation: of the core, only the cache layout.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { snapshotOfSignature } from '../core/huggingface/cacheLayout';
import { MODEL_FILE_EXTENSIONS, SETTINGS, SIGNATURE_NAME } from './constants';
import type { ModelTarget } from './modelTarget';
import { trustedSetting } from './trustedSettings';

/** At most this many models are verified on open: a huge workspace gets the first ones, the rest on demand. */
export const MAX_MODELS_ON_OPEN = 50;

/** Folders never searched: dependencies and version control hold no model of the user's, and can be huge. */
const EXCLUDE = '**/{node_modules,.git,.hg,.svn,.venv,venv,__pycache__,.tox}/**';

/**
 * The models whose signature is in the workspace: `model.sig` in a folder, `<model file>.sig` beside a model file,
 * `models--ORG--NAME/<commit>.sig` beside the snapshots of a Hugging Face cache repository.
 */
export async function findSignedModels(token?: vscode.CancellationToken): Promise<ModelTarget[]> {
  // Separate searches: ripgrep, which findFiles runs, takes no brace group inside another.
  const searches: [string, (signaturePath: string) => ModelTarget | undefined][] = [
    [`**/${SIGNATURE_NAME}`, (sig) => ({ modelPath: path.dirname(sig), isFile: false, signaturePath: sig })],
    [`**/*.{${MODEL_FILE_EXTENSIONS.join(',')}}.sig`, modelOfFileSignature],
    ['**/*--*/*.sig', modelOfSnapshotSignature],
  ];
  const found = await Promise.all(
    searches.map(async ([pattern, modelOf]) =>
      (await vscode.workspace.findFiles(pattern, EXCLUDE, MAX_MODELS_ON_OPEN, token)).map((uri) => modelOf(uri.fsPath)),
    ),
  );
  return found
    .flat()
    .filter((t): t is ModelTarget => t !== undefined)
    .slice(0, MAX_MODELS_ON_OPEN)
    .sort((a, b) => a.modelPath.localeCompare(b.modelPath));
}

function modelOfFileSignature(signaturePath: string): ModelTarget | undefined {
  const file = signaturePath.slice(0, -'.sig'.length);
  return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ? { modelPath: file, isFile: true, signaturePath } : undefined;
}

/** A signature beside the snapshots of a cached repository, unless the snapshot carries its own model.sig (found above). */
function modelOfSnapshotSignature(signaturePath: string): ModelTarget | undefined {
  const snapshot = snapshotOfSignature(signaturePath);
  if (!snapshot || fs.existsSync(path.join(snapshot.snapshot, SIGNATURE_NAME))) return undefined;
  return { modelPath: snapshot.snapshot, isFile: false, signaturePath };
}

export interface OnOpenVerification extends vscode.Disposable {
  /** Settles when every model found is verified, or the pass was stopped (tests wait on it). */
  readonly done: Promise<void>;
}

/**
 * Verifies the signed models found on open, in sequence, under a status-bar progress that says what it
 * waits for. Off with the setting SETTINGS.verifyOnOpen; disposing it (the editor closing) stops the pass.
 */
export function verifyModelsOnOpen(verify: (target: ModelTarget, signal: AbortSignal) => Promise<void>, log: vscode.LogOutputChannel): OnOpenVerification {
  const stop = new vscode.CancellationTokenSource();
  const aborted = new AbortController();
  stop.token.onCancellationRequested(() => aborted.abort());
  const enabled = trustedSetting<boolean>(SETTINGS.verifyOnOpen) ?? true;
  const pass = async (progress: vscode.Progress<{ message?: string }>) => {
    const models = await findSignedModels(stop.token);
    for (const [i, target] of models.entries()) {
      if (stop.token.isCancellationRequested) return;
      progress.report({ message: `${i + 1} of ${models.length}` });
      try {
        await verify(target, aborted.signal);
      } catch (e) {
        // One model that cannot be read does not stop the others; its state says what went wrong.
        log.warn(`Background verification of ${target.modelPath}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (models.length > 0) log.info(`Verified ${models.length} signed model${models.length === 1 ? '' : 's'} found when the workspace opened`);
  };
  const done = enabled
    ? Promise.resolve(vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Verifying signed models' }, pass)).catch((e: unknown) =>
        log.warn(`Background verification stopped: ${e instanceof Error ? e.message : String(e)}`),
      )
    : Promise.resolve();
  return {
    done,
    dispose: () => {
      stop.cancel();
      stop.dispose();
    },
  };
}
