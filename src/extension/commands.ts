// The heavy half of the extension, loaded on the first Sign or Verify: the core
// (hashing, Sigstore, X.509) is ~3 MB of code that activation should not pay for.
import * as vscode from 'vscode';
import { WorkerHashPool } from '../core';
import { ModelStates } from './modelState';
import { ModelTarget } from './modelTarget';
import { SignModelArgs, signModelCommand } from './signCommand';
import { VerifyDeps, VerifyModelArgs, verifyModelCommand, verifyTarget } from './verifyCommand';

export interface ModelCommands extends vscode.Disposable {
  sign(uri?: vscode.Uri, args?: SignModelArgs): Promise<boolean>;
  verify(uri?: vscode.Uri, args?: VerifyModelArgs): Promise<unknown>;
  /** Verify again without dialogs, with the verifier that worked before (the live badge). */
  reverify(target: ModelTarget): Promise<void>;
  /** Models verified in this session, which the live badge watches. */
  watched(): Iterable<string>;
}

export function createCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, states: ModelStates, diagnostics: vscode.DiagnosticCollection): ModelCommands {
  // Low-priority workers: the extension host's event loop must stay responsive while a model is hashed.
  const pool = new WorkerHashPool({ workerScript: vscode.Uri.joinPath(context.extensionUri, 'dist', 'hashWorker.js').fsPath, niceness: 10 });
  const deps: VerifyDeps = { pool, states, diagnostics, log, remembered: new Map() };
  const reverify = async (target: ModelTarget) => void (await verifyTarget(deps, target, { quiet: true }));
  return {
    sign: (uri, args) => signModelCommand({ pool, context, log, afterSign: reverify }, uri, args),
    verify: (uri, args) => verifyModelCommand(deps, uri, args),
    reverify,
    watched: () => deps.remembered.keys(),
    dispose: () => void pool.dispose(),
  };
}
