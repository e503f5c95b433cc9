import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { safeText } from '../core/display';
import { requireLazily } from '../core/lazyModule';
import type { CachedHashPoolOptions, CachedHashPoolStats } from '../core';
import type { ModelCommands } from './commands';
import { COMMANDS, VIEWS } from './constants';
import { watchVerifiedModels } from './liveVerification';
import { ManifestTreeProvider, nameViewAfterModel, registerCopyDigest } from './manifestTree';
import { ModelDecorations } from './modelDecorations';
import { ModelStates } from './modelState';
import { openModelProvenance } from './modelProvenanceCommand';
import { OPEN_PROVENANCE_COMMAND } from './provenanceFiles';
import { modelOfFile } from './modelTarget';
import { escapingLog, notify } from './notify';
import type { SignModelArgs } from './signCommand';
import { VerificationBadge, renderedBadge } from './verificationBadge';
import type { VerifyModelArgs } from './verifyCommand';
import type { HubModelArgs } from './hubCommands';
import { verifyModelsOnOpen } from './verifyOnOpen';

/** What the extension hands to tests and to other extensions. */
export interface ModelSigningApi {
  readonly states: ModelStates;
  badgeText(): string;
  /** The badge's tooltip, and every item of the Signed Model view as VS Code is given it (tests). */
  badgeTooltip(): string;
  /** The command a click on the badge runs. */
  badgeCommand(): string | undefined;
  /** What the badge shows when this model is the current one (the current one may change under a test's feet). */
  badgeOf(modelPath: string): { text: string; tooltip: string } | undefined;
  manifestItems(): Promise<vscode.TreeItem[]>;
  /** How long activate() took, in milliseconds (`npm run bench` prints it; no test asserts a figure). */
  readonly activationMs: number;
  /**
   * The digest cache's options, read at each hash: the tests set `racyWindowMs: 0`, so what they just wrote
   * may be cached, instead of sleeping past the window.
   */
  readonly digestCacheOptions: CachedHashPoolOptions;
  /** What the live badge's re-verifications took from the digest cache and hashed, since activation. */
  liveHashStats(): Promise<CachedHashPoolStats>;
  /** The Explorer's mark on a path (badge letter and tooltip), if any. */
  fileDecoration(fsPath: string): { badge?: string; tooltip?: string } | undefined;
  /** Settles when the models found as the workspace opened are verified (modelSigning.verify.onOpen). */
  readonly verifiedOnOpen: Promise<void>;
}

// activate() only wires things up: no hashing, no network, and the core is
// loaded on the first command (dist/commands.js).
export function activate(context: vscode.ExtensionContext): ModelSigningApi {
  const started = performance.now();
  const log = escapingLog(vscode.window.createOutputChannel('Model Signing', { log: true }));
  const states = new ModelStates();
  const diagnostics = vscode.languages.createDiagnosticCollection('model-signing');
  const badge = new VerificationBadge(states);
  const tree = new ManifestTreeProvider(states);
  const decorations = new ModelDecorations(states);
  const view = vscode.window.createTreeView(VIEWS.manifest, { treeDataProvider: tree, showCollapseAll: true });
  let commands: ModelCommands | undefined;
  const digestCacheOptions: CachedHashPoolOptions = {};
  const load = (): ModelCommands => {
    if (!commands) {
      const mod = requireLazily<typeof import('./commands')>(__filename, 'commands.js', 'commands');
      commands = mod.createCommands(context, log, states, diagnostics, digestCacheOptions);
      context.subscriptions.push(commands);
    }
    return commands;
  };

  // Verifies the workspace's signed models in the background; the core loads once one is found.
  const onOpen = verifyModelsOnOpen((target, signal) => load().verifyInBackground(target, signal), log);
  context.subscriptions.push(
    onOpen,
    log,
    states,
    diagnostics,
    badge,
    tree,
    decorations,
    vscode.window.registerFileDecorationProvider(decorations),
    view,
    nameViewAfterModel(view, states),
    vscode.commands.registerCommand(COMMANDS.signModel, (uri?: vscode.Uri, args?: SignModelArgs) => guard(log, () => load().sign(uri, args))),
    vscode.commands.registerCommand(COMMANDS.verifyModel, (uri?: vscode.Uri, args?: VerifyModelArgs) => guard(log, () => load().verify(uri, args))),
    vscode.commands.registerCommand(COMMANDS.pinSigner, (modelPath?: string) => guard(log, () => load().pinSigner(modelPath))),
    vscode.commands.registerCommand(COMMANDS.verifyHubModel, (args?: HubModelArgs) => guard(log, () => load().verifyHub(args))),
    vscode.commands.registerCommand(COMMANDS.downloadHubModel, (args?: HubModelArgs) => guard(log, () => load().downloadHub(args))),
    vscode.commands.registerCommand(OPEN_PROVENANCE_COMMAND, (uri?: vscode.Uri, args?: unknown) => guard(log, () => load().openProvenance(uri, args))),
    // The badge and the view's rows verify the model they show: no arguments (verificationBadge.ts says why).
    vscode.commands.registerCommand(COMMANDS.verifyShownModel, () =>
      guard(log, () => load().verify(states.current && vscode.Uri.file(states.current.target.modelPath))),
    ),
    vscode.commands.registerCommand(COMMANDS.openModelProvenance, () =>
      guard(log, () => openModelProvenance(states, (file, modelPath) => load().openProvenance(file, { modelPath }))),
    ),
    registerCopyDigest(),
    watchVerifiedModels(
      states,
      () => (commands ? [...commands.watched()] : []),
      (target) => load().reverify(target),
    ),
    vscode.window.onDidChangeActiveTextEditor((editor) => followEditor(editor, states)),
    // Restricted Mode left out the workspace's policy: now that the user trusts the folder, it applies.
    vscode.workspace.onDidGrantWorkspaceTrust(() => guard(log, async () => commands?.reverifyAll())),
  );
  followEditor(vscode.window.activeTextEditor, states);
  const liveHashStats = () => load().liveHashStats();
  return {
    states,
    badgeText: () => badge.text,
    badgeTooltip: () => badge.tooltip,
    badgeCommand: () => badge.command,
    badgeOf: (modelPath) => {
      const s = states.get(modelPath);
      return s && renderedBadge(s);
    },
    manifestItems: () => tree.allItems(),
    activationMs: performance.now() - started,
    digestCacheOptions,
    liveHashStats,
    fileDecoration: (fsPath) => decorations.provideFileDecoration(vscode.Uri.file(fsPath)),
    verifiedOnOpen: onOpen.done,
  };
}

export function deactivate(): void {}

/** The badge follows the model of the file in the active editor. */
function followEditor(editor: vscode.TextEditor | undefined, states: ModelStates): void {
  if (editor?.document.uri.scheme !== 'file') return;
  const target = modelOfFile(editor.document.uri.fsPath);
  if (target && states.get(target.modelPath)) states.focus(target.modelPath);
}

/** The one place where a command's failure becomes a readable message; a cancel stays silent. */
async function guard<T>(log: vscode.LogOutputChannel, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (e) {
    if ((e as { code?: unknown }).code === 'CANCELLED') return undefined;
    const message = e instanceof Error ? e.message : String(e);
    log.error(message);
    void notify.error(safeText`Model Signing: ${message}`);
    return undefined;
  }
}
