import type { VerificationResult } from '../core';
import { parseShardName } from '../core/manifest/manifest';

export type FileState = 'verified' | 'modified' | 'missing' | 'extra';

export interface ManifestNode {
  /** The path below the model root; '' for the root. */
  path: string;
  label: string;
  kind: 'folder' | 'file';
  state: FileState;
  /** Files: the signed digest (first shard's for sharded files), with its algorithm. */
  digest?: string;
  algorithm?: string;
  children: ManifestNode[];
}

const WORST: FileState[] = ['verified', 'extra', 'missing', 'modified'];
const worse = (a: FileState, b: FileState): FileState => (WORST.indexOf(a) >= WORST.indexOf(b) ? a : b);

/**
 * The signed model as a folder tree: every signed file (shards folded into
 * their file) and every unsigned extra, each with its state; folders take the
 * worst state below them. Pure, so it is tested without VS Code.
 */
export function toManifestTree(result: VerificationResult): ManifestNode {
  const shards = result.serialization.method === 'shards';
  const fileOf = (name: string) => (shards ? (parseShardName(name)?.path ?? name) : name);
  const root: ManifestNode = { path: '', label: result.modelName, kind: 'folder', state: 'verified', children: [] };
  const nodes = new Map<string, ManifestNode>([['', root]]);

  const nodeFor = (file: string): ManifestNode => {
    const existing = nodes.get(file);
    if (existing) return existing;
    const parts = file.split('/');
    let parent = root;
    for (let i = 0; i < parts.length; i++) {
      const p = parts.slice(0, i + 1).join('/');
      let n = nodes.get(p);
      if (!n) {
        n = { path: p, label: parts[i]!, kind: i === parts.length - 1 ? 'file' : 'folder', state: 'verified', children: [] };
        nodes.set(p, n);
        parent.children.push(n);
      }
      parent = n;
    }
    return parent;
  };

  for (const r of result.manifest.resources) {
    const n = nodeFor(fileOf(r.name));
    if (n.digest === undefined) {
      n.digest = r.digest;
      n.algorithm = r.algorithm;
    }
  }
  const mark = (name: string, state: FileState) => {
    const n = nodeFor(fileOf(name));
    n.state = worse(n.state, state);
  };
  result.diff.changed.forEach((c) => mark(c.name, 'modified'));
  result.diff.missing.forEach((m) => mark(m, 'missing'));
  result.diff.extra.forEach((e) => mark(e, 'extra'));

  const settle = (n: ManifestNode): FileState => {
    n.children.sort((a, b) => (a.kind === b.kind ? a.label.localeCompare(b.label) : a.kind === 'folder' ? -1 : 1));
    for (const c of n.children) n.state = worse(n.state, settle(c));
    return n.state;
  };
  settle(root);
  return root;
}
