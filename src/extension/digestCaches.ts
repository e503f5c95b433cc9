// The extension's digest cache: one in memory for every model it hashes, kept on disk one file per model
// in a DigestCacheDir, the format of `model-signing --cache`: the folder of the setting
// modelSigning.verify.digestCacheFolder (shared with `--cache=DIR`), or else the extension's own storage.
import * as os from 'node:os';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { DigestCache, DigestCacheDir, HashPool, cacheLoadWarning } from '../core';
import { SETTINGS } from './constants';
import { userSetting } from './trustedSettings';

export class ModelDigestCaches {
  readonly cache = new DigestCache();

  constructor(
    private readonly storage: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /**
   * Runs `verify` (a verification of the model) with `pool`, which first joins what the folder holds for
   * the model (this window's earlier runs, another window's, the CLI's) to what is in memory, then saves
   * the model's entries back. `verify` is called at once, not after the read: a verification takes its
   * place among the model's runs when it is asked for (VerificationRuns). The folder is read from the
   * setting each time, so a change applies at once.
   */
  async around<T>(modelPath: string, pool: HashPool, verify: (pool: HashPool) => Promise<T>): Promise<T> {
    const dir = this.dir();
    let loaded: Promise<void> | undefined;
    const loading: HashPool = {
      hash: async (tasks, algorithm, options) => {
        await (loaded ??= this.load(dir, modelPath));
        return pool.hash(tasks, algorithm, options);
      },
      // The pool is shared, not this run's to dispose of.
      dispose: () => Promise.resolve(),
    };
    try {
      return await verify(loading);
    } finally {
      await dir
        .save(modelPath, this.cache.within(modelPath))
        .catch((e: unknown) => this.log.warn(`Could not save the digest cache: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  private async load(dir: DigestCacheDir, modelPath: string): Promise<void> {
    const onDisk = await dir.load(modelPath);
    const warning = cacheLoadWarning(onDisk.loadStatus, dir.fileFor(modelPath));
    if (warning) this.log.warn(warning);
    this.cache.keepOthers(onDisk);
  }

  /** The setting's folder (`~` and relative paths from the home folder, as the user policy's paths), or the extension's own. */
  private dir(): DigestCacheDir {
    const folder = userSetting<string>(SETTINGS.digestCacheFolder)?.trim();
    if (!folder) return new DigestCacheDir(path.join(this.storage, 'digests'));
    return new DigestCacheDir(path.resolve(os.homedir(), folder.replace(/^~(?=$|[\\/])/, '.')));
  }
}
