// The Hugging Face Hub cache, as huggingface_hub writes it (file_download.py):
//
//   <HF_HUB_CACHE>/models--ORG--NAME/
//     blobs/<sha256 of an LFS file | git blob sha1 of a small one>
//     refs/main                          (the commit a branch or tag was last seen at; refs/pr/1 too)
//     snapshots/<commit>/<file>          (a relative link: ../../blobs/<hash>, one more ../ per subfolder)
//     .no_exist/<commit>/<file>          (empty: the file was asked for and is not in that commit)
//
// A snapshot is a folder of links into its repository's own blobs/. This module names those places, finds
// the cache and the snapshot a path belongs to, and resolves a revision to a snapshot; it writes nothing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HashingError } from '../errors';
import { readInputTextSync } from '../io/readInputFile';

/** Repository types and their folder prefixes (constants.REPO_TYPES_MAPPING; _cache_manager.py scans these three). */
export const HUB_REPO_TYPES = { model: 'models', dataset: 'datasets', space: 'spaces' } as const;
export type HubRepoType = keyof typeof HUB_REPO_TYPES;

/** A commit hash as the cache names snapshots (file_download.REGEX_COMMIT_HASH). */
const COMMIT_HASH = /^[0-9a-f]{40}$/;

/** A repo id (utils/_validators.REPO_ID_REGEX): `NAME` or `ORG/NAME`, word characters, `-` and `.`, a name of 96 at most. */
const REPO_ID = /^(?:[\w\-.]+\/)?[\w\-.]{1,96}$/;

/** The revision the cache is read at when none is given (constants.DEFAULT_REVISION). */
export const DEFAULT_REVISION = 'main';

/** A cached repository: its `models--ORG--NAME` folder. */
export interface CacheRepo {
  /** Absolute path of the repository folder. */
  folder: string;
  type: HubRepoType;
  /** `ORG/NAME` (or `NAME`). */
  repoId: string;
}

/** One snapshot of a cached repository. */
export interface CacheSnapshot extends CacheRepo {
  commit: string;
  /** Absolute path of `snapshots/<commit>`. */
  snapshot: string;
}

/** What a model argument named: a path as given, or a snapshot found in the cache. */
export interface ResolvedModelPath {
  path: string;
  /** Set when the argument named a cached repository (by its folder or its id) rather than a folder of files. */
  snapshot?: CacheSnapshot;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The hub cache folder, as constants.py computes it: `HF_HUB_CACHE`, else the legacy `HUGGINGFACE_HUB_CACHE`,
 * else `$HF_HOME/hub`, where HF_HOME defaults to `$XDG_CACHE_HOME/huggingface`, then `~/.cache/huggingface`.
 * `~` and `$VAR` are expanded as Python's expanduser and expandvars do.
 */
export function hubCacheDir(env: Env = process.env, home = os.homedir()): string {
  const expand = (p: string) => expandVars(expandUser(p, env, home), env);
  const hfHome = expand(env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(home, '.cache'), 'huggingface'));
  return path.resolve(expand(env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE ?? path.join(hfHome, 'hub')));
}

/** The repository's folder name (file_download.repo_folder_name): `models--ORG--NAME`. */
export function repoFolderName(repoId: string, type: HubRepoType = 'model'): string {
  return [HUB_REPO_TYPES[type], ...repoId.split('/')].join('--');
}

/** The type and id a repository folder name stands for (as _cache_manager._scan_cached_repo reads it), if it is one. */
export function parseRepoFolderName(name: string): { type: HubRepoType; repoId: string } | undefined {
  const sep = name.indexOf('--');
  if (sep < 0) return undefined;
  const prefix = name.slice(0, sep);
  const type = (Object.keys(HUB_REPO_TYPES) as HubRepoType[]).find((t) => HUB_REPO_TYPES[t] === prefix);
  const repoId = name.slice(sep + 2).replace(/--/g, '/');
  return type && isRepoId(repoId) ? { type, repoId } : undefined;
}

export function isRepoId(id: string): boolean {
  return REPO_ID.test(id) && !id.includes('--') && !id.includes('..') && !/(^|\/)[-.]|[-.](\/|$)/.test(id);
}

export function isCommitHash(revision: string): boolean {
  return COMMIT_HASH.test(revision);
}

/** The repository whose folder this is: a real folder named `<type>s--…` with a real `snapshots/` folder in it. */
export function cacheRepoAt(folder: string): CacheRepo | undefined {
  const abs = path.resolve(folder);
  const parsed = parseRepoFolderName(path.basename(abs));
  if (!parsed || !isRealDir(abs) || !isRealDir(path.join(abs, 'snapshots'))) return undefined;
  return { folder: abs, ...parsed };
}

/**
 * The snapshot a real path lies in (the snapshot folder itself or anything below it): the nearest ancestor
 * that is `<repo folder>/snapshots/<commit>`. Lexical on the path given, so pass a real path.
 */
