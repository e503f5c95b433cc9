import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ModelFormat, detectModelFormat } from '../core/formats/detectModelFormat';
import { COMMANDS } from './constants';
import { ManifestNode, toManifestTree } from './manifestNodes';
import { provenanceFilesOf } from './provenanceFiles';
import type { PolicyNote } from './modelPolicy';
import { ModelState, ModelStates, canPin } from './modelState';
import { checkedText, notPinnedText, signerLines, signerText, signingTimeText, uncheckedText } from './trustWording';
import type { SigningTime } from '../core/verifying/signingTime';
import { formatBytes } from '../core/units';
import { SafeText, displayText, joinText, safeText } from '../core/display';
import { modelName } from './modelTarget';

/** Info rows hold SafeText: signer, ignored paths and messages come from the signature and are escaped. */
type Item =
  | { type: 'info'; label: SafeText; description?: SafeText; tooltip?: SafeText; icon: string; command?: vscode.Command }
  | { type: 'node'; node: ManifestNode; modelPath: string; file: string };

/** A tree node with the file it stands for on disk (a single-file model's one node is the model itself). */
function nodeItem(node: ManifestNode, target: ModelState['target']): Item {
  return { type: 'node', node, modelPath: target.modelPath, file: target.isFile ? target.modelPath : path.join(target.modelPath, node.path) };
}

const ICONS: Record<ManifestNode['state'], vscode.ThemeIcon> = {
  verified: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  modified: new vscode.ThemeIcon('diff-modified', new vscode.ThemeColor('list.errorForeground')),
  missing: new vscode.ThemeIcon('diff-removed', new vscode.ThemeColor('list.warningForeground')),
  extra: new vscode.ThemeIcon('question', new vscode.ThemeColor('list.warningForeground')),
};

