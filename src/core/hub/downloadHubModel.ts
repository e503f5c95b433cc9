// A model downloaded from the Hub only when it verifies: checked from the listing first (nothing large is
// fetched if that already disagrees), then every file hashed as it streams into a folder beside the
// target, which becomes the target only when every file matched the signature.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { throwIfAborted } from '../abort';
import { ModelSigningError, errnoCode } from '../errors';
import { eachBounded } from '../io/eachBounded';
import { HashPool } from '../hashing/hashPool';
import { listModelFiles } from '../hashing/walk';
import { Manifest } from '../manifest/manifest';
import { HashProgress, hashListing } from '../manifest/serializer';
import { placeInCache } from './cachePlacement';
import { HubFile } from './hubClient';
import { noHash, streamVerifiedFile } from './streamVerifiedFile';
import { HubSignature, HubVerificationResult, VerifyHubModelOptions, compareWithListing, hubResult, needsBytes, readHubSignature } from './verifyHubModel';

export interface DownloadHubModelOptions extends VerifyHubModelOptions {
  /** The folder to create (an existing one must be empty), or with `hfCache` the Hugging Face cache folder. */
  to: string;
  /** Write into `to` in the Hugging Face cache's layout (blobs, snapshots/<commit>, refs/<revision>). */
  hfCache?: boolean;
  /** Files downloaded at once (default 4). */
  parallel?: number;
  /** Hashes what was downloaded when the signature is not over files + sha256 (shards, blake2b, blake3). */
  pool?: HashPool;
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
  const sig = await readHubSignature(options);
  const signed = sig.expected.serialization;
  // A signature over files + sha256 is checked from the listing before anything large is fetched, and each
  // file as it streams; any other is checked by hashing what was downloaded, before it is put in place.
  const byBytes = needsBytes(signed);
  if (byBytes && !options.pool) throw new ModelSigningError('INVALID_OPTION', 'Checking this signature needs a hash pool', {});
  let result: HubVerificationResult | undefined;
  let fetched = new Map<string, Buffer>();
  const digests = new Map(sig.expected.resources.map((r) => [r.name, r.digest]));
  if (!byBytes) {
    const checked = await compareWithListing(options, sig);
    if (!checked.result.ok) return { result: checked.result, downloaded: false, to, files: 0, bytes: 0 };
    result = checked.result;
    fetched = new Map([...checked.fetched].filter(([name]) => digests.has(name)));
  }
  const transfers = byBytes ? sig.inModel : sig.inModel.filter((f) => f.lfs && digests.has(f.path));
  const bytesTotal = transfers.reduce((n, f) => n + f.size, 0);
  const filesTotal = transfers.length + fetched.size;
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
    await writeInto(staging, sig.signaturePath, sig.signature);
    for (const [name, bytes] of fetched) await writeInto(staging, name, bytes);
    progress(0);
    await downloadAll(transfers, options.parallel ?? DEFAULT_PARALLEL, options.signal, (f, signal) =>
      downloadOne(options, sig.commit, f, byBytes ? undefined : digests.get(f.path)!, staging, progress, signal),
    );
    throwIfAborted(options.signal);
    result ??= await hashStaged(options, sig, staging, transfers);
    if (!result.ok) {
      fs.rmSync(staging, { recursive: true, force: true });
      return { result, downloaded: false, to, files: 0, bytes: 0 };
    }
    if (options.hfCache) {
      const names = [sig.signaturePath, ...fetched.keys(), ...transfers.map((f) => f.path)];
      placed = await placeInCache(staging, {
        cache: to,
        repoId: options.ref.id,
        commit: sig.commit,
        revision: options.ref.revision,
        names,
        listing: sig.files,
      });
      fs.rmSync(staging, { recursive: true, force: true });
    } else place(staging, to);
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  return { result, downloaded: true, to: placed, files: filesTotal, bytes: bytesTotal + [...fetched.values()].reduce((n, b) => n + b.length, 0) };
}

/** The downloaded files hashed as the signature says (shards, blake2b, blake3): a second pass, from the page cache. */
async function hashStaged(options: DownloadHubModelOptions, sig: HubSignature, staging: string, transfers: HubFile[]): Promise<HubVerificationResult> {
  const signed = sig.expected.serialization;
  const listing = await listModelFiles(staging, { ignorePaths: [path.join(staging, sig.signaturePath)], ignoreGitPaths: false, signal: options.signal });
  const resources = await hashListing(listing, signed, { pool: options.pool!, signal: options.signal });
  const names = transfers.map((f) => f.path).sort();
  return hubResult(options.ref, sig, new Manifest(sig.expected.modelName, signed, resources), [], names);
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

/** One file into the staging folder; with the signed digest, hashed as it streams and refused if it differs. */
async function downloadOne(
  options: DownloadHubModelOptions,
  commit: string,
  file: HubFile,
  digest: string | undefined,
  staging: string,
  progress: (n: number, currentFile?: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const repoId = options.ref.id;
  const dest = path.join(staging, ...file.path.split('/'));
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });
  const got = await streamVerifiedFile({
    open: (start) => options.client.openFile(repoId, commit, file.path, { start, signal }),
    dest,
    size: file.size,
    hash: digest === undefined ? noHash : () => createHash('sha256'),
    what: `${repoId}/${file.path}`,
    onBytes: (n) => progress(n, file.path),
    signal,
  });
  if (digest !== undefined && got !== digest) {
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