export function snapshotContaining(realPath: string): CacheSnapshot | undefined {
  for (let dir = path.resolve(realPath); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const parent = path.dirname(dir);
    if (path.basename(parent) !== 'snapshots') continue;
    const repo = cacheRepoAt(path.dirname(parent));
    if (repo) return { ...repo, commit: path.basename(dir), snapshot: dir };
  }
  return undefined;
}

/**
 * The real path of a snapshot's `blobs/` folder, if it is a real folder (not a link elsewhere). The snapshot
 * must have been found on a real path (snapshotContaining of a realpath), so its repository folder is real too.
 */
export function blobsFolder(snapshot: CacheSnapshot): string | undefined {
  const blobs = path.join(snapshot.folder, 'blobs');
  return isRealDir(blobs) ? blobs : undefined;
}

/**
 * The blob a link leads to, when it is one: its real path lies directly in `blobs` (a blobsFolder) and is a regular
 * file. With the blob's lstat, which the walker lists. libc's realpath: a third of the CPU of Node's JS one.
 */
export function blobOfLink(blobs: string, linkPath: string): { path: string; stats: fs.Stats } | undefined {
  let target: string;
  try {
    target = fs.realpathSync.native(linkPath);
  } catch {
    return undefined;
  }
  const stats = path.dirname(target) === blobs ? fs.lstatSync(target, { throwIfNoEntry: false }) : undefined;
  return stats?.isFile() ? { path: target, stats } : undefined;
}

/** Where huggingface_hub puts each part of a repository (file_download.py), for code that writes the cache. */
export function cachePaths(folder: string) {
  const parts = (name: string) => name.split('/');
  return {
    blob: (hash: string) => path.join(folder, 'blobs', hash),
    ref: (name: string) => path.join(folder, 'refs', ...parts(name)),
    snapshotFile: (commit: string, name: string) => path.join(folder, 'snapshots', commit, ...parts(name)),
    noExist: (commit: string, name: string) => path.join(folder, '.no_exist', commit, ...parts(name)),
    /** The link a snapshot file is (_create_symlink: relative to the link's folder): `../../blobs/<hash>`, a `../` more per subfolder. */
    linkText: (name: string, hash: string) => `${'../'.repeat(parts(name).length + 1)}blobs/${hash}`,
  };
}

/**
 * The commit a revision names in a cached repository (utils/_verification._resolve_commit_hash_from_cache):
 * a commit hash as it is; a branch or tag by its file in `refs/`; no revision: `refs/main`, else the only snapshot.
 * The snapshot of that commit must be in the cache.
 */
export function resolveRevision(repo: CacheRepo, revision?: string): CacheSnapshot {
  const commit = revision === undefined ? defaultCommit(repo) : isCommitHash(revision) ? revision : refCommit(repo, revision);
  const snapshot = path.join(repo.folder, 'snapshots', commit);
  if (!isRealDir(snapshot)) {
    throw revisionError(repo, revision ?? DEFAULT_REVISION, `commit ${commit} is not in the cache (no snapshots/${commit} folder)`);
  }
  return { ...repo, commit, snapshot };
}

/**
 * What a model argument names. A path that exists is used as it is, unless it is a repository folder
 * (`models--ORG--NAME`): then the snapshot of `revision` (default `refs/main`). A repo id (`ORG/NAME`) that is no
 * path on disk is looked up in the hub cache as a model. `revision` applies to repositories only.
 */
export function resolveModelPath(arg: string, options: { revision?: string; env?: Env; cwd?: string } = {}): ResolvedModelPath {
  const abs = path.resolve(options.cwd ?? process.cwd(), arg);
  if (fs.existsSync(abs) || fs.lstatSync(abs, { throwIfNoEntry: false })) {
    const repo = cacheRepoAt(abs);
    if (repo) {
      const snapshot = resolveRevision(repo, options.revision);
      return { path: snapshot.snapshot, snapshot };
    }
    if (options.revision !== undefined) {
      throw new HashingError('INVALID_OPTION', `--revision applies to a Hugging Face cache repository (models--ORG--NAME or ORG/NAME); '${arg}' is not one`, {
        path: arg,
        option: 'revision',
      });
    }
    return { path: arg };
  }
  if (!isRepoId(arg)) return { path: arg };
  const cacheDir = hubCacheDir(options.env);
  const repo = cacheRepoAt(path.join(cacheDir, repoFolderName(arg)));
  if (!repo) {
    throw new HashingError('MODEL_NOT_FOUND', `Model path '${arg}' does not exist, and the Hugging Face cache (${cacheDir}) holds no model '${arg}'`, {
      path: arg,
      repoId: arg,
      cacheDir,
    });
  }
  const snapshot = resolveRevision(repo, options.revision);
  return { path: snapshot.snapshot, snapshot };
}

/** The cached repository a path lies in (any of its folders), for callers that must not write there. */
export function cacheRepoContaining(p: string): CacheRepo | undefined {
  for (let dir = path.resolve(p); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const parsed = parseRepoFolderName(path.basename(dir));
    if (parsed && isRealDir(path.join(dir, 'snapshots'))) return { folder: dir, ...parsed };
  }
  return undefined;
}

