// A model downloaded from the Hub only when it verifies: checked from the listing first (nothing large is
// fetched if that already disagrees), then every file hashed as it streams into a folder beside the
// target, which becomes the target only when every file matched the signature.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { throwIfAborted } from '../abort';
import { ModelSigningError, errnoCode } from '../errors';
import { eachBounded } from '../io/eachBounded';
import { HashProgress } from '../manifest/serializer';
import { placeInCache } from './cachePlacement';
import { HubClient, HubFile } from './hubClient';
import { streamVerifiedFile } from './streamVerifiedFile';
import { HubVerificationResult, VerifyHubModelOptions, verifyHubModel } from './verifyHubModel';

export interface DownloadHubModelOptions extends VerifyHubModelOptions {
  /** The folder to create (an existing one must be empty), or with `hfCache` the Hugging Face cache folder. */
  to: string;
  /** Write into `to` in the Hugging Face cache's layout (blobs, snapshots/<commit>, refs/<revision>). */
  hfCache?: boolean;
  /** Files downloaded at once (default 4). */
  parallel?: number;
  onProgress?: (p: HashProgress) => void;
}

export interface HubDownloadResult {
  result: HubVerificationResult;
  /** False when the listing already disagreed with the signature: nothing was downloaded. */
  downloaded: boolean;
  /** Where the model is: the target folder, or its snapshot folder in the cache. */
  to: string;
  files: number;
  bytes: number;
}

const DEFAULT_PARALLEL = 4;

export async function downloadHubModel(options: DownloadHubModelOptions): Promise<HubDownloadResult> {
  const to = path.resolve(options.to);
  if (!options.hfCache) checkTarget(to);
  const { result, files, signature, fetched } = await verifyHubModel(options);
  if (!result.ok) return { result, downloaded: false, to, files: 0, bytes: 0 };

  const signed = new Map(result.manifest.resources.map((r) => [r.name, r.digest]));
  const stored = files.filter((f) => f.lfs && signed.has(f.path));
  const small = [...fetched].filter(([name]) => signed.has(name));
  const bytesTotal = stored.reduce((n, f) => n + f.size, 0);
  const filesTotal = signed.size;
  let bytesDone = 0;
  const progress = (n: number, currentFile?: string) => {
    bytesDone += n;
    options.onProgress?.({ bytesDone, bytesTotal, filesTotal, currentFile });
  };

  // Beside the target, or in the cache: on the same file system, so that placing is renaming.
  const stagingParent = options.hfCache ? to : path.dirname(to);
  fs.mkdirSync(stagingParent, { recursive: true });
  const staging = path.join(stagingParent, `.${path.basename(to)}.${randomBytes(6).toString('hex')}.download`);
  fs.mkdirSync(staging);
  let placed = to;
  try {
    await writeInto(staging, result.signaturePath, signature);
    for (const [name, bytes] of small) await writeInto(staging, name, bytes);
    progress(0);
    await downloadAll(stored, options.parallel ?? DEFAULT_PARALLEL, options.signal, (f, signal) =>
      downloadOne(options.client, result, f, signed.get(f.path)!, staging, progress, signal),
    );
    throwIfAborted(options.signal);
    if (options.hfCache) {
      const names = [result.signaturePath, ...small.map(([name]) => name), ...stored.map((f) => f.path)];
      placed = await placeInCache(staging, { cache: to, repoId: result.repoId, commit: result.commit, revision: result.revision, names, listing: files });
      fs.rmSync(staging, { recursive: true, force: true });
    } else place(staging, to);
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  return { result, downloaded: true, to: placed, files: filesTotal, bytes: bytesTotal + small.reduce((n, [, b]) => n + b.length, 0) };
}

/**
 * Every file, `parallel` at once; the first failure stops the others, and all of them have settled
 * (no transfer still writes into the staging folder) before it is thrown.
 */
async function downloadAll(files: HubFile[], parallel: number, outer: AbortSignal | undefined, work: (f: HubFile, signal: AbortSignal) => Promise<void>) {
  const stop = new AbortController();
  const signal = outer ? AbortSignal.any([outer, stop.signal]) : stop.signal;
  let failure: Error | undefined;
  await eachBounded(files, parallel, async (f) => {
    if (signal.aborted) return;
    try {
      await work(f, signal);
    } catch (e) {
      failure ??= e instanceof Error ? e : new Error(String(e));
      stop.abort();
    }
  });
  if (failure !== undefined) throw failure;
}

async function downloadOne(
  client: HubClient,
  result: HubVerificationResult,
  file: HubFile,
  digest: string,
  staging: string,
  progress: (n: number, currentFile?: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const dest = path.join(staging, ...file.path.split('/'));
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });
  const got = await streamVerifiedFile({
    open: (start) => client.openFile(result.repoId, result.commit, file.path, { start, signal }),
    dest,
    size: file.size,
    hash: () => createHash('sha256'),
    what: `${result.repoId}/${file.path}`,
    onBytes: (n) => progress(n, file.path),
    signal,
  });
  if (got !== digest) {
    throw new ModelSigningError(
      'HUB_FILE_MISMATCH',
      `${file.path}: the Hub sent other bytes than were signed (expected sha256:${digest}, got sha256:${got}); nothing was written to the target folder`,
      { file: file.path, expected: digest, actual: got },
    );
  }
}

/** A new folder, or an empty one: a download never mixes with or replaces files that are there. */
function checkTarget(to: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(to);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return;
    throw new ModelSigningError('OUTPUT_EXISTS', `'${to}' exists and is not a folder`, { path: to });
  }
  if (entries.length > 0) throw new ModelSigningError('OUTPUT_EXISTS', `'${to}' is not empty: download into a new or empty folder`, { path: to });
}

/** The verified folder takes the target's name in one rename (an empty target folder is removed first). */
function place(staging: string, to: string): void {
  try {
    if (fs.existsSync(to)) fs.rmdirSync(to);
    fs.renameSync(staging, to);
  } catch (e) {
    throw new ModelSigningError('WRITE_FAILED', `Cannot move the verified model to '${to}': ${errnoCode(e) ?? String(e)}`, { path: to }, e);
  }
}

async function writeInto(root: string, name: string, bytes: Buffer): Promise<void> {
  const file = path.join(root, ...name.split('/'));
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await fs.promises.writeFile(file, bytes, { flag: 'wx' });
}
