import * as vscode from 'vscode';
import { SafeText, joinText, safeText } from '../core/display';
import { COMMANDS, VIEWS } from './constants';
import { modelName } from './modelTarget';
import type { PolicyNote } from './modelPolicy';
import { ModelState, ModelStates, canPin, problemCount } from './modelState';
import { checkedText, notPinnedText, signerLines, uncheckedText } from './trustWording';

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

  /** The command a click runs, for tests; one with arguments says so (the badge's never should: see render). */
  get command(): string | undefined {
    const c = this.item.command;
    return typeof c === 'string' ? c : c && `${c.command} with arguments`;
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
    // Not pinned looks different from Verified at a glance, and its click offers the pin the notification did.
    this.item.backgroundColor = state.kind === 'signed' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    // No arguments: VS Code passes a command with arguments through a delegate that every update of the item
    // replaces, and a click that lands just after one fails with "Actual command not found". Pin Signer without
    // arguments pins the current model, which is the one the badge shows.
    this.item.command = canPin(state) ? COMMANDS.pinSigner : state.kind === 'unchecked' ? COMMANDS.verifyShownModel : `${VIEWS.manifest}.focus`;
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
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
  const name = modelName(state.target.modelPath);
  switch (state.kind) {
    case 'unsigned':
      return { text: safeText`$(circle-slash) Unsigned`, tooltip: safeText`${name} has no signature` };
    case 'verifying':
      return { text: safeText`$(sync~spin) Verifying ${Math.floor(state.percent)}%`, tooltip: safeText`Verifying ${name}` };
    case 'verified':
      return {
        text: safeText`$(verified-filled) Verified · ${statusBarText(state.signer)}`,
        tooltip: checkedTooltip(state, 'Every file matches its signature'),
      };
    case 'signed':
      return {
        text: safeText`$(unverified) ${statusBarText(notPinnedText(state.result.signer))}`,
        tooltip: checkedTooltip(
          state,
          'Every file matches its signature, but no policy you set names this signer: anyone could have signed it.',
          canPin(state) ? 'Click to pin this signer for this model.' : undefined,
        ),
      };
    case 'tampered': {
      const n = problemCount(state.result);
      return { text: safeText`$(warning) Tampered · ${n} file${n === 1 ? '' : 's'}`, tooltip: checkedTooltip(state, `${name} differs from its signature`) };
    }
    case 'failed':
      return {
        text: safeText`$(error) Not verified`,
        tooltip: joinText([safeText`${state.target.modelPath}`, safeText`${state.message}`, ...policyLines(state.policy)], '\n'),
      };
    case 'unchecked':
      return {
        text: safeText`$(key) ${uncheckedText(state.method)}`,
        tooltip: joinText(
          [
            safeText`${state.target.modelPath}`,
            safeText`Not checked yet: Verify Model asks for the ${state.needs.join(' and ')} to check it with.`,
            safeText`Click to verify it.`,
            ...policyLines(state.policy),
          ],
          '\n',
        ),
      };
    case 'policyError':
      return { text: safeText`$(error) Policy error`, tooltip: safeText`${name}: the verification policy is broken, so it is not verified: ${state.message}` };
  }
}

/** Which model, who signed it, what was found, which policy applied and where it lives, and when: one fact a line. */
function checkedTooltip(state: Extract<ModelState, { result: unknown }>, finding: string, hint?: string): SafeText {
  const lines = [state.target.modelPath, ...signerLines(state.result.signer), finding, ...(hint ? [hint] : [])].map((l) => safeText`${l}`);
  return joinText([...lines, ...policyLines(state.policy), safeText`${checkedText(state.checkedAt)}`], '\n');
}

function policyLines(policy: PolicyNote | undefined): SafeText[] {
  if (!policy) return [];
  return [policy.detail ? safeText`${policy.label} ${policy.detail}` : safeText`${policy.label}`];
}
