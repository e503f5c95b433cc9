// Verify Hugging Face Model… (from the Hub's listing, nothing large downloaded) and Download Verified Model…
// (the files appear only when all of them verified), shown in the Signed Model view like Verify Model's results.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Bundle, ModelSigningError, bundleKind, cancelledError, describeSigner, isModelSigningError } from '../core';
import { safeText } from '../core/display';
import { isHubCacheFolder } from '../core/hub/cachePlacement';
import { downloadHubModel } from '../core/hub/downloadHubModel';
import { HubClient } from '../core/hub/hubClient';
import { HubRepoRef, parseHubRepo } from '../core/hub/hubRepo';
import { hubSettingsFromEnv } from '../core/hub/hubSettings';
import { HubVerificationResult, HubStep, verifyHubModel } from '../core/hub/verifyHubModel';
import { VIEWS } from './constants';
import { ModelTarget, targetFor } from './modelTarget';
import { notify } from './notify';
import { withHashingProgress } from './progress';
import { notPinnedText } from './trustWording';
import { VerifyDeps, VerifyModelArgs, verifierFromArgs } from './verifyCommand';

/** What the commands would ask, given up front (tests): the repository, its revision, where to download. */
export interface HubModelArgs extends VerifyModelArgs {
  /** `ORG/NAME`, `ORG/NAME@REVISION` or the model page's URL. */
  repo?: string;
  revision?: string;
  /** Download Verified Model: the folder to create, or the Hugging Face cache folder. */
  to?: string;
}

/** Verify Hugging Face Model…: the result goes to the Signed Model view and the badge; nothing large is downloaded. */
export async function verifyHubCommand(deps: VerifyDeps, args: HubModelArgs = {}): Promise<HubVerificationResult | undefined> {
  const ref = await askRepo('Verify Hugging Face Model', args);
  if (!ref) return undefined;
  const pending = hubTarget(ref.id, ref.revision);
  deps.states.set({ kind: 'verifying', target: pending, percent: 0 });
  try {
    const { result } = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: String(safeText`Verifying ${ref.id} on the Hub`), cancellable: true },
      (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        return verifyHubModel({ ...clientOptions(ref, args), signal: ac.signal, onStep: (s) => progress.report({ message: stepText(s) }) });
      },
    );
    show(deps, hubTarget(result.repoId, result.commit), result);
    const n = result.checkedByMetadata.length;
    const m = result.checkedByBytes.length;
    if (result.ok) {
      void notify.info(
        safeText`${ref.id} at ${result.commit.slice(0, 12)}: ${notPinnedText(result.signer)}. Every file matches the signature: ${n} by the Hub's sha256, ${m} fetched and hashed; nothing large was downloaded.`,
      );
    }
    return result;
  } catch (e) {
    fail(deps, pending, e);
    return undefined;
  }
}

/** Download Verified Model…: verified from the listing first, then downloaded with progress (cancellable), hashed as it streams. */
export async function downloadHubCommand(deps: VerifyDeps, args: HubModelArgs = {}): Promise<string | undefined> {
  const ref = await askRepo('Download Verified Model', args);
  if (!ref) return undefined;
  const to = args.to ?? (await askTarget(ref));
  if (!to) return undefined;
  const pending = hubTarget(ref.id, ref.revision);
  deps.states.set({ kind: 'verifying', target: pending, percent: 0 });
  try {
    const d = await withHashingProgress(safeText`Downloading ${ref.id}`, (signal, onProgress) =>
      downloadHubModel({ ...clientOptions(ref, args), to, hfCache: isHubCacheFolder(to), pool: deps.pool, signal, onProgress }),
    );
    if (!d.downloaded) {
      show(deps, hubTarget(d.result.repoId, d.result.commit), d.result);
      return undefined;
    }
    // The bytes written are the bytes hashed: the folder's state is the download's result, with no second pass.
    show(deps, targetFor(d.to), d.result);
    void notify.info(safeText`${ref.id} downloaded to ${d.to}: ${notPinnedText(d.result.signer)}; every file matches the signature.`);
    return d.to;
  } catch (e) {
    fail(deps, pending, e);
    return undefined;
  }
}

