import * as vscode from 'vscode';
import type { MethodId, PinMaterial, VerificationResult } from '../core';
import type { PolicyNote } from './modelPolicy';
import type { ModelTarget } from './modelTarget';

/** A model whose signature was checked: what it found, under which policy, and when. */
interface Checked {
  target: ModelTarget;
  result: VerificationResult;
  /** The signer in one line, as its method words it (core's describeSigner, kept off the activation path). */
  signer: string;
  policy?: PolicyNote;
  checkedAt: Date;
  /** What Pin Signer can keep besides the signer (the public key the user gave). */
  pin?: PinMaterial;
}

/** What the extension knows about one model: the badge and the tree render this. */
export type ModelState =
  | { kind: 'unsigned'; target: ModelTarget }
  | { kind: 'verifying'; target: ModelTarget; percent: number }
  /** The signature, every file and the signer check out, and a policy the user set or pinned accepts the signer. */
  | ({ kind: 'verified' } & Checked)
  /** The signature and every file check out, but no policy names the signer: who signed is shown, not vouched for. */
  | ({ kind: 'signed' } & Checked)
  | ({ kind: 'tampered' } & Checked)
  | { kind: 'failed'; target: ModelTarget; message: string; policy?: PolicyNote }
  /** Signed with a key or certificate the live check has not been given: not checked yet, which is no failure. Verify Model asks for it. */
  | { kind: 'unchecked'; target: ModelTarget; method: MethodId; needs: string[]; policy?: PolicyNote }
  /** The policy that may govern the model is broken: not verified, not "not pinned" either. */
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

/** A good signature Pin Signer can pin: no policy governs the model and the workspace is trusted (an untrusted one's pin would be its own input). */
export function canPin(state: ModelState | undefined): state is Extract<ModelState, { kind: 'signed' }> {
  return state?.kind === 'signed' && state.policy?.kind === 'none';
}

/** How many files differ from the signature. */
export function problemCount(result: VerificationResult): number {
  return result.diff.changed.length + result.diff.missing.length + result.diff.extra.length;
}
