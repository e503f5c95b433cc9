import * as vscode from 'vscode';
import { SafeText, joinText, safeText } from '../core/display';
import { VIEWS } from './constants';
import type { PolicyNote } from './modelPolicy';
import { ModelState, ModelStates, problemCount } from './modelState';

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

  get tooltip(): string {
    const tooltip = this.item.tooltip;
    return typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? '');
  }

  private render(state: ModelState | undefined): void {
    if (!state) {
      this.item.hide();
      return;
    }
    const { text, tooltip } = renderedBadge(state);
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}

function withPolicy(text: SafeText, policy: PolicyNote | undefined): SafeText {
  return policy ? joinText([text, safeText`${policy.label}`], '\n') : text;
}

/** Status-bar text shows `$(name)` as an icon: a signer named `$(verified)` must show as text. */
function statusBarText(text: string): string {
  return text.replace(/\$\(/g, '\\$(');
}

/** The badge's text and tooltip for a model's state, as the status bar is given them. */
export function renderedBadge(state: ModelState): { text: string; tooltip: string } {
  const { text, tooltip } = badgeOf(state);
  return { text: String(text), tooltip: String(tooltip) };
}

/** The badge's text and tooltip for a model's state; the signer, the model's name and messages are escaped (no `$(icon)` from them either). */
function badgeOf(state: ModelState): { text: SafeText; tooltip: SafeText } {
  const name = state.target.modelPath.split(/[\\/]/).pop();
  switch (state.kind) {
    case 'unsigned':
      return { text: safeText`$(circle-slash) Unsigned`, tooltip: safeText`${name} has no signature` };
    case 'verifying':
      return { text: safeText`$(sync~spin) Verifying ${Math.floor(state.percent)}%`, tooltip: safeText`Verifying ${name}` };
    case 'verified':
      return {
        text: safeText`$(verified) Verified · ${statusBarText(state.signer)}`,
        tooltip: withPolicy(safeText`${name}: every file matches its signature`, state.policy),
      };
    case 'tampered': {
      const n = problemCount(state.result);
      return {
        text: safeText`$(warning) Tampered · ${n} file${n === 1 ? '' : 's'}`,
        tooltip: withPolicy(safeText`${name} differs from its signature`, state.policy),
      };
    }
    case 'failed':
      return { text: safeText`$(error) Not verified`, tooltip: withPolicy(safeText`${state.message}`, state.policy) };
    case 'policyError':
      return { text: safeText`$(error) Policy error`, tooltip: safeText`${name}: the verification policy is broken, so it is not verified: ${state.message}` };
  }
}