/** A model on the Hub as the view names it: it has no folder until it is downloaded. */
function hubTarget(repoId: string, revision: string): ModelTarget {
  const modelPath = `hf://${repoId}@${revision}`;
  return { modelPath, isFile: false, signaturePath: `${modelPath}/model.sig` };
}

function clientOptions(ref: HubRepoRef, args: HubModelArgs) {
  return {
    client: new HubClient(hubSettingsFromEnv()),
    ref,
    // The signature's kind decides what to ask for: a public key, roots, or nothing (keyless).
    verifier: async (bundle: Bundle) => (await verifierFromArgs(bundleKind(bundle), args)) ?? Promise.reject(cancelledError()),
  };
}

async function askRepo(title: string, args: HubModelArgs): Promise<HubRepoRef | undefined> {
  const check = (text: string) => {
    try {
      parseHubRepo(text);
      return undefined;
    } catch (e) {
      return isModelSigningError(e) ? e.message : String(e);
    }
  };
  const text =
    args.repo ??
    (await vscode.window.showInputBox({
      title,
      prompt: "The model's repository on the Hugging Face Hub: ORG/NAME, ORG/NAME@REVISION or its URL",
      placeHolder: 'org/model',
      ignoreFocusOut: true,
      validateInput: check,
    }));
  if (text === undefined) return undefined;
  const ref = parseHubRepo(text);
  if (args.revision) return { ...ref, revision: args.revision };
  if (args.repo) return ref;
  const revision = await vscode.window.showInputBox({
    title,
    prompt: 'The revision: a branch, tag or commit (it is pinned to the commit it names now)',
    value: ref.revision,
    ignoreFocusOut: true,
  });
  return revision === undefined ? undefined : { ...ref, revision: revision.trim() || ref.revision };
}

/** A folder to download into: a new folder named after the model inside the one picked, or the cache folder itself. */
async function askTarget(ref: HubRepoRef): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: 'Download Here',
    title: `Download ${ref.id}: the folder to put it in (the Hugging Face cache folder stores it in the cache's layout)`,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  const parent = picked?.[0]?.fsPath;
  if (!parent) return undefined;
  return isHubCacheFolder(parent) ? parent : path.join(parent, ref.id.split('/').pop()!);
}

function stepText(step: HubStep): string {
  if (step.kind === 'commit') return `commit ${step.commit.slice(0, 12)}`;
  if (step.kind === 'listed') return `${step.files} files listed`;
  return `fetching small files (${step.done} of ${step.total})`;
}

/** The result in the Signed Model view and the badge; differences in the log and a notification. */
function show(deps: VerifyDeps, target: ModelTarget, result: HubVerificationResult): void {
  const signer = describeSigner(result.signer);
  // No policy governs a model on the Hub: a good signature shows who signed, never "verified" (and Pin Signer is not offered).
  deps.states.set({ kind: result.ok ? 'signed' : 'tampered', target, result, signer, checkedAt: new Date() });
  void vscode.commands.executeCommand(`${VIEWS.manifest}.focus`);
  const { changed, missing, extra } = result.diff;
  deps.log.info(
    `${target.modelPath} (${result.repoId} at ${result.commit}), signed by ${signer}: ${changed.length} changed, ${missing.length} missing, ${extra.length} extra`,
  );
  if (!result.ok) {
    const n = changed.length + missing.length + extra.length;
    void notify.warn(
      safeText`${result.repoId} does not match its signature: ${n} file${n === 1 ? '' : 's'} differ (see the Signed Model view); nothing was downloaded`,
    );
  }
}

function fail(deps: VerifyDeps, target: ModelTarget, e: unknown): void {
  if (isModelSigningError(e) && e.code === 'CANCELLED') {
    deps.states.set({ kind: 'failed', target, message: 'Cancelled' });
    return;
  }
  const message = e instanceof ModelSigningError || e instanceof Error ? e.message : String(e);
  deps.states.set({ kind: 'failed', target, message });
  deps.log.error(`${target.modelPath}: ${message}`);
  void notify.error(safeText`${target.modelPath}: ${message}`);
}
