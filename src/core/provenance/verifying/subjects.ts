// The subjects of a statement against the model on disk. The model is hashed
// once, as `model-signing digest` hashes it (files, sha256, the default
// ignores, in the worker pool) but without its OMS signature, which gives
// every file's digest and the OMS root digest. A subject is the whole model by its root digest; in a folder,
// it binds a file by name and digest (so a loader cannot be handed a renamed
// file); a single file is matched by digest alone, as slsa-verifier does.
import * as path from 'node:path';
import { eachBounded } from '../../io/eachBounded';
import { isModelSigningError } from '../../errors';
import { detectModelFormat } from '../../formats/detectModelFormat';
import type { HashPool } from '../../hashing/hashPool';
import { toPosix } from '../../hashing/walk';
import type { Manifest } from '../../manifest/manifest';
import type { HashProgress } from '../../manifest/serializer';
import { serializeModelWithoutSignatures } from '../../signing/signatureFiles';
import { Subject, SubjectMatch } from '../types';

/** The model as provenance sees it: each file's sha256 and the OMS root digest. */
export interface ModelDigests {
  /** Absolute path of the model (folder or single file). */
  root: string;
  isFile: boolean;
  manifest: Manifest;
  /** Lowercase hex, what `model-signing digest` prints after `sha256:`. */
  rootDigest: string;
  /** Model-relative POSIX path → sha256 (a single-file model's file under its own name). */
  files: Map<string, string>;
}

export interface HashModelOptions {
  pool: HashPool;
  /** Absolute, or relative to the model. */
  ignorePaths?: readonly string[];
  ignoreGitPaths?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: HashProgress) => void;
}

/** Hashes the model with `model-signing digest`'s defaults, leaving out its OMS signature as `attest` does. */
export async function hashModelForProvenance(modelPath: string, options: HashModelOptions): Promise<ModelDigests> {
  const root = path.resolve(modelPath);
  const { manifest } = await serializeModelWithoutSignatures(root, {
    pool: options.pool,
    method: 'files',
    hashAlgorithm: 'sha256',
    ignorePaths: options.ignorePaths,
    ignoreGitPaths: options.ignoreGitPaths ?? true,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  const isFile = manifest.resources.length === 1 && manifest.resources[0]!.name === '.';
  const files = new Map<string, string>();
  for (const r of manifest.resources) files.set(r.name === '.' ? path.basename(root) : r.name, r.digest.toLowerCase());
  return { root, isFile, manifest, rootDigest: manifest.rootDigest(), files };
}

/** Format detections in flight at once: each is a few small reads, so one after another would leave the disk idle. */
const DETECT_CONCURRENCY = 32;

/**
 * Each subject against the model. A subject whose sha256 is the model's root digest covers the whole model
 * whatever anything is called. Otherwise, in a folder, a subject binds the file of its name with its digest: a
 * named file that is missing, renamed or changed fails. A single file is matched by digest alone (slsa-verifier's
 * meaning: builders name artifacts freely), and the subjects of other artifacts say nothing about it.
 */
export async function matchSubjects(subjects: readonly Subject[], model: ModelDigests, options: { signal?: AbortSignal } = {}): Promise<SubjectMatch[]> {
  const byDigest = new Map<string, string[]>();
  for (const [name, digest] of model.files) {
    const same = byDigest.get(digest);
    if (same) same.push(name);
    else byDigest.set(digest, [name]);
  }
  const modelName = path.basename(model.root);
  const out = subjects.map((subject) => (model.isFile ? matchFile(subject, model, modelName) : matchInFolder(subject, model, modelName, byDigest)));
  // The detected format of each matched (or named) file, a bounded number at a time.
  await eachBounded(
    out,
    DETECT_CONCURRENCY,
    async (match) => {
      const file = match.files[0] ?? match.changedFile;
      if (file === undefined) return;
      const format = await formatOf(model.isFile ? model.root : path.join(model.root, ...file.split('/')), options.signal);
      if (format) match.format = format;
    },
    options.signal,
  );
  return out;
}

function matchFile(subject: Subject, model: ModelDigests, modelName: string): SubjectMatch {
  const sha256 = subject.digest.sha256?.toLowerCase();
  if (sha256 !== undefined && sha256 === model.rootDigest) return { subject, matchedBy: 'root-digest', files: [], status: 'ok' };
  if (sha256 !== undefined && sha256 === model.files.get(modelName)) return { subject, matchedBy: 'file', files: [modelName], status: 'ok' };
  const named = namedFile(subject.name, model, modelName);
  return { subject, matchedBy: 'none', files: [], status: 'other-artifact', ...(named !== undefined ? { changedFile: named } : {}) };
}

function matchInFolder(subject: Subject, model: ModelDigests, modelName: string, byDigest: Map<string, string[]>): SubjectMatch {
  const sha256 = subject.digest.sha256?.toLowerCase();
  if (sha256 !== undefined && sha256 === model.rootDigest) return { subject, matchedBy: 'root-digest', files: [], status: 'ok' };
  const named = namedFile(subject.name, model, modelName);
  if (named !== undefined && sha256 !== undefined && sha256 === model.files.get(named)) return { subject, matchedBy: 'file', files: [named], status: 'ok' };
  const sameContent = (sha256 !== undefined ? (byDigest.get(sha256) ?? []) : []).filter((f) => f !== named);
  const match: SubjectMatch = { subject, matchedBy: 'none', files: [], status: 'failed', ...(sameContent.length > 0 ? { sameContent } : {}) };
  if (named !== undefined) match.changedFile = named;
  else if (toPosix(subject.name).replace(/\/+$/, '') === modelName) match.changedModel = true;
  return match;
}

/** The model file a subject's name designates: its relative path, or that path under the model's folder name. */
function namedFile(name: string, model: ModelDigests, modelName: string): string | undefined {
  const n = toPosix(name).replace(/^(\.\/)+/, '');
  if (n === '') return undefined;
  if (model.files.has(n)) return n;
  if (n.startsWith(`${modelName}/`) && model.files.has(n.slice(modelName.length + 1))) return n.slice(modelName.length + 1);
  return undefined;
}

async function formatOf(file: string, signal?: AbortSignal) {
  try {
    const format = await detectModelFormat(file, { signal });
    return format.kind === 'unknown' ? undefined : format;
  } catch (e) {
    // Cancellation goes up; a file that cannot be read only loses its label.
    if (isModelSigningError(e) && e.code === 'CANCELLED') throw e;
    return undefined;
  }
}

/**
 * The model's files no subject covers (sorted): none when a subject is the root digest; else, of a folder, the
 * files no subject names (added, renamed or copied; a changed file is named, and its subject fails), of a single
 * file, the file when no subject has its digest.
 */
export function uncoveredFiles(matches: readonly SubjectMatch[], model: ModelDigests): string[] {
  if (matches.some((m) => m.matchedBy === 'root-digest')) return [];
  const covered = new Set(matches.flatMap((m) => (m.status === 'failed' && m.changedFile !== undefined ? [m.changedFile] : m.files)));
  return [...model.files.keys()].filter((f) => !covered.has(f)).sort();
}
