// The Explorer's marks on model folders and files: what the last verification of each model found,
// kept in step with the model states (which the live badge re-verifies as files change).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FileState, ManifestNode, toManifestTree } from './manifestNodes';
import { ModelState, ModelStates } from './modelState';

/** Fixed text only: a file name or a signer never reaches a tooltip, so nothing from the model needs escaping here. */
const mark = (badge: string, color: string, tooltip: string) => new vscode.FileDecoration(badge, tooltip, new vscode.ThemeColor(color));

/** A model as a whole. Only a model whose signer a policy accepts gets the check mark. */
const MODEL_MARKS: Partial<Record<ModelState['kind'], vscode.FileDecoration>> = {
  verified: mark('✓', 'testing.iconPassed', 'Model verified: every file matches its signature, and a policy you set accepts the signer'),
  signed: mark('S', 'list.warningForeground', 'Signed, signer not pinned: every file matches, but no policy you set names the signer'),
  tampered: mark('!', 'list.errorForeground', 'Tampered: files differ from the signature'),
  failed: mark('✗', 'list.errorForeground', 'Not verified: see the Signed Model view'),
  unchecked: mark('?', 'list.deemphasizedForeground', 'Signed, not checked yet: Verify Model asks for the key to check it with'),
  policyError: mark('✗', 'list.errorForeground', 'Not verified: the verification policy is broken'),
};

/** A file of a checked model. A missing file is not on disk to be marked: the view lists it. */
const FILE_MARKS: Partial<Record<FileState, vscode.FileDecoration>> = {
  modified: mark('M', 'list.errorForeground', 'Modified since the model was signed'),
  extra: mark('U', 'list.warningForeground', 'Unsigned: not covered by the model signature'),
};
const VERIFIED_FILE = mark('✓', 'testing.iconPassed', 'Verified: matches the signature of a model whose signer a policy accepts');

export class ModelDecorations implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri[]>();
  readonly onDidChangeFileDecorations = this.changed.event;
  /** Decorations by path on disk, and which paths each model decorated (to clear them when it changes). */
  private readonly marks = new Map<string, vscode.FileDecoration>();
  private readonly byModel = new Map<string, string[]>();
  private readonly subscription: vscode.Disposable;

  constructor(states: ModelStates) {
    this.subscription = states.onDidChange((state) => state && this.update(state));
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    return uri.scheme === 'file' ? this.marks.get(uri.fsPath) : undefined;
  }

  private update(state: ModelState): void {
    // The marks of the last result stay while the model is checked again: no flicker at each change on disk.
    if (state.kind === 'verifying') return;
    const model = state.target.modelPath;
    const before = this.byModel.get(model) ?? [];
    before.forEach((p) => this.marks.delete(p));
    const now = marksOf(state);
    now.forEach((d, p) => this.marks.set(p, d));
    this.byModel.set(model, [...now.keys()]);
    this.changed.fire([...new Set([...before, ...now.keys()])].map((p) => vscode.Uri.file(p)));
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function marksOf(state: ModelState): Map<string, vscode.FileDecoration> {
  const out = new Map<string, vscode.FileDecoration>();
  if (state.kind === 'verified' || state.kind === 'signed' || state.kind === 'tampered') {
    const files = (n: ManifestNode): ManifestNode[] => (n.kind === 'file' ? [n] : n.children.flatMap(files));
    for (const file of files(toManifestTree(state.result))) {
      const d = file.state === 'verified' ? (state.kind === 'verified' ? VERIFIED_FILE : undefined) : FILE_MARKS[file.state];
      if (d) out.set(state.target.isFile ? state.target.modelPath : path.join(state.target.modelPath, file.path), d);
    }
  }
  // The model's own mark wins over its one file's for a single-file model.
  const own = MODEL_MARKS[state.kind];
  if (own) out.set(state.target.modelPath, own);
  return out;
}
