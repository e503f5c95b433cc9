import * as vscode from 'vscode';
import { VIEWS } from './constants';
import { ModelState, ModelStates, describeSigner, problemCount } from './modelState';

/** The status-bar badge: the verification state of the current model, at a glance. */
export class VerificationBadge implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('modelSigning.verification', vscode.StatusBarAlignment.Left, 100);
  private readonly subscription: vscode.Disposable;

  constructor(states: ModelStates) {
    this.item.name = 'Model Signing: verification';
    this.item.command = `${VIEWS.manifest}.focus`;
    this.subscription = states.onDidChange(() => this.render(states.current));
    this.render(states.current);
  }

  /** The text shown, for tests and logs. */
  get text(): string {
    return this.item.text;
  }

  private render(state: ModelState | undefined): void {
    if (!state) {
      this.item.hide();
      return;
    }
    const name = state.target.modelPath.split(/[\\/]/).pop();
    switch (state.kind) {
      case 'unsigned':
        this.item.text = '$(circle-slash) Unsigned';
        this.item.tooltip = `${name} has no signature`;
        break;
      case 'verifying':
        this.item.text = `$(sync~spin) Verifying ${Math.floor(state.percent)}%`;
        this.item.tooltip = `Verifying ${name}`;
        break;
      case 'verified':
        this.item.text = `$(verified) Verified · ${describeSigner(state.result.signer)}`;
        this.item.tooltip = `${name}: every file matches its signature`;
        break;
      case 'tampered': {
        const n = problemCount(state.result);
        this.item.text = `$(warning) Tampered · ${n} file${n === 1 ? '' : 's'}`;
        this.item.tooltip = `${name} differs from its signature`;
        break;
      }
      case 'failed':
        this.item.text = '$(error) Not verified';
        this.item.tooltip = state.message;
        break;
      case 'policyError':
        this.item.text = '$(error) Policy error';
        this.item.tooltip = `${name}: the verification policy is broken, so it is not verified: ${state.message}`;
        break;
    }
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
