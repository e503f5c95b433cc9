// A model on the Hub checked against its signature before anything large is downloaded: storage-backed
// files by the sha256 the listing gives, the small files git keeps by their bytes.
import { createHash } from 'node:crypto';
import { throwIfAborted } from '../abort';
import { ModelSigningError } from '../errors';
import { GIT_PATHS, isIgnored } from '../hashing/walk';
import { eachBounded } from '../io/eachBounded';
import { Manifest, ResourceDescriptor, Serialization, parseShardName } from '../manifest/manifest';
import { Bundle, MAX_BUNDLE_BYTES, parseBundle } from '../signing/bundle';
import { toManifest } from '../signing/statement';
import { VerifiedSignature, Verifier } from '../verifying/verifier';
import { VerificationResult, compareWithSignature } from '../verifying/verifyModel';
import { HubClient, HubFile } from './hubClient';
import { HubRepoRef } from './hubRepo';

export const DEFAULT_HUB_SIGNATURE = 'model.sig';

/** Files git keeps in the repository itself are small (the Hub sends larger ones to LFS or Xet); this caps what is read into memory. */
const MAX_GIT_FILE_BYTES = 64 << 20;
/** Small files fetched at once. */
const PARALLEL_SMALL_FILES = 8;

export interface VerifyHubModelOptions {
  client: HubClient;
  ref: HubRepoRef;
  /** The verifier, or how to choose one once the signature's kind is known (the extension asks for a key only then). */
  verifier: Verifier | ((bundle: Bundle) => Promise<Verifier>);
  /** The signature's path in the repository (default `model.sig`); always left out of the model. */
  signaturePath?: string;
  /** More repository paths to leave out. */
  ignorePaths?: readonly string[];
  /** Leave out the git paths for signatures that record no ignore list (default true), as `verify` does. */
  ignoreGitPaths?: boolean;
  ignoreUnsignedFiles?: boolean;
  signal?: AbortSignal;
  /** Each step as it starts: the commit resolved, the files listed, the small files fetched. */
  onStep?: (step: HubStep) => void;
}

export type HubStep =
  { kind: 'commit'; commit: string } | { kind: 'listed'; files: number; bytes: number } | { kind: 'small-file'; path: string; done: number; total: number };

/** What `hub verify` found: a VerificationResult as `verify` gives, and how each file was checked. */
export interface HubVerificationResult extends VerificationResult {
  repoId: string;
  revision: string;
  /** The commit the revision named when it was resolved; everything was read from it. */
  commit: string;
  signaturePath: string;
  /** Files whose sha256 the Hub's listing gave (LFS/Xet storage), and files fetched and hashed (kept in git). */
  checkedByMetadata: string[];
  checkedByBytes: string[];
}

/** The result, with what a download reuses: the listing, the signature's bytes and the small files already fetched. */
export interface HubVerification {
  result: HubVerificationResult;
  files: HubFile[];
  signature: Buffer;
  fetched: Map<string, Buffer>;
}

/** The verified signature of a model on the Hub, and the files of the commit it is compared with. */
export interface HubSignature {
  commit: string;
  signaturePath: string;
  /** Every file of the commit, and those that are part of the model (not ignored; only signed ones with ignoreUnsignedFiles). */
  files: HubFile[];
  inModel: HubFile[];
  signature: Buffer;
  verified: VerifiedSignature;
  expected: Manifest;
}

/**
 * Resolves the revision to a commit, reads the signature from it and verifies it, lists the commit's files
 * and compares them with the signed manifest. Only a signature over files + sha256 can be checked this way.
 */
export async function verifyHubModel(options: VerifyHubModelOptions): Promise<HubVerification> {
  return compareWithListing(options, await readHubSignature(options));
}

/** A signature the listing's sha256 cannot check: over shards, or hashed with another algorithm. */
export function needsBytes(s: Serialization): boolean {
  return s.method !== 'files' || s.hashType !== 'sha256';
}

