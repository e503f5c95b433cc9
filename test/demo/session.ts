// What `npm start` keeps when it stops: the workspace (the samples and whatever the user signed in
// it) and what checks those signatures later (the local Sigstore's trust config, the private key
// offered for signing); the editor's data, the .vsix and the identity tokens go.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface Kept {
  /** Folder or file name inside the run's folder. */
  name: string;
  /** What it is, for the goodbye message. */
  what: string;
}

/** Removes everything in `run` but the kept entries (all of it when nothing is kept); returns the kept entries that exist. */
export function cleanUpRun(run: string, keep: readonly Kept[]): Kept[] {
  if (keep.length === 0) {
    rmSync(run, { recursive: true, force: true });
    return [];
  }
  const names = new Set(keep.map((k) => k.name));
  for (const entry of readdirSync(run)) if (!names.has(entry)) rmSync(join(run, entry), { recursive: true, force: true });
  return keep.filter((k) => existsSync(join(run, k.name)));
}

/** The lines printed on Ctrl-C, before anything stops: what stops, and what stays where. */
export function stoppingMessage(stopped: readonly string[]): string {
  return `\nStopping ${stopped.join(', ')}…`;
}

export function keptMessage(run: string, kept: readonly Kept[]): string {
  if (kept.length === 0) return `Removed ${run}.`;
  return ['Kept (delete them when you are done):', ...kept.map((k) => `  ${join(run, k.name)}  ${k.what}`)].join('\n');
}
