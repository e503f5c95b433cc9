import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CacheSnapshot, cacheRepoAt, resolveRevision, snapshotSignaturePath } from '../core/huggingface/cacheLayout';
import { SIGNATURE_NAME } from './constants';

/** A model on disk and where its signature lives. */
export interface ModelTarget {
  /** Folder, or single model file. */
  modelPath: string;
  isFile: boolean;
  signaturePath: string;
}

/**
 * A folder or file as a model. A Hugging Face cache repository folder (models--ORG--NAME) stands for its snapshot
 * of refs/main. A snapshot's signature is its own model.sig when the repository carries one (a publisher's), else
 * the one beside snapshots/ (snapshotSignaturePath): a file written into the snapshot would change the cache.
 */
export function targetFor(modelPath: string): ModelTarget {
  const isFile = fs.statSync(modelPath).isFile();
  if (isFile) return { modelPath, isFile, signaturePath: `${modelPath}.sig` };
  const repo = cacheRepoAt(modelPath);
  const snapshot = repo ? resolveRevision(repo).snapshot : modelPath;
  const inRepo = path.join(snapshot, SIGNATURE_NAME);
  const beside = cachedSnapshot(snapshot);
  return { modelPath: snapshot, isFile, signaturePath: beside && !fs.existsSync(inRepo) ? snapshotSignaturePath(beside) : inRepo };
}

/** How a model is named to the user: its folder or file name; a cache snapshot by repository and commit (`acme/llm@4f2c1d0`), not a bare hash. */
export function modelName(modelPath: string): string {
  const snapshot = cachedSnapshot(modelPath);
  return snapshot ? `${snapshot.repoId}@${snapshot.commit.slice(0, 7)}` : path.basename(modelPath);
}

/** The snapshot this folder is, named by the path given (not its real path, which the Explorer does not show). */
function cachedSnapshot(folder: string): CacheSnapshot | undefined {
  const snapshots = path.dirname(folder);
  const repo = path.basename(snapshots) === 'snapshots' ? cacheRepoAt(path.dirname(snapshots)) : undefined;
  return repo && { ...repo, commit: path.basename(folder), snapshot: folder };
}

/** The model the explorer or palette means: the clicked resource, or a folder the user picks. */
export async function pickTarget(uri: vscode.Uri | undefined, verb: string): Promise<ModelTarget | undefined> {
  if (uri?.scheme === 'file') return targetFor(uri.fsPath);
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: true,
    canSelectMany: false,
    openLabel: verb,
    title: `${verb}: choose a model folder or file`,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0] ? targetFor(picked[0].fsPath) : undefined;
}

/** The signed model a file belongs to: the nearest folder (up to the workspace root) that holds a signature. */
export function modelOfFile(file: string): ModelTarget | undefined {
  if (fs.existsSync(`${file}.sig`)) return targetFor(file);
  const root = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))?.uri.fsPath;
  let dir = path.dirname(file);
  for (;;) {
    const snapshot = cachedSnapshot(dir);
    if (fs.existsSync(path.join(dir, SIGNATURE_NAME)) || (snapshot && fs.existsSync(snapshotSignaturePath(snapshot)))) return targetFor(dir);
    if (!root || dir === root || path.dirname(dir) === dir) return undefined;
    dir = path.dirname(dir);
  }
}
