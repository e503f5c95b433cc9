import * as vscode from 'vscode';
import type { VerificationResult } from '../core';
import type { PolicyNote } from './modelPolicy';
import type { ModelTarget } from './modelTarget';

/** What the extension knows about one model: the badge and the tree render this. */
export type ModelState =
  | { kind: 'unsigned'; target: ModelTarget }
  | { kind: 'verifying'; target: ModelTarget; percent: number }
  // `signer` is the signer in one line, as its method words it (core's describeSigner, kept off the activation path).
  | { kind: 'verified'; target: ModelTarget; result: VerificationResult; signer: string; policy?: PolicyNote }
  | { kind: 'tampered'; target: ModelTarget; result: VerificationResult; signer: string; policy?: PolicyNote }
  | { kind: 'failed'; target: ModelTarget; message: string; policy?: PolicyNote }
  /** The policy that may govern the model is broken: not verified, not trust on first use. */
  | { kind: 'policyError'; target: ModelTarget; message: string };

/** The states of the models seen so far, and which one is current (the active editor's, or the last acted on). */
export class ModelStates implements vscode.Disposable {
  private readonly states = new Map<string, ModelState>();
  private currentPath: string | undefined;
  private readonly changed = new vscode.EventEmitter<ModelState | undefined>();
  readonly onDidChange = this.changed.event;

  /** Records a model's state; it becomes the current model unless `focus` is false. */
  set(state: ModelState, focus = true): void {
    this.states.set(state.target.modelPath, state);
    if (focus) this.currentPath = state.target.modelPath;
    this.changed.fire(state);
  }

  get(modelPath: string): ModelState | undefined {
    return this.states.get(modelPath);
  }

  /** Every model seen so far. */
  all(): ModelState[] {
    return [...this.states.values()];
  }

  get current(): ModelState | undefined {
    return this.currentPath ? this.states.get(this.currentPath) : undefined;
  }

  focus(modelPath: string | undefined): void {
    if (modelPath === this.currentPath) return;
    this.currentPath = modelPath;
    this.changed.fire(this.current);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** How many files differ from the signature. */
export function problemCount(result: VerificationResult): number {
  return result.diff.changed.length + result.diff.missing.length + result.diff.extra.length;
}
