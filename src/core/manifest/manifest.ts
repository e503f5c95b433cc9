import { createHash } from 'node:crypto';
import { HashAlgorithm } from '../hashing/algorithm';
import { compareNames } from '../hashing/walk';

export type SerializationMethod = 'files' | 'shards';

/** The default shard size of the reference (10^9 bytes, not GiB). */
export const DEFAULT_SHARD_SIZE = 1_000_000_000;

/** How a model was turned into resources: the `serialization` object of the predicate. */
export interface Serialization {
  method: SerializationMethod;
  hashType: HashAlgorithm;
  allowSymlinks: boolean;
  /** Shards only. */
  shardSize?: number;
  /** Relative POSIX paths left out when the model was hashed; a set, kept sorted. */
  ignorePaths: string[];
  /**
   * The signature states its ignore list, even an empty one: verification then
   * leaves out exactly those paths. False for signatures that have no
   * `ignore_paths` (the reference's before v1.0.1, and any it made with nothing ignored).
   */
  ignorePathsRecorded?: boolean;
}

/** One entry of `predicate.resources`: a file (`path`) or a shard (`path:start:end`). */
export interface ResourceDescriptor {
  name: string;
  /** `sha256`, `blake2b`, `blake3`, or the reference's shard form `sha256-sharded-<size>`. */
  algorithm: string;
  /** Lowercase hex. */
  digest: string;
}

/** A shard name split into its file path and byte range, parsed from the right as the OMS spec says. */
export interface ShardName {
  path: string;
  start: number;
  end: number;
}

export function shardName(path: string, start: number, end: number): string {
  return `${path}:${start}:${end}`;
}

export function parseShardName(name: string): ShardName | undefined {
  const m = /^(.*):(0|[1-9][0-9]*):(0|[1-9][0-9]*)$/.exec(name);
  if (!m) return undefined;
  const start = Number(m[2]);
  const end = Number(m[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  return { path: m[1]!, start, end };
}

/** `sha256-sharded-8` → `sha256`: the engine behind a resource algorithm. */
export function engineOf(algorithm: string): string {
  return algorithm.replace(/-sharded-[0-9]+$/, '');
}

/** The reference's resource algorithm name for a method, engine and shard size. */
export function resourceAlgorithm(serialization: Serialization): string {
  return serialization.method === 'shards' ? `${serialization.hashType}-sharded-${serialization.shardSize ?? DEFAULT_SHARD_SIZE}` : serialization.hashType;
}

/**
 * Canonical resource order: path components as UTF-8 bytes, then shard offsets
 * numerically (`f:0:10` < `f:10:20` < `f:100:110`).
 */
export function compareResources(a: string, b: string, method: SerializationMethod): number {
  if (method !== 'shards') return compareNames(a, b);
  const sa = parseShardName(a);
  const sb = parseShardName(b);
  if (!sa || !sb) return compareNames(a, b);
  return compareNames(sa.path, sb.path) || sa.start - sb.start || sa.end - sb.end;
}

/**
 * The signed description of a model: its resources in canonical order and how
 * they were made. Two manifests are equal when their resources are; the model
 * name is informational only.
 */
export class Manifest {
  readonly resources: readonly ResourceDescriptor[];

  constructor(
    readonly modelName: string,
    readonly serialization: Serialization,
    resources: readonly ResourceDescriptor[],
    { sort = true }: { sort?: boolean } = {},
  ) {
    this.resources = sort ? [...resources].sort((a, b) => compareResources(a.name, b.name, serialization.method)) : [...resources];
  }

  /**
   * SHA-256 over the raw bytes of every resource digest, in listed order:
   * the subject digest of the statement, and what `model-signing digest` prints.
   */
  rootDigest(): string {
    return rootDigestOf(this.resources);
  }
}

export function rootDigestOf(resources: readonly ResourceDescriptor[]): string {
  const h = createHash('sha256');
  for (const r of resources) h.update(Buffer.from(r.digest, 'hex'));
  return h.digest('hex');
}

export interface ChangedResource {
  name: string;
  expected: { algorithm: string; digest: string };
  actual: { algorithm: string; digest: string };
}

/** What differs between the signed manifest and the model on disk. */
export interface ManifestDiff {
  /** On disk, not signed. */
  extra: string[];
  /** Signed, not on disk. */
  missing: string[];
  changed: ChangedResource[];
}

/**
 * Compares by resource name. Algorithms compare by engine, so a shard written
 * as `sha256` (OMS spec) and as `sha256-sharded-N` (reference) are the same.
 */
export function diffManifests(expected: Manifest, actual: Manifest): ManifestDiff {
  const want = new Map(expected.resources.map((r) => [r.name, r]));
  const have = new Map(actual.resources.map((r) => [r.name, r]));
  const method = expected.serialization.method;
  const byName = (a: string, b: string) => compareResources(a, b, method);
  const extra = [...have.keys()].filter((n) => !want.has(n)).sort(byName);
  const missing = [...want.keys()].filter((n) => !have.has(n)).sort(byName);
  const changed: ChangedResource[] = [];
  for (const [name, w] of want) {
    const h = have.get(name);
    if (!h) continue;
    if (engineOf(w.algorithm) !== engineOf(h.algorithm) || w.digest.toLowerCase() !== h.digest.toLowerCase()) {
      changed.push({ name, expected: { algorithm: w.algorithm, digest: w.digest }, actual: { algorithm: h.algorithm, digest: h.digest } });
    }
  }
  changed.sort((a, b) => byName(a.name, b.name));
  return { extra, missing, changed };
}

export function isEmptyDiff(d: ManifestDiff): boolean {
  return d.extra.length === 0 && d.missing.length === 0 && d.changed.length === 0;
}
