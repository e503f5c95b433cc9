import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SIGNATURE_NAME } from './constants';

/** A model on disk and where its signature lives. */
export interface ModelTarget {
  /** Folder, or single model file. */
  modelPath: string;
  isFile: boolean;
  signaturePath: string;
}

export function targetFor(modelPath: string): ModelTarget {
  const isFile = fs.statSync(modelPath).isFile();
  return { modelPath, isFile, signaturePath: isFile ? `${modelPath}.sig` : path.join(modelPath, SIGNATURE_NAME) };
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
    if (fs.existsSync(path.join(dir, SIGNATURE_NAME))) return targetFor(dir);
    if (!root || dir === root || path.dirname(dir) === dir) return undefined;
    dir = path.dirname(dir);
  }
}
