import * as path from 'node:path';
import * as vscode from 'vscode';
import { ModelStates } from './modelState';
import { ModelTarget } from './modelTarget';

/**
 * Keeps the badge live: each verified model gets a file watcher of its own (so
 * models outside the workspace folders are watched too), and a change on disk
 * verifies it again, quietly, 250 ms after the last change.
 */
export function watchVerifiedModels(states: ModelStates, watched: () => string[], reverify: (t: ModelTarget) => Promise<void>): vscode.Disposable {
  const watchers = new Map<string, vscode.Disposable>();
  const timers = new Map<string, NodeJS.Timeout>();
  const schedule = (target: ModelTarget) => {
    clearTimeout(timers.get(target.modelPath));
    timers.set(
      target.modelPath,
      setTimeout(() => {
        timers.delete(target.modelPath);
        void reverify(target);
      }, 250),
    );
  };
  const subscription = states.onDidChange((state) => {
    if (!state || !['verified', 'signed', 'tampered'].includes(state.kind) || watchers.has(state.target.modelPath)) return;
    if (!watched().includes(state.target.modelPath)) return;
    const target = state.target;
    const base = vscode.Uri.file(target.isFile ? path.dirname(target.modelPath) : target.modelPath);
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(base, '**/*'));
    const onChange = () => schedule(target);
    watchers.set(
      target.modelPath,
      vscode.Disposable.from(watcher, watcher.onDidChange(onChange), watcher.onDidCreate(onChange), watcher.onDidDelete(onChange)),
    );
  });
  return vscode.Disposable.from(subscription, {
    dispose: () => {
      timers.forEach(clearTimeout);
      for (const w of watchers.values()) w.dispose();
    },
  });
}