/**
 * Where the extension writes a snapshot's signature: beside snapshots/, named after the commit
 * (`models--ORG--NAME/<commit>.sig`). huggingface_hub reads only blobs/, refs/, snapshots/ and .no_exist/ of a
 * repository folder, so the cache stays as it was, and the signature goes when the repository is deleted.
 */
export function snapshotSignaturePath(snapshot: CacheSnapshot): string {
  return path.join(snapshot.folder, `${snapshot.commit}.sig`);
}

/** The snapshot a signature at snapshotSignaturePath is for, if the path is one and the snapshot is cached. */
export function snapshotOfSignature(signaturePath: string): CacheSnapshot | undefined {
  const commit = path.basename(signaturePath).replace(/\.sig$/, '');
  const repo = isCommitHash(commit) ? cacheRepoAt(path.dirname(signaturePath)) : undefined;
  const snapshot = repo && path.join(repo.folder, 'snapshots', commit);
  return snapshot && isRealDir(snapshot) ? { ...repo, commit, snapshot } : undefined;
}

/** The folders huggingface_hub owns inside a repository folder: a file written in one would look cached. */
export const CACHE_OWNED_FOLDERS = ['blobs', 'snapshots', 'refs', '.no_exist'] as const;

/**
 * Refuses an output path (a signature, provenance) that lies in a folder of a cached repository that huggingface_hub
 * owns: a file there is read as part of the repository (`hf cache verify` reports it, a file in snapshots/ breaks
 * `scan_cache_dir`). The folder's real path is checked, so a link to the cache does not get around it.
 */
export function refuseOutputInCache(output: string, what: string): void {
  const abs = path.resolve(output);
  const real = path.join(realpathOfExisting(path.dirname(abs)), path.basename(abs));
  const repo = cacheRepoContaining(real);
  const first = repo && path.relative(repo.folder, real).split(path.sep)[0];
  if (!repo || !(CACHE_OWNED_FOLDERS as readonly string[]).includes(first ?? '')) return;
  throw new HashingError(
    'OUTPUT_IN_HF_CACHE',
    `Cannot write the ${what} to '${output}': it is inside the Hugging Face cache's ${first}/ folder of ${repo.repoId}, which would change the cached repository; write it elsewhere (beside snapshots/, in ${repo.folder}, is fine)`,
    { path: output, repoId: repo.repoId, folder: repo.folder },
  );
}

/** The real path of a folder, or of its nearest ancestor that exists with the rest appended. */
function realpathOfExisting(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    const parent = path.dirname(dir);
    return parent === dir ? dir : path.join(realpathOfExisting(parent), path.basename(dir));
  }
}

function defaultCommit(repo: CacheRepo): string {
  if (fs.existsSync(path.join(repo.folder, 'refs', DEFAULT_REVISION))) return refCommit(repo, DEFAULT_REVISION);
  const snapshots = fs.readdirSync(path.join(repo.folder, 'snapshots')).filter(isCommitHash);
  if (snapshots.length === 1) return snapshots[0]!;
  throw revisionError(
    repo,
    DEFAULT_REVISION,
    snapshots.length === 0
      ? 'there is no refs/main and no snapshot'
      : 'there is no refs/main and several snapshots: name one (--revision, or its snapshots/<commit> folder)',
  );
}

/** A ref's commit: `refs/<name>` holds the 40-hex commit (written without a newline; one is tolerated). */
function refCommit(repo: CacheRepo, ref: string): string {
  if (ref === '' || ref.split('/').some((part) => part === '' || part === '.' || part === '..') || /[\\\0]/.test(ref) || path.isAbsolute(ref)) {
    throw revisionError(repo, ref, 'it is not a branch, tag or commit name');
  }
  const file = path.join(repo.folder, 'refs', ref);
  let text: string;
  try {
    text = readInputTextSync(file, { what: 'ref', maxBytes: 1024, unreadableCode: 'MODEL_NOT_FOUND' });
  } catch {
    throw revisionError(repo, ref, `it is not in the cache (no refs/${ref}), and it is not a 40-character commit hash`);
  }
  const commit = text.trim();
  if (!isCommitHash(commit)) throw revisionError(repo, ref, `refs/${ref} does not hold a commit hash`);
  return commit;
}

function revisionError(repo: CacheRepo, revision: string, why: string): HashingError {
  return new HashingError('MODEL_NOT_FOUND', `Revision '${revision}' of ${repo.repoId} cannot be used: ${why}`, {
    path: repo.folder,
    repoId: repo.repoId,
    revision,
  });
}

function isRealDir(p: string): boolean {
  return fs.lstatSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** os.path.expanduser: a leading `~` is the home folder ($HOME first, as Python reads it). */
function expandUser(p: string, env: Env, home: string): string {
  return p === '~' || p.startsWith('~/') ? (env.HOME ?? home) + p.slice(1) : p;
}

/** os.path.expandvars: `$NAME` and `${NAME}` that are set are replaced; others are left as they are. */
function expandVars(p: string, env: Env): string {
  return p.replace(/\$(\w+|\{[^}]*\})/g, (whole, name: string) => env[name.replace(/^\{|\}$/g, '')] ?? whole);
}