/** The revision pinned to a commit, the commit's files listed, and the signature read from it and verified. */
export async function readHubSignature(options: VerifyHubModelOptions): Promise<HubSignature> {
  const { client, ref, signal } = options;
  const signaturePath = options.signaturePath ?? DEFAULT_HUB_SIGNATURE;
  const commit = await client.resolveCommit(ref, signal);
  options.onStep?.({ kind: 'commit', commit });
  const files = await client.listFiles(ref.id, commit, signal);
  options.onStep?.({ kind: 'listed', files: files.length, bytes: files.reduce((n, f) => n + f.size, 0) });
  if (!files.some((f) => f.path === signaturePath)) {
    throw new ModelSigningError('HUB_NOT_FOUND', `${ref.id}@${commit} has no signature '${signaturePath}' (give its path in the repository with --signature)`, {
      repo: ref.id,
      commit,
      signaturePath,
    });
  }
  const signature = await client.readFile(ref.id, commit, signaturePath, MAX_BUNDLE_BYTES, signal);
  // Crypto first: nothing in an unverified payload is trusted, not even its ignore paths.
  const bundle = parseBundle(signature.toString('utf8'));
  const verifier = typeof options.verifier === 'function' ? await options.verifier(bundle) : options.verifier;
  const verified = await verifier.verify(bundle);
  const expected = toManifest(verified.payload);
  const signed = expected.serialization;
  throwIfAborted(signal);
  const ignorePaths = [
    signaturePath,
    ...(options.ignorePaths ?? []),
    ...signed.ignorePaths,
    ...(signed.ignorePathsRecorded || options.ignoreGitPaths === false ? [] : GIT_PATHS),
  ];
  const signedFiles = new Set(expected.resources.map((r) => (signed.method === 'shards' ? parseShardName(r.name)!.path : r.name)));
  const inModel = files.filter((f) => !isIgnored(f.path, ignorePaths) && (!options.ignoreUnsignedFiles || signedFiles.has(f.path)));
  return { commit, signaturePath, files, inModel, signature, verified, expected };
}

/** The signed manifest against the listing: storage-backed files by their listed sha256, the others fetched and hashed. */
export async function compareWithListing(options: VerifyHubModelOptions, sig: HubSignature): Promise<HubVerification> {
  const { client, ref, signal } = options;
  const { commit, files, inModel, signature, expected } = sig;
  const signed = expected.serialization;
  if (needsBytes(signed)) {
    throw new ModelSigningError(
      'HUB_NEEDS_BYTES',
      `The signature is over ${signed.method === 'files' ? 'files' : 'shards'} hashed with ${signed.hashType}; the Hub lists only each file's sha256, so checking it needs the bytes: use hub download`,
      { method: signed.method, hashType: signed.hashType },
    );
  }
  const signedNames = new Set(expected.resources.map((r) => r.name));
  const fetched = new Map<string, Buffer>();
  const resources: ResourceDescriptor[] = [];
  const checkedByMetadata: string[] = [];
  const checkedByBytes: string[] = [];
  const small: HubFile[] = [];
  for (const f of inModel) {
    if (f.lfs) {
      resources.push({ name: f.path, algorithm: 'sha256', digest: f.lfs.sha256 });
      checkedByMetadata.push(f.path);
    } else if (!signedNames.has(f.path)) {
      // Extra whatever its bytes are: no need to fetch it.
      resources.push({ name: f.path, algorithm: 'sha256', digest: '' });
    } else {
      small.push(f);
    }
  }
  let done = 0;
  await eachBounded(
    small,
    PARALLEL_SMALL_FILES,
    async (f) => {
      options.onStep?.({ kind: 'small-file', path: f.path, done, total: small.length });
      const bytes = await client.readFile(ref.id, commit, f.path, MAX_GIT_FILE_BYTES, signal);
      done++;
      fetched.set(f.path, bytes);
      resources.push({ name: f.path, algorithm: 'sha256', digest: createHash('sha256').update(bytes).digest('hex') });
      checkedByBytes.push(f.path);
    },
    signal,
  );
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const result = hubResult(options.ref, sig, new Manifest(expected.modelName, signed, resources), checkedByMetadata.sort(byName), checkedByBytes.sort(byName));
  return { result, files, signature, fetched };
}

/** The comparison as `verify` reports it, with where it was read from and how each file was checked. */
export function hubResult(ref: HubRepoRef, sig: HubSignature, actual: Manifest, checkedByMetadata: string[], checkedByBytes: string[]): HubVerificationResult {
  return {
    ...compareWithSignature(sig.expected, actual, sig.verified),
    repoId: ref.id,
    revision: ref.revision,
    commit: sig.commit,
    signaturePath: sig.signaturePath,
    checkedByMetadata,
    checkedByBytes,
  };
}
