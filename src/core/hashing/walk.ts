import * as fs from 'node:fs';
import * as path from 'node:path';
import { throwIfAborted } from '../abort';
import { HashingError, errnoCode } from '../errors';
import { blobOfLink, blobsFolder, snapshotContaining } from '../huggingface/cacheLayout';
import { escapeFileNameBytes, utf8FileName } from './fileName';

/** Entries listed between two yields to the event loop: ~1 ms of blocking calls. */
const YIELD_EVERY = 256;

/** Paths the reference always ignores at the model root (and records) unless told not to. */
export const GIT_PATHS = ['.git', '.gitattributes', '.github', '.gitignore'] as const;

export interface WalkOptions {
  /** Paths to leave out: absolute, or relative to the model root. A path outside the model is dropped. */
  ignorePaths?: readonly string[];
  /** Leave out `.git`, `.gitattributes`, `.github` and `.gitignore` at the model root (default true). */
  ignoreGitPaths?: boolean;
  /** Follow symbolic links that stay inside the model (default false: any link is an error). */
  allowSymlinks?: boolean;
  /**
   * List only these names (relative POSIX paths) and the folders that lead to
   * them: what `--ignore-unsigned-files` reads. Other entries are never touched.
   */
  only?: ReadonlySet<string>;
  signal?: AbortSignal;
}

/** One regular file of a model, named as OMS names it. */
export interface ModelFile {
  /** POSIX path relative to the model root; `.` for a single-file model. */
  name: string;
  /** Path to open; a link's own path when the name is a link's. */
  path: string;
  size: number;
  mtimeMs: number;
  /** Device and inode seen when listed: the file opened for hashing must be this one. */
  dev: number;
  ino: number;
  /** The name is a link (allowed) to the file: it is opened through the link, else never through one. */
  viaLink: boolean;
}

export interface ModelListing {
  /** Absolute path of the model (a folder, or a single file). */
  root: string;
  isFile: boolean;
  /** Sorted by name in canonical order. */
  files: ModelFile[];
  /** The effective ignore paths inside the model, relative and POSIX, as they are recorded in a signature. */
  ignorePaths: string[];
}

/**
 * Turns ignore paths (absolute, or relative to the model root) into normalized
 * POSIX paths relative to the root. Paths outside the model are dropped, as the
 * reference drops them; the git paths are added (whether present or not) when asked.
 */
export function resolveIgnorePaths(modelRoot: string, ignorePaths: readonly string[] = [], ignoreGitPaths = true): string[] {
  const root = path.resolve(modelRoot);
  const realRoot = realpathOr(root);
  const out = new Set<string>();
  if (ignoreGitPaths) GIT_PATHS.forEach((p) => out.add(p));
  for (const p of ignorePaths) {
    const abs = path.resolve(root, p);
    // Compare real paths too, so /tmp/x and /private/tmp/x name the same place.
    const candidates = [path.relative(root, abs), path.relative(realRoot, realpathOr(abs))];
    const rel = candidates.find((r) => r !== '' && !r.startsWith('..') && !path.isAbsolute(r));
    if (rel !== undefined) out.add(toPosix(rel));
  }
  return [...out].sort();
}

/** True if `name` is one of the ignore paths or lies below one (a lexical, component-wise test). */
export function isIgnored(name: string, ignorePaths: readonly string[]): boolean {
  return ignorePaths.some((p) => name === p || name.startsWith(p + '/'));
}

/**
 * Lists the files of a model the way the reference enumerates them: every
 * regular file below the root, dotfiles included, directories never recorded.
 * Links are refused unless allowed; allowed links must resolve inside the model,
 * and a linked folder that leads back to one of its ancestors is a cycle. In a
 * Hugging Face cache snapshot, a link to a blob of the same repository is the file
 * it names, allowed or not: the blob is listed (and opened) under the link's name.
 */
