import * as vscode from 'vscode';

// The extension's UI arrives with the next milestone; the manifest already
// contributes its commands, so they say so instead of failing.
export function activate(context: vscode.ExtensionContext): void {
  for (const id of ['modelSigning.signModel', 'modelSigning.verifyModel']) {
    context.subscriptions.push(vscode.commands.registerCommand(id, () => {
      void vscode.window.showInformationMessage('Model Signing: use the model-signing CLI for now; the editor commands come in the next release.');
    }));
  }
}

export function deactivate(): void {}
