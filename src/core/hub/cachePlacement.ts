// A verified download put into the Hugging Face cache in huggingface_hub's layout (file_download.py:
// blobs named by their ETag, snapshot links to them, refs/<revision>), so transformers and
// huggingface_hub find it offline.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelSigningError, errnoCode } from '../errors';
import { hubCacheDir, repoFolderName } from '../huggingface/cacheLayout';
import { writeFileAtomic } from '../io/atomicWrite';
import { HubFile, isSafeRepoPath } from './hubClient';

export interface CachePlacement {
  cache: string;
  repoId: string;
  commit: string;
  /** The revision asked for: refs/<revision> is written unless it is the commit itself. */
  revision: string;
  /** The verified files (repository paths) in the staging folder. */
  names: readonly string[];
  listing: readonly HubFile[];
}

/**
 * Moves each verified file of `staging` to blobs/<etag> (the sha256 of a storage-backed file, the git blob id
 * of a small one: the ETag the Hub sends) and links snapshots/<commit>/<path> to it. A blob already there is
 * replaced by the verified bytes. Returns the snapshot folder.
 */
export async function placeInCache(staging: string, p: CachePlacement): Promise<string> {
  const repo = path.join(p.cache, repoFolderName(p.repoId));
  const snapshot = path.join(repo, 'snapshots', p.commit);
  const byPath = new Map(p.listing.map((f) => [f.path, f]));
  try {
    fs.mkdirSync(path.join(repo, 'blobs'), { recursive: true });
    for (const name of p.names) {
      const file = byPath.get(name)!;
      const blob = file.lfs ? file.lfs.sha256 : file.gitOid;
      fs.renameSync(path.join(staging, ...name.split('/')), path.join(repo, 'blobs', blob));
      const link = path.join(snapshot, ...name.split('/'));
      fs.mkdirSync(path.dirname(link), { recursive: true });
      fs.rmSync(link, { force: true });
      fs.symlinkSync(path.relative(path.dirname(link), path.join(repo, 'blobs', blob)), link);
    }
  } catch (e) {
    throw new ModelSigningError('WRITE_FAILED', `Cannot put the verified model into the cache at '${repo}': ${errnoCode(e) ?? String(e)}`, { path: repo }, e);
  }
  // The revision names a file under refs/: one that could lead elsewhere (`../x`, from a Hub that lies) is not written.
  if (p.revision !== p.commit && isSafeRepoPath(p.revision)) {
    const ref = path.join(repo, 'refs', ...p.revision.split('/'));
    fs.mkdirSync(path.dirname(ref), { recursive: true });
    await writeFileAtomic(ref, p.commit);
  }
  return snapshot;
}

/** Whether a download target is the Hugging Face cache folder (HF_HUB_CACHE, or $HF_HOME/hub), by name or by what it really is. */
export function isHubCacheFolder(dir: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const cache = hubCacheDir(env);
  if (path.resolve(dir) === cache) return true;
  try {
    return fs.realpathSync(dir) === fs.realpathSync(cache);
  } catch {
    return false;
  }
}