/** The signed manifest of the current model: signer, serialization, then its files with their states. */
export class ManifestTreeProvider implements vscode.TreeDataProvider<Item>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Item | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;
  private tree: ManifestNode | undefined;
  /** Detected formats by absolute path, cleared with the tree. */
  private readonly formats = new Map<string, ModelFormat>();

  constructor(private readonly states: ModelStates) {
    this.subscription = states.onDidChange(() => {
      this.tree = undefined;
      this.formats.clear();
      this.changed.fire(undefined);
    });
  }

  getTreeItem(item: Item): vscode.TreeItem {
    if (item.type === 'info') {
      const t = new vscode.TreeItem(String(item.label));
      t.description = item.description && String(item.description);
      t.tooltip = item.tooltip && String(item.tooltip);
      t.iconPath = new vscode.ThemeIcon(item.icon);
      t.command = item.command;
      return t;
    }
    const n = item.node;
    // File names come from the model and the signature: escaped (bidi overrides, control characters).
    const t = new vscode.TreeItem(displayText(n.label), n.kind === 'folder' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    t.id = `${item.modelPath}::${n.path}`;
    t.iconPath = n.kind === 'folder' && n.state === 'verified' ? vscode.ThemeIcon.Folder : ICONS[n.state];
    if (n.kind === 'file') {
      const onDisk = item.file;
      const stat = fs.statSync(onDisk, { throwIfNoEntry: false });
      const size = stat ? formatBytes(stat.size) : '';
      const format = this.formats.get(onDisk);
      const known = format && format.kind !== 'unknown' ? format : undefined;
      t.description = displayText(
        [n.state === 'verified' ? '' : n.state, known?.label, size, n.digest ? n.digest.slice(0, 12) : ''].filter(Boolean).join(' · '),
      );
      const facts = known
        ? joinText(
            Object.entries(known.facts).map(([k, v]) => safeText`${k}: ${v}`),
            '\n',
          )
        : '';
      t.tooltip = String(
        safeText`${n.path}\n${n.state}${n.digest ? safeText`\n${n.algorithm}:${n.digest}` : ''}${known ? safeText`\n\n${known.label}\n${facts}` : ''}`,
      );
      t.contextValue = n.digest ? 'manifestFile' : 'unsignedFile';
      t.resourceUri = vscode.Uri.file(onDisk);
      if (stat) t.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(onDisk)] };
    }
    return t;
  }

  async getChildren(item?: Item): Promise<Item[]> {
    const state = this.states.current;
    if (!state) return [];
    let items: Item[];
    if (item?.type === 'node') items = item.node.children.map((node) => nodeItem(node, state.target));
    else if (item) return [];
    else items = topLevel(state, this.treeOf(state));
    await this.detectFormats(items);
    return items;
  }

  /** Every item of the view, depth first, as VS Code is given them (tests). */
  async allItems(parent?: Item): Promise<vscode.TreeItem[]> {
    const out: vscode.TreeItem[] = [];
    for (const item of await this.getChildren(parent)) out.push(this.getTreeItem(item), ...(await this.allItems(item)));
    return out;
  }

  /** Reads each file's header (a few KB) to name its model format: content, not file name. */
  private async detectFormats(items: Item[]): Promise<void> {
    await Promise.all(
      items.map(async (i) => {
        if (i.type !== 'node' || i.node.kind !== 'file' || this.formats.has(i.file) || !fs.existsSync(i.file)) return;
        try {
          this.formats.set(i.file, await detectModelFormat(i.file));
        } catch {
          // Unreadable now: the state column already says what is wrong.
        }
      }),
    );
  }

  private treeOf(state: ModelState): ManifestNode | undefined {
    if (state.kind !== 'verified' && state.kind !== 'signed' && state.kind !== 'tampered') return undefined;
    return (this.tree ??= toManifestTree(state.result));
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function topLevel(state: ModelState, tree: ManifestNode | undefined): Item[] {
  const name = modelName(state.target.modelPath);
  if (state.kind === 'unsigned') return [{ type: 'info', label: safeText`${name} is not signed`, icon: 'circle-slash' }];
  if (state.kind === 'verifying')
    return [{ type: 'info', label: safeText`Verifying ${name}…`, description: safeText`${Math.floor(state.percent)}%`, icon: 'sync~spin' }];
  if (state.kind === 'failed')
    return [
      { type: 'info', label: safeText`Not verified`, description: safeText`${state.message}`, tooltip: safeText`${state.message}`, icon: 'error' },
      ...policyItem(state.policy),
    ];
  if (state.kind === 'unchecked')
    return [
      {
        type: 'info',
        label: safeText`${uncheckedText(state.method)}`,
        description: safeText`Verify Model asks for the ${state.needs.join(' and ')}`,
        tooltip: safeText`Not checked yet: click to verify ${name} with the ${state.needs.join(' and ')} you give.`,
        icon: 'key',
        command: { command: COMMANDS.verifyShownModel, title: 'Verify Model' },
      },
      ...policyItem(state.policy),
    ];
  if (state.kind === 'policyError')
    return [
      {
        type: 'info',
        label: safeText`Policy error: not verified`,
        description: safeText`${state.message}`,
        tooltip: safeText`${state.message}`,
        icon: 'error',
      },
    ];
  const r = state.result;
  const s = r.serialization;
  const items: Item[] = [
    // Which model this is about, who signed it and how far that is trusted, under which policy, and when.
    { type: 'info', label: safeText`${name}`, description: safeText`${state.target.modelPath}`, tooltip: safeText`${state.target.modelPath}`, icon: 'package' },
    trustItem(state),
    ...(canPin(state)
      ? [
          {
            type: 'info' as const,
            label: safeText`Pin Signer…`,
            description: safeText`trust ${signerText(r.signer)} for ${name}`,
            tooltip: safeText`Adds the signer to .vscode/model-signing.json for exactly this model: a later signature by anyone else shows as a policy failure.`,
            icon: 'pin',
            // The view shows the current model, which Pin Signer pins when given no model: no arguments, so a
            // click on a row the view has just re-rendered still runs (verificationBadge.ts says why).
            command: { command: COMMANDS.pinSigner, title: 'Pin Signer' },
          },
        ]
      : []),
    ...policyItem(state.policy),
    { type: 'info', label: safeText`${checkedText(state.checkedAt)}`, icon: 'history' },
    ...signingTimeItem(r.signingTime),
    {
      type: 'info',
      label: safeText`${s.method} · ${s.hashType}${s.shardSize ? safeText` · shards of ${formatBytes(s.shardSize)}` : ''}`,
      description: safeText`root sha256:${r.rootDigest.slice(0, 12)}…`,
      tooltip: safeText`sha256:${r.rootDigest}`,
      icon: 'symbol-structure',
    },
  ];
  if (s.ignorePaths.length > 0) items.push({ type: 'info', label: safeText`Ignored`, description: safeText`${s.ignorePaths.join(', ')}`, icon: 'eye-closed' });
  // Provenance beside or inside the model opens the viewer, matched against this model.
  for (const file of provenanceFilesOf(state.target.modelPath)) {
    items.push({
      type: 'info',
      label: safeText`Provenance`,
      description: safeText`${path.basename(file)}`,
      tooltip: safeText`Open Provenance: ${file}`,
      icon: 'file-code',
      // No arguments, as Pin Signer: it opens the provenance of the model the view shows.
      command: { command: COMMANDS.openModelProvenance, title: 'Open Provenance' },
    });
  }
  if (tree) items.push(...tree.children.map((node) => nodeItem(node, state.target)));
  return items;
}

/** Who signed, as text (never raw JSON), and whether a policy vouches for them: Verified, not pinned, or tampered. */
function trustItem(state: Extract<ModelState, { result: unknown }>): Item {
  const signer = state.result.signer;
  const tooltip = joinText(
    signerLines(signer).map((l) => safeText`${l}`),
    '\n',
  );
  if (state.kind === 'verified')
    return { type: 'info', label: safeText`Verified`, description: safeText`${signerText(signer)}`, tooltip, icon: 'verified-filled' };
  if (state.kind === 'signed') return { type: 'info', label: safeText`${notPinnedText(signer)}`, tooltip, icon: 'unverified' };
  return { type: 'info', label: safeText`Tampered`, description: safeText`${signerText(signer)}`, tooltip, icon: 'warning' };
}

/** A key or certificate signature's signing time, and its source (keyless ones are always timestamped). */
function signingTimeItem(time: SigningTime | undefined): Item[] {
  if (!time) return [];
  const { label, detail } = signingTimeText(time);
  return [{ type: 'info', label: safeText`${label}`, description: safeText`${detail}`, tooltip: safeText`${label}\n${detail}`, icon: 'calendar' }];
}

/** Which policy decided, and where it came from (or why the workspace's was not applied). */
function policyItem(note: PolicyNote | undefined): Item[] {
  if (!note) return [];
  const icon = note.kind === 'untrusted' ? 'workspace-untrusted' : note.kind === 'none' ? 'unlock' : 'law';
  const tooltip = note.detail ? safeText`${note.label}\n${note.detail}` : safeText`${note.label}`;
  return [{ type: 'info', label: safeText`${note.label}`, description: note.detail ? safeText`${note.detail}` : undefined, tooltip, icon }];
}

/** Copies a file's signed digest (`algorithm:hex`). */
export function registerCopyDigest(): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.copyDigest, async (item: Item) => {
    if (item?.type === 'node' && item.node.digest) await vscode.env.clipboard.writeText(`${item.node.algorithm}:${item.node.digest}`);
  });
}

/** The view's header names the model it shows (escaped: the name is the model folder's), beside its title. */
export function nameViewAfterModel(view: vscode.TreeView<unknown>, states: ModelStates): vscode.Disposable {
  const render = () => {
    const modelPath = states.current?.target.modelPath;
    view.description = modelPath ? displayText(modelName(modelPath)) : undefined;
  };
  render();
  return states.onDidChange(render);
}