export async function listModelFiles(modelPath: string, options: WalkOptions = {}): Promise<ModelListing> {
  const root = path.resolve(modelPath);
  const allowSymlinks = options.allowSymlinks ?? false;
  const rootStat = lstatOrThrow(root, '.');
  const ignorePaths =
    rootStat.isDirectory() || rootStat.isSymbolicLink() ? resolveIgnorePaths(root, options.ignorePaths ?? [], options.ignoreGitPaths ?? true) : [];

  // The snapshot the model is (or lies in), found on real paths: a blob's real path is then compared with a real blobs/.
  const snapshot = snapshotContaining(realpathOr(rootStat.isDirectory() ? root : path.dirname(root)));
  const blobs = snapshot && blobsFolder(snapshot);
  const blobOf = (linkPath: string) => (blobs ? blobOfLink(blobs, linkPath) : undefined);

  let realRoot = root;
  let rootIsFile: boolean;
  const rootBlob = rootStat.isSymbolicLink() ? blobOf(root) : undefined;
  if (rootBlob) {
    return { root, isFile: true, files: [listed('.', rootBlob.path, rootBlob.stats, false)], ignorePaths: [] };
  }
  if (rootStat.isSymbolicLink()) {
    if (!allowSymlinks) throw symlinkNotAllowed(root);
    realRoot = realpathOrThrow(root, '.');
    rootIsFile = statOrThrow(realRoot, '.').isFile();
  } else {
    rootIsFile = rootStat.isFile();
    if (!rootIsFile && !rootStat.isDirectory()) throw specialFile(root);
  }

  if (rootIsFile) {
    const st = statOrThrow(root, '.');
    return { root, isFile: true, files: [listed('.', root, st, rootStat.isSymbolicLink())], ignorePaths };
  }

  const files: ModelFile[] = [];
  const only = options.only;
  const onlyDirs =
    only &&
    new Set(
      [...only].flatMap((n) =>
        n
          .split('/')
          .slice(0, -1)
          .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
      ),
    );
  const wanted = (name: string) => !only || only.has(name) || onlyDirs!.has(name);
  // Blocking fs calls, yielding to the event loop every YIELD_EVERY entries:
  // through libuv's thread pool a stat costs ~20 µs on a 2-core machine, 5x a
  // direct one, and 20,000 of them in flight hold ~100 MB.
  // `ancestors` holds the real path of every folder on the way down, so a linked
  // folder that leads back up is caught at the first link, not one lap later.
  let sinceYield = 0;
  const walkDir = async (dirPath: string, prefix: string, ancestors: readonly string[]): Promise<void> => {
    throwIfAborted(options.signal);
    // Names as bytes: a string listing would turn bytes that are not UTF-8 into U+FFFD.
    let entries: fs.Dirent<Buffer>[];
    try {
      entries = fs.readdirSync(dirPath, { withFileTypes: true, encoding: 'buffer' });
    } catch (e) {
      throw new HashingError('FILE_READ_ERROR', `Cannot read folder '${prefix || '.'}': ${errnoCode(e) ?? String(e)}`, { path: prefix || '.' }, e);
    }
    for (const entry of entries) {
      if (++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((r) => setImmediate(r));
        throwIfAborted(options.signal);
      }
      const base = utf8FileName(entry.name);
      if (base === undefined) throw notUtf8(prefix, entry.name);
      const name = prefix ? `${prefix}/${base}` : base;
      if (isIgnored(name, ignorePaths) || !wanted(name)) continue;
      const entryPath = path.join(dirPath, base);
      let kind: 'file' | 'dir' | 'link' | 'other' = entry.isFile() ? 'file' : entry.isDirectory() ? 'dir' : entry.isSymbolicLink() ? 'link' : 'other';
      if (kind === 'other' && !entry.isFIFO() && !entry.isSocket() && !entry.isBlockDevice() && !entry.isCharacterDevice()) {
        // DT_UNKNOWN on some file systems: ask lstat.
        const st = lstatOrThrow(entryPath, name);
        kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'other';
      }
      if (kind === 'other') throw specialFile(name);
      if (kind === 'dir') {
        await walkDir(entryPath, name, [...ancestors, path.join(ancestors[ancestors.length - 1]!, base)]);
        continue;
      }
      if (kind === 'file') {
        files.push(listed(name, entryPath, statOrThrow(entryPath, name), false));
        continue;
      }
      // A symbolic link: a cached file of the snapshot, or a link only --allow-symlinks lets through.
      const blob = blobOf(entryPath);
      if (blob) {
        files.push(listed(name, blob.path, blob.stats, false));
        continue;
      }
      if (!allowSymlinks) throw symlinkNotAllowed(name);
      const target = realpathOrThrow(entryPath, name);
      if (target !== realRoot && !target.startsWith(realRoot + path.sep)) {
        throw new HashingError('SYMLINK_OUTSIDE_MODEL', `Cannot use '${name}': the link points outside the model (${target})`, { path: name, target });
      }
      const st = statOrThrow(entryPath, name);
      if (st.isFile()) {
        files.push(listed(name, entryPath, st, true));
      } else if (st.isDirectory()) {
        if (ancestors.includes(target)) {
          throw new HashingError('SYMLINK_CYCLE', `Cannot use '${name}': the link leads back to a folder that contains it`, { path: name, target });
        }
        await walkDir(entryPath, name, [...ancestors, target]);
      } else {
        throw specialFile(name);
      }
    }
  };
  await walkDir(root, '', [realRoot]);
  files.sort((a, b) => compareNames(a.name, b.name));
  return { root, isFile: false, files, ignorePaths };
}

