// The heavy half of the extension, loaded on the first Sign or Verify: the core
// (hashing, Sigstore, X.509) is ~3 MB of code that activation should not pay for.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CachedHashPool, CachedHashPoolOptions, CachedHashPoolStats, WorkerHashPool } from '../core';
import { SETTINGS } from './constants';
import { HubModelArgs, downloadHubCommand, verifyHubCommand } from './hubCommands';
import { ModelDigestCaches } from './digestCaches';
import { trustedSetting } from './trustedSettings';
import { ModelStates } from './modelState';
import { ModelTarget, pickTarget } from './modelTarget';
import { watchPolicies } from './policyWatch';
import { pinSignerCommand } from './pinSignerCommand';
import { openProvenanceCommand } from './provenanceCommand';
import type { ProvenancePanel } from './provenancePanel';
import { SignModelArgs, signModelCommand } from './signCommand';
import { VerificationRuns } from './verificationRuns';
import { VerifyDeps, VerifyModelArgs, verifyTarget } from './verifyCommand';

export interface ModelCommands extends vscode.Disposable {
  sign(uri?: vscode.Uri, args?: SignModelArgs): Promise<boolean>;
  verify(uri?: vscode.Uri, args?: VerifyModelArgs): Promise<unknown>;
  /** Pin Signer: the signer of a model shown as not pinned goes into the workspace's policy. */
  pinSigner(modelPath?: string): Promise<boolean>;
  /** Verify again without dialogs, with the verifier that worked before (the live badge). */
  reverify(target: ModelTarget): Promise<void>;
  /** Verify quietly a model found when the workspace opened, unless it was acted on already; never asks anything. */
  verifyInBackground(target: ModelTarget, signal: AbortSignal): Promise<void>;
  /** Verify again, quietly, every model verified in this session: the workspace was trusted, so its policy now applies. */
  reverifyAll(): Promise<void>;
  /** Models verified in this session, which the live badge watches. */
  watched(): Iterable<string>;
  /** Open Provenance: the viewer of a provenance file, checked against its model. */
  openProvenance(uri?: vscode.Uri, args?: unknown): Promise<ProvenancePanel | undefined>;
  /** What the live badge's re-verifications took from the digest cache and hashed. */
  liveHashStats(): Promise<CachedHashPoolStats>;
  /** Verify Hugging Face Model… and Download Verified Model…. */
  verifyHub(args?: HubModelArgs): Promise<unknown>;
  downloadHub(args?: HubModelArgs): Promise<unknown>;
}

/**
 * `cacheOptions` is read at each hash, so a change to it applies from the next one (the tests set
 * `racyWindowMs: 0` rather than sleep past the window).
 */
export function createCommands(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  states: ModelStates,
  diagnostics: vscode.DiagnosticCollection,
  cacheOptions: CachedHashPoolOptions = {},
): ModelCommands {
  // Low-priority workers: the extension host's event loop must stay responsive while a model is hashed.
  const pool = new WorkerHashPool({ workerScript: vscode.Uri.joinPath(context.extensionUri, 'dist', 'hashWorker.js').fsPath, niceness: 10 });
  // Digests of files already verified, keyed by path, size, mtime, inode and ctime, kept per model in the
  // extension's own storage or the folder the user set (never the workspace): the live badge re-hashes
  // only what changed. An explicit Verify Model re-hashes everything (and refreshes the cache) unless told otherwise.
  const caches = new ModelDigestCaches(context.globalStorageUri.fsPath, log);
  const live = new CachedHashPool(pool, caches.cache, cacheOptions);
  const fresh = new CachedHashPool(pool, caches.cache, {
    readCache: false,
    get racyWindowMs() {
      return cacheOptions.racyWindowMs;
    },
  });
  // The one file for every model that earlier builds kept: the cache now lives in a file per model.
  void fs.promises.rm(path.join(context.globalStorageUri.fsPath, 'digest-cache.json'), { force: true }).catch(() => undefined);
  const policyDiagnostics = vscode.languages.createDiagnosticCollection('model-signing-policy');
  const deps: VerifyDeps = { pool, states, diagnostics, policyDiagnostics, log, remembered: new Map(), runs: new VerificationRuns() };
  const reverify = async (target: ModelTarget) => {
    await caches.around(target.modelPath, live, (pool) => verifyTarget({ ...deps, pool }, target, { quiet: true }));
  };
  const policies = watchPolicies(states, policyDiagnostics, reverify);
  return {
    // Signing writes the digests it computes to the cache, so the check that follows reads them back.
    sign: async (uri, args) =>
      signModelCommand(
        {
          pool: fresh,
          context,
          log,
          afterSign: async (target, verifier) => {
            if (verifier) deps.remembered.set(target.modelPath, verifier);
            states.focus(target.modelPath); // the badge shows the model just signed
            await reverify(target);
          },
        },
        uri,
        args,
      ),
    verify: async (uri, args) => {
      const target = await pickTarget(uri, 'Verify Model');
      if (!target) return undefined;
      const useCache = trustedSetting<boolean>(SETTINGS.useDigestCache) ?? false;
      return caches.around(target.modelPath, useCache ? live : fresh, (pool) => verifyTarget({ ...deps, pool }, target, args));
    },
    reverify,
    verifyInBackground: async (target, signal) => {
      if (states.get(target.modelPath)) return;
      await caches.around(target.modelPath, live, (pool) => verifyTarget({ ...deps, pool }, target, { quiet: true, background: true, signal }));
    },
    pinSigner: (modelPath) => pinSignerCommand({ states, log, reverify }, modelPath),
    reverifyAll: async () => {
      for (const model of [...deps.remembered.keys()]) {
        const target = states.get(model)?.target;
        if (target) await reverify(target);
      }
    },
    watched: () => deps.remembered.keys(),
    openProvenance: (uri, args) => openProvenanceCommand(context, log, uri, args),
    liveHashStats: () => Promise.resolve({ ...live.stats }),
    verifyHub: (args) => verifyHubCommand(deps, args),
    downloadHub: (args) => downloadHubCommand(deps, args),
    dispose: () => {
      policies.dispose();
      policyDiagnostics.dispose();
      void pool.dispose();
    },
  };
}
