import * as path from 'node:path';
import * as vscode from 'vscode';
import { ModelStates } from './modelState';
import { ModelTarget } from './modelTarget';

/**
 * Keeps the badge live: when a file of a verified model changes on disk, that
 * model is verified again (quietly, with the verifier that worked before),
 * 250 ms after the last change.
 */
export function watchVerifiedModels(states: ModelStates, watched: () => string[], reverify: (t: ModelTarget) => Promise<void>): vscode.Disposable {
  const watcher = vscode.workspace.createFileSystemWatcher('**/*');
  const timers = new Map<string, NodeJS.Timeout>();
  const onChange = (uri: vscode.Uri) => {
    for (const modelPath of watched()) {
      const state = states.get(modelPath);
      const inside = uri.fsPath === modelPath || uri.fsPath.startsWith(modelPath + path.sep) || uri.fsPath === state?.target.signaturePath;
      if (!state || !inside) continue;
      clearTimeout(timers.get(modelPath));
      timers.set(modelPath, setTimeout(() => {
        timers.delete(modelPath);
        void reverify(state.target);
      }, 250));
    }
  };
  return vscode.Disposable.from(watcher, watcher.onDidChange(onChange), watcher.onDidCreate(onChange), watcher.onDidDelete(onChange), {
    dispose: () => timers.forEach(clearTimeout),
  });
}
