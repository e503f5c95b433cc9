import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelSigningError, errnoCode } from '../errors';
import { CacheLoadStatus, DigestCache, DigestCacheOptions, isPrivate } from './digestCache';

/**
 * A folder of digest caches, one DigestCache file per model, named after the SHA-256 of the model's
 * absolute path: what the CLI's `--cache DIR` and the extension's `modelSigning.digestCache.folder` share.
 *
 * One file per model, not one for the folder: a run reads and writes only its own model's entries
 * (a 200-file model's file is ~50 KB, where one file for every model could hold 200,000 entries, ~40 MB to
 * parse before anything is hashed); runs on different models never write the same file; and the entry
 * bound applies per model. Runs on the same model each merge what the file holds just before their
 * atomic rename, so entries are lost only when two saves cross in that instant (a later run hashes
 * those files again); a reader never sees a torn file.
 */
export class DigestCacheDir {
  constructor(
    readonly dir: string,
    private readonly options: DigestCacheOptions = {},
  ) {}

  /** The file of a model's digests (the model folder, or the file for a one-file model). */
  fileFor(modelPath: string): string {
    return path.join(this.dir, `${crypto.createHash('sha256').update(path.resolve(modelPath)).digest('hex')}.json`);
  }

  /**
   * A model's cache; empty (see `loadStatus`) when the file is missing, corrupt, of another version, or
   * when it or the folder belongs to another user or others may write it (`not-private`): never an error.
   */
  async load(modelPath: string): Promise<DigestCache> {
    if ((await this.folderStatus()) === 'not-private') {
      const cache = new DigestCache(this.options);
      cache.loadStatus = 'not-private';
      return cache;
    }
    return DigestCache.load(this.fileFor(modelPath), this.options);
  }

  /**
   * Writes a model's cache, keeping what another process saved there since it was loaded. Refuses
   * (WRITE_FAILED) a folder that is not private: a file written there could be replaced by its owner.
   */
  async save(modelPath: string, cache: DigestCache): Promise<void> {
    if ((await this.folderStatus()) === 'not-private') {
      throw new ModelSigningError('WRITE_FAILED', `Cannot write to '${this.dir}': other users can write to it`, { path: this.dir });
    }
    const file = this.fileFor(modelPath);
    const onDisk = await DigestCache.load(file, this.options);
    if (onDisk.loadStatus === 'loaded') cache.keepOthers(onDisk);
    await cache.save(file);
  }

  private async folderStatus(): Promise<'missing' | 'private' | 'not-private'> {
    try {
      const st = await fs.promises.stat(this.dir);
      return st.isDirectory() && isPrivate(st) ? 'private' : 'not-private';
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return 'missing';
      return 'not-private';
    }
  }
}

/** What a cache that is not used says, in one line; undefined when it was read or is new. */
export function cacheLoadWarning(status: CacheLoadStatus, file: string): string | undefined {
  switch (status) {
    case 'loaded':
    case 'missing':
      return undefined;
    case 'corrupt':
      return `The digest cache '${file}' is not a cache file this tool wrote: ignored, every file is hashed`;
    case 'other-version':
      return `The digest cache '${file}' is of another version: ignored, every file is hashed`;
    case 'not-private':
      return `The digest cache '${file}' (or its folder) can be written by other users: not used, every file is hashed`;
  }
}

/**
 * The per-user cache folder of this tool, as Node CLIs place it (env-paths' convention):
 * `$XDG_CACHE_HOME/model-signing` or `~/.cache/model-signing` on Linux and other Unixes,
 * `~/Library/Caches/model-signing` on macOS, `%LOCALAPPDATA%\model-signing\Cache` on Windows.
 */
export function userCacheDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  if (platform === 'darwin') return p.join(home, 'Library', 'Caches', 'model-signing');
  if (platform === 'win32') return p.join(env.LOCALAPPDATA || p.join(home, 'AppData', 'Local'), 'model-signing', 'Cache');
  // XDG: a relative value is invalid and ignored.
  const xdg = env.XDG_CACHE_HOME;
  return p.join(xdg && p.isAbsolute(xdg) ? xdg : p.join(home, '.cache'), 'model-signing');
}

/** Where `--cache` with no folder keeps digests: `digests/` in the user's cache folder. */
export function defaultDigestCacheDir(): string {
  return path.join(userCacheDir(), 'digests');
}
