import * as path from 'node:path';
import { throwIfAborted } from '../abort';
import { HashPool } from '../hashing/hashPool';
import { listModelFiles } from '../hashing/walk';
import { Manifest, ManifestDiff, Serialization, diffManifests, isEmptyDiff, parseShardName } from '../manifest/manifest';
import { HashProgress, hashListing, modelName } from '../manifest/serializer';
import { Bundle, readBundle } from '../signing/bundle';
import { bundleTimestamps } from '../signing/timestamps';
import { toManifest } from '../signing/statement';
import { SigningTime, TimestampVerifier, signingTime } from './signingTime';
import { SignerCheck, SignerInfo, VerifiedSignature, Verifier } from './verifier';

export interface VerifyModelOptions {
  verifier: Verifier;
  pool: HashPool;
  /** The signature file (always left out of the model), or an already parsed bundle with `signaturePath` still naming its file. */
  signaturePath: string;
  bundle?: Bundle;
  /** More paths to leave out, absolute or relative to the model root; the bundle's recorded ones always apply. */
  ignorePaths?: readonly string[];
  /** Leave out the git paths (default true), for signatures that record no ignore list; a recorded list is followed exactly. */
  ignoreGitPaths?: boolean;
  /** Follow links even if the signer did not; the signer's setting always applies. */
  allowSymlinks?: boolean;
  /** Hash only the signed files; files on disk that were not signed are not reported. */
  ignoreUnsignedFiles?: boolean;
  /** Checks the RFC 3161 timestamps of key and certificate signatures; without it they are not checked, and the current time applies. */
  timestamps?: TimestampVerifier;
  signal?: AbortSignal;
  onProgress?: (p: HashProgress) => void;
}

/** What a verification found, as data: the CLI prints it, the extension shows it. */
export interface VerificationResult {
  /** The signature holds and the model on disk matches it. */
  ok: boolean;
  signer: SignerInfo;
  /** The subject name recorded in the signature. */
  modelName: string;
  rootDigest: string;
  serialization: Serialization;
  /** The signed manifest. */
  manifest: Manifest;
  diff: ManifestDiff;
  warnings: string[];
  /** For key and certificate signatures: the time the signature was checked at, and why (keyless ones are checked at their log or timestamp time). */
  signingTime?: SigningTime;
  /** What the verifier required of the signer, and what the certificate said. */
  signerChecks?: SignerCheck[];
}

/**
 * Checks a model against its signature, in order: the signature and its key or
 * chain, the statement and its root digest, then the files on disk hashed with
 * the signer's own settings (method, hash, shard size, ignore paths).
 */
export async function verifyModel(modelPath: string, options: VerifyModelOptions): Promise<VerificationResult> {
  const bundle = options.bundle ?? (await readBundle(options.signaturePath));
  // Crypto first: nothing in an unverified payload is trusted, not even its ignore paths.
  const time = options.verifier.checksOwnTimestamps ? undefined : await signingTime(bundle, options.timestamps);
  const verified = await options.verifier.verify(bundle, time && { at: new Date(time.time) });
  const expected = toManifest(verified.payload);
  throwIfAborted(options.signal);

  const signed = expected.serialization;
  const ignorePaths = [...(options.ignorePaths ?? []), path.resolve(options.signaturePath), ...signed.ignorePaths];
  const only = options.ignoreUnsignedFiles
    ? new Set(expected.resources.map((r) => (signed.method === 'shards' ? parseShardName(r.name)!.path : r.name)))
    : undefined;
  const listing = await listModelFiles(modelPath, {
    ignorePaths,
    // A recorded list is all the signer left out: the verifier's default git paths would let
    // a `.git/config` (whose core.fsmonitor runs a command) be added to a model signed with them.
    ignoreGitPaths: signed.ignorePathsRecorded ? false : (options.ignoreGitPaths ?? true),
    allowSymlinks: signed.allowSymlinks || (options.allowSymlinks ?? false),
    only,
    signal: options.signal,
  });
  const resources = await hashListing(listing, signed, options);
  const actual = new Manifest(modelName(modelPath), { ...signed, ignorePaths: listing.ignorePaths }, resources);
  return compareWithSignature(expected, actual, verified, time && { time, timestamped: bundleTimestamps(bundle).length > 0 });
}

/**
 * The files found (`actual`) against the signed manifest of a verified signature: the result verify reports. With
 * the time a key or certificate signature was checked at (and whether the bundle carried timestamps).
 */
export function compareWithSignature(
  expected: Manifest,
  actual: Manifest,
  verified: VerifiedSignature,
  checked?: { time: SigningTime; timestamped: boolean },
): VerificationResult {
  const time = checked?.time;
  const diff = diffManifests(expected, actual);
  return {
    ok: isEmptyDiff(diff),
    signer: verified.signer,
    modelName: expected.modelName,
    rootDigest: expected.rootDigest(),
    serialization: expected.serialization,
    manifest: expected,
    diff,
    warnings: [...verified.warnings, ...(time?.source === 'current-time' && checked?.timestamped ? [`Signing time not proven: ${time.reason}`] : [])],
    ...(time ? { signingTime: time } : {}),
    ...(verified.signerChecks ? { signerChecks: verified.signerChecks } : {}),
  };
}