/**
 * The canonical order of OMS resource names: path components compared as UTF-8
 * bytes (so `a/b` < `a.b`, unlike a plain string sort), as Python's PurePosixPath
 * ordering does. Shard suffixes are compared by the caller.
 */
export function compareNames(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    if (pa[i] !== pb[i]) return Buffer.compare(Buffer.from(pa[i]!, 'utf8'), Buffer.from(pb[i]!, 'utf8'));
  }
  return pa.length - pb.length;
}

export function toPosix(p: string): string {
  const posix = p.split(path.sep).join('/');
  return path.posix.normalize(posix).replace(/\/+$/, '');
}

function listed(name: string, p: string, st: fs.Stats, viaLink: boolean): ModelFile {
  return { name, path: p, size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino, viaLink };
}

function notUtf8(prefix: string, bytes: Buffer): HashingError {
  const name = (prefix ? `${prefix}/` : '') + escapeFileNameBytes(bytes);
  return new HashingError('FILE_NAME_NOT_UTF8', `Cannot use '${name}': its name is not valid UTF-8 (OMS names files in UTF-8)`, { path: name });
}

function realpathOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

function symlinkNotAllowed(name: string): HashingError {
  return new HashingError('SYMLINK_NOT_ALLOWED', `Cannot use '${name}' because it is a symlink; use --allow-symlinks to follow links inside the model`, {
    path: name,
  });
}

function specialFile(name: string): HashingError {
  return new HashingError('SPECIAL_FILE', `Cannot use '${name}': it is not a regular file or folder`, { path: name });
}

function lstatOrThrow(p: string, name: string): fs.Stats {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    throw statError(e, p, name);
  }
}

function statOrThrow(p: string, name: string): fs.Stats {
  try {
    return fs.statSync(p);
  } catch (e) {
    throw statError(e, p, name);
  }
}

function realpathOrThrow(p: string, name: string): string {
  try {
    return fs.realpathSync(p);
  } catch (e) {
    throw statError(e, p, name);
  }
}

function statError(e: unknown, p: string, name: string): HashingError {
  const code = errnoCode(e);
  if (code === 'ELOOP') return new HashingError('SYMLINK_CYCLE', `Cannot use '${name}': the link leads to itself`, { path: name }, e);
  if (name === '.' && code === 'ENOENT') return new HashingError('MODEL_NOT_FOUND', `Model path '${p}' does not exist`, { path: p }, e);
  if (code === 'ENOENT') return new HashingError('SPECIAL_FILE', `Cannot use '${name}': it is missing, or a link to nothing`, { path: name }, e);
  return new HashingError('FILE_READ_ERROR', `Cannot read '${name}': ${code ?? String(e)}`, { path: name }, e);
}
