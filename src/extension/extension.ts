import type * as vscode from 'vscode';

// The editor integration (Sign/Verify Model commands, manifest tree, status-bar
// badge) is tracked as its own milestone; until then the extension contributes
// nothing and this entry point only keeps the build layout in place.
export function activate(_context: vscode.ExtensionContext): void {}

export function deactivate(): void {}
