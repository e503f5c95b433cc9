// The extension's only way to notifications and the log. Messages are SafeText (the `safeText`
// tag escapes every interpolated value), so a file name, an identity or a provenance field
// cannot reorder a notification with bidi overrides or hide text behind control characters.
import * as vscode from 'vscode';
import { SafeText, displayText } from '../core/display';

export interface NotifyOptions {
  modal?: boolean;
  detail?: SafeText;
}

type Show = (message: string, options: vscode.MessageOptions, ...items: string[]) => Thenable<string | undefined>;

function show(showMessage: Show, message: SafeText, options: NotifyOptions, items: string[]): Thenable<string | undefined> {
  const detail = options.detail === undefined ? {} : { detail: String(options.detail) };
  return showMessage(String(message), { modal: options.modal, ...detail }, ...items);
}

/** Notifications; the items (button labels) are ours. */
export const notify = {
  info: (message: SafeText, options: NotifyOptions = {}, ...items: string[]) =>
    show((m, o, ...i) => vscode.window.showInformationMessage(m, o, ...i), message, options, items),
  warn: (message: SafeText, options: NotifyOptions = {}, ...items: string[]) =>
    show((m, o, ...i) => vscode.window.showWarningMessage(m, o, ...i), message, options, items),
  error: (message: SafeText, options: NotifyOptions = {}, ...items: string[]) =>
    show((m, o, ...i) => vscode.window.showErrorMessage(m, o, ...i), message, options, items),
};

const LEVELS = new Set<PropertyKey>(['trace', 'debug', 'info', 'warn', 'error', 'appendLine']);

/**
 * The output channel, with every log line escaped as a whole: a log line is one line, so any
 * control or bidi character in it came from what it quotes.
 */
export function escapingLog(channel: vscode.LogOutputChannel): vscode.LogOutputChannel {
  return new Proxy(channel, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!LEVELS.has(key)) return method.bind(target);
      return (message: unknown, ...args: unknown[]) =>
        method.call(target, message instanceof Error ? displayText(message.message) : displayText(String(message)), ...args);
    },
  });
}
