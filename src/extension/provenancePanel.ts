// The provenance viewer: one webview panel per provenance file. It checks the file with the
// core (signature, policy, subjects against the model on disk), posts the result as JSON to a
// locked-down page, and checks again when the provenance or the model's files change.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { safeText } from '../core/display';
import { isModelSigningError } from '../core/errors';
import { ProvenancePolicy, verifyProvenance } from '../core/provenance';
import { notify } from './notify';
import { newNonce, panelHtml } from './provenanceHtml';
import { FromWebview, ToWebview, parseWebviewMessage } from './provenanceMessages';
import { ProvenanceView, errorView, safeUrl, toProvenanceView } from './provenanceView';
import { SETTINGS } from './constants';
import { userSetting } from './trustedSettings';

export const PROVENANCE_VIEW_TYPE = 'modelSigning.provenance';
/** How long the panel waits after the last change on disk before checking again. */
const DEBOUNCE_MS = 300;

export interface ProvenancePanelOptions {
  /** The provenance file. */
  file: string;
  /** The model its subjects are matched against; none: signature and policy only. */
  modelPath?: string;
  /** A PEM public key for key-signed provenance. */
  publicKeyPath?: string;
  /** A Sigstore ClientTrustConfig; default: the setting, else the production root. */
  trustConfigPath?: string;
  /** Expected source and builder, with slsa-verifier's meaning. */
  policy?: ProvenancePolicy;
  /** Called when the user gives another expected source and builder, to remember it. */
  onPolicyChange?: (policy: ProvenancePolicy) => void;
}

/** What an openLink message came to. */
export type LinkOutcome = 'opened' | 'declined' | 'refused';

export class ProvenancePanel implements vscode.Disposable {
  private static readonly open = new Map<string, ProvenancePanel>();

  /** Opens the panel of a provenance file, or brings back the one already open (with the new model, if any). */
  static show(extensionUri: vscode.Uri, log: vscode.LogOutputChannel, options: ProvenancePanelOptions): ProvenancePanel {
    const existing = ProvenancePanel.open.get(options.file);
    if (existing) {
      existing.panel.reveal();
      existing.update(options);
      return existing;
    }
    const panel = new ProvenancePanel(extensionUri, log, options);
    ProvenancePanel.open.set(options.file, panel);
    return panel;
  }

  readonly panel: vscode.WebviewPanel;
  /** The last view made, posted or waiting for the page to be ready. */
  view: ProvenanceView | undefined;
  /** The last view the page was sent (after it said it was ready). */
  delivered: ProvenanceView | undefined;
  private options: ProvenancePanelOptions;
  private ready = false;
  private running: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watchers: vscode.Disposable[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly deliveredEmitter = new vscode.EventEmitter<ProvenanceView>();
  /** Fires when the page has been sent a view. */
  readonly onDidDeliver = this.deliveredEmitter.event;

  private constructor(
    extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    options: ProvenancePanelOptions,
  ) {
    this.options = options;
    const media = vscode.Uri.joinPath(extensionUri, 'media', 'provenance');
    // The page's script, bundled by esbuild.mjs from src/webview/provenance.
    const scripts = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    this.panel = vscode.window.createWebviewPanel(PROVENANCE_VIEW_TYPE, `Provenance: ${path.basename(options.file)}`, vscode.ViewColumn.Active, {
      enableScripts: true, // the nonce'd provenance.js only (see the CSP)
      enableForms: false,
      enableCommandUris: false,
      localResourceRoots: [media, scripts],
    });
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'model-signing.svg');
    const webview = this.panel.webview;
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(scripts, 'provenance.js')).toString(),
      nonce: newNonce(),
      title: this.panel.title,
    });
    this.disposables.push(
      this.deliveredEmitter,
      webview.onDidReceiveMessage((m: unknown) => void this.handleMessage(m)),
      this.panel.onDidDispose(() => this.dispose()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(`${SETTINGS.section}.${SETTINGS.trustConfig}`) && this.schedule(0)),
    );
    this.watch();
    this.schedule(0);
  }

  /** The page's HTML shell (CSP, nonce), as set on the webview. */
  get html(): string {
    return this.panel.webview.html;
  }

  get modelPath(): string | undefined {
    return this.options.modelPath;
  }

  /** Checks again with changed options (a model folder or key chosen, or opened again from elsewhere). */
  update(options: Partial<ProvenancePanelOptions>): void {
    const modelChanged = options.modelPath !== undefined && options.modelPath !== this.options.modelPath;
    this.options = { ...this.options, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    if (modelChanged) this.watch();
    this.schedule(0);
  }

  /** Runs a check now and resolves with its view (tests, and the Refresh button). */
  async check(): Promise<ProvenanceView> {
    clearTimeout(this.timer);
    this.running?.abort();
    const controller = new AbortController();
    this.running = controller;
    this.post({ type: 'busy', message: 'Checking the provenance against the files on disk…' });
    const { file, modelPath, publicKeyPath, policy } = this.options;
    const trustConfigPath = this.options.trustConfigPath || userSetting<string>(SETTINGS.trustConfig) || undefined;
    const trust = [
      trustConfigPath ? `Sigstore trust config ${trustConfigPath}` : 'Sigstore public-good trusted root (offline)',
      publicKeyPath ? `public key ${publicKeyPath}` : undefined,
    ]
      .filter(Boolean)
      .join('; ');
    const ctx = { file, modelPath, trust };
    let view: ProvenanceView;
    try {
      const reports = await verifyProvenance(file, { modelPath, trustConfigPath, publicKeyPath, policy, signal: controller.signal });
      view = toProvenanceView(reports, ctx);
    } catch (e) {
      if (controller.signal.aborted) throw e;
      const message = isModelSigningError(e) || e instanceof Error ? e.message : String(e);
      this.log.warn(`Provenance ${file}: ${message}`);
      view = errorView(message, ctx);
    }
    // A newer check started meanwhile: its view is the one to show.
    if (controller.signal.aborted) throw new Error('superseded');
    this.running = undefined;
    this.view = view;
    this.post({ type: 'view', view });
    return view;
  }

  /** Handles one message from the page; exposed so tests can send what a hostile page could. */
  async handleMessage(raw: unknown): Promise<LinkOutcome | undefined> {
    const message: FromWebview | undefined = parseWebviewMessage(raw);
    switch (message?.type) {
      case 'ready':
        this.ready = true;
        if (this.view) this.post({ type: 'view', view: this.view });
        return undefined;
      case 'openLink':
        return this.openLink(message.url);
      case 'refresh':
        this.schedule(0);
        return undefined;
      case 'chooseModel': {
        const picked = await vscode.window.showOpenDialog({
          canSelectFolders: true,
          canSelectFiles: true,
          canSelectMany: false,
          openLabel: 'Match Subjects',
          title: 'The model folder (or file) the provenance describes',
          defaultUri: vscode.Uri.file(this.options.modelPath ?? path.dirname(this.options.file)),
        });
        if (picked?.[0]) this.update({ modelPath: picked[0].fsPath });
        return undefined;
      }
      case 'choosePublicKey': {
        const picked = await vscode.window.showOpenDialog({
          canSelectFiles: true,
          canSelectMany: false,
          openLabel: 'Verify With This Key',
          title: 'The public key (PEM) the provenance was signed with',
          filters: { 'Public keys': ['pem', 'pub', 'key'], 'All files': ['*'] },
        });
        if (picked?.[0]) this.update({ publicKeyPath: picked[0].fsPath });
        return undefined;
      }
      case 'setPolicy': {
        const policy = await askPolicy(this.options.policy);
        if (policy) {
          this.options.onPolicyChange?.(policy);
          this.update({ policy });
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  /** http(s) only, and only after the user has seen the whole URL and said yes. */
  private async openLink(url: string): Promise<LinkOutcome> {
    const safe = safeUrl(url);
    if (!safe) {
      this.log.warn(`Provenance panel: refused to open a non-http(s) link: ${JSON.stringify(url).slice(0, 200)}`);
      return 'refused';
    }
    const answer = await notify.warn(safeText`Open this link from the provenance in your browser?`, { modal: true, detail: safeText`${safe}` }, 'Open Link');
    if (answer !== 'Open Link') return 'declined';
    await vscode.env.openExternal(vscode.Uri.parse(safe, true));
    return 'opened';
  }

  private post(message: ToWebview): void {
    if (!this.ready) return;
    void this.panel.webview.postMessage(message).then(
      (sent) => {
        if (sent && message.type === 'view') {
          this.delivered = message.view;
          this.deliveredEmitter.fire(message.view);
        }
      },
      () => undefined,
    );
  }

  /** Checks again after a quiet period: saves and copies arrive as bursts of events. */
  private schedule(delayMs = DEBOUNCE_MS): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.check().catch(() => undefined); // aborted by a newer check
    }, delayMs);
  }

  /** Watches the provenance file and the model's files. */
  private watch(): void {
    for (const w of this.watchers) w.dispose();
    const onChange = () => this.schedule();
    const watcher = (base: string, pattern: string) => {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(base), pattern));
      return vscode.Disposable.from(w, w.onDidChange(onChange), w.onDidCreate(onChange), w.onDidDelete(onChange));
    };
    const { file, modelPath } = this.options;
    this.watchers = [watcher(path.dirname(file), path.basename(file))];
    if (modelPath) {
      const isFile = fs.statSync(modelPath, { throwIfNoEntry: false })?.isFile() ?? false;
      this.watchers.push(isFile ? watcher(path.dirname(modelPath), path.basename(modelPath)) : watcher(modelPath, '**/*'));
    }
  }

  dispose(): void {
    if (ProvenancePanel.open.get(this.options.file) !== this) return;
    ProvenancePanel.open.delete(this.options.file);
    clearTimeout(this.timer);
    this.running?.abort();
    for (const w of this.watchers) w.dispose();
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }

  /** Closes every open panel (extension shutdown). */
  static disposeAll(): void {
    [...ProvenancePanel.open.values()].forEach((p) => p.dispose());
  }
}

/** The expected source repository and builder, as slsa-verifier's --source-uri and --builder-id; empty means "any". */
async function askPolicy(current: ProvenancePolicy = {}): Promise<ProvenancePolicy | undefined> {
  const sourceUri = await vscode.window.showInputBox({
    title: 'Expected source repository (1/2)',
    prompt: 'e.g. github.com/org/repo; empty: not checked',
    value: current.sourceUri ?? '',
    ignoreFocusOut: true,
  });
  if (sourceUri === undefined) return undefined;
  const builderId = await vscode.window.showInputBox({
    title: 'Expected builder (2/2)',
    prompt: 'the builder id or signing workflow, e.g. https://github.com/org/repo/.github/workflows/train.yml; empty: a default-trusted builder',
    value: current.builderId ?? '',
    ignoreFocusOut: true,
  });
  if (builderId === undefined) return undefined;
  return { ...current, sourceUri: sourceUri.trim() || undefined, builderId: builderId.trim() || undefined };
}
