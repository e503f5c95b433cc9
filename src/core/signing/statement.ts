import { FormatError, VerificationError } from '../errors';
import { parseJson } from '../io/parseJson';
import { DIGEST_LENGTH, isHashAlgorithm } from '../hashing/algorithm';
import { Manifest, ResourceDescriptor, Serialization, engineOf, parseShardName, rootDigestOf } from '../manifest/manifest';

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://model_signing/signature/v1.0';
/** v0.2.0 signatures: one subject per file, no root digest. Read only. */
export const PREDICATE_TYPE_COMPAT = 'https://model_signing/Digests/v0.1';
/** The model name the reference gives manifests read from v0.2.0 payloads. */
export const COMPAT_MODEL_NAME = 'compat-undefined-not-present';

/**
 * The in-toto statement of a signed model, e.g.
 * ```json
 * {
 *   "_type": "https://in-toto.io/Statement/v1",
 *   "subject": [{ "name": "my-model", "digest": { "sha256": "<root digest>" } }],
 *   "predicateType": "https://model_signing/signature/v1.0",
 *   "predicate": {
 *     "serialization": { "method": "files", "hash_type": "sha256", "allow_symlinks": false,
 *                        "ignore_paths": [".git", ".gitattributes", ".github", ".gitignore", "model.sig"] },
 *     "resources": [{ "name": "weights.bin", "algorithm": "sha256", "digest": "<hex>" }]
 *   }
 * }
 * ```
 */
export interface Statement {
  _type: string;
  subject: Array<{ name: string; digest: Record<string, string> }>;
  predicateType: string;
  predicate: Record<string, unknown>;
}

/**
 * The statement of a manifest. `recordEmptyIgnorePaths` writes `ignore_paths: []`
 * when nothing was ignored (the reference omits it, and its verifier then adds
 * its default git paths): what signModel does, so a model signed with nothing
 * ignored is verified with nothing ignored.
 */
export function toStatement(manifest: Manifest, { recordEmptyIgnorePaths = false } = {}): Statement {
  const s = manifest.serialization;
  const serialization: Record<string, unknown> = { method: s.method, hash_type: s.hashType, allow_symlinks: s.allowSymlinks };
  if (s.method === 'shards') serialization.shard_size = s.shardSize;
  if (s.ignorePaths.length > 0 || recordEmptyIgnorePaths) serialization.ignore_paths = [...s.ignorePaths];
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{ name: manifest.modelName, digest: { sha256: manifest.rootDigest() } }],
    predicateType: PREDICATE_TYPE,
    predicate: {
      serialization,
      resources: manifest.resources.map((r) => ({ name: r.name, algorithm: r.algorithm, digest: r.digest })),
    },
  };
}

/**
 * The statement as the reference's protobuf `MessageToJson` writes it: 2-space
 * indent, `\uXXXX` for non-ASCII, `shard_size` as a float, no final newline.
 */
export function statementToJson(statement: Statement): string {
  return JSON.stringify(statement, null, 2)
    .replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
    .replace(/("shard_size": )([0-9]+)(,?)$/m, '$1$2.0$3');
}

/**
 * Reads a signed payload back into the Manifest it describes, checking its
 * shape and that the subject digest matches the listed resources.
 */
export function toManifest(payload: Buffer): Manifest {
  const json = parseJson(payload.toString('utf8'), (why) => invalid(`the signed payload ${why}`));
  const st = asObject(json, 'statement');
  if (st._type !== IN_TOTO_STATEMENT_TYPE) {
    throw invalid(`expected in-toto ${IN_TOTO_STATEMENT_TYPE} payload, but got ${describe(st._type)}`);
  }
  if (st.predicateType === PREDICATE_TYPE_COMPAT) return toCompatManifest(st);
  if (st.predicateType !== PREDICATE_TYPE) {
    throw invalid(`predicate type mismatch, expected ${PREDICATE_TYPE}, got ${describe(st.predicateType)}`);
  }
  const subjects = asArray(st.subject, 'subject');
  if (subjects.length !== 1) throw invalid(`expected only one subject, got ${subjects.length}`);
  const subject = asObject(subjects[0], 'subject');
  const rootDigest = asObject(subject.digest, 'subject digest').sha256;
  if (typeof rootDigest !== 'string' || !/^[0-9a-f]{64}$/i.test(rootDigest)) throw invalid('the subject has no valid sha256 digest');
  const modelName = typeof subject.name === 'string' ? subject.name : '';

  const predicate = asObject(st.predicate, 'predicate');
  const serialization = toSerialization(asObject(predicate.serialization, 'serialization'));
  const resourcesJson = asArray(predicate.resources, 'resources');
  if (resourcesJson.length === 0) throw invalid('the signature lists no resources');
  const seen = new Set<string>();
  const resources = resourcesJson.map((r, i): ResourceDescriptor => {
    const o = asObject(r, `resource ${i}`);
    const { name, algorithm, digest } = o;
    if (typeof name !== 'string' || typeof algorithm !== 'string' || typeof digest !== 'string') {
      throw invalid(`resource ${i} needs string name, algorithm and digest`);
    }
    checkResourceName(name, serialization);
    if (seen.has(name)) throw invalid(`resource '${name}' is listed twice`);
    seen.add(name);
    if (engineOf(algorithm) !== serialization.hashType) {
      throw invalid(`resource '${name}' uses ${algorithm}, but the serialization says ${serialization.hashType}`);
    }
    const hexLength = DIGEST_LENGTH[serialization.hashType] * 2;
    if (digest.length !== hexLength || !/^[0-9a-f]+$/i.test(digest)) {
      throw invalid(`resource '${name}' has a digest of the wrong form (want ${hexLength} hex digits)`);
    }
    return { name, algorithm, digest: digest.toLowerCase() };
  });
  // The reference hashes the root in listed order, without re-sorting.
  const actualRoot = rootDigestOf(resources);
  if (actualRoot !== rootDigest.toLowerCase()) {
    throw new VerificationError('ROOT_DIGEST_MISMATCH', `Manifest is inconsistent: the root digest is ${rootDigest}, but the resources hash to ${actualRoot}`, {
      expected: rootDigest,
      actual: actualRoot,
    });
  }
  return new Manifest(modelName, serialization, resources, { sort: false });
}

function toSerialization(o: Record<string, unknown>): Serialization {
  const method = o.method;
  if (method !== 'files' && method !== 'shards') throw invalid(`unknown serialization method ${describe(method)}`);
  if (!isHashAlgorithm(o.hash_type)) throw invalid(`unknown hash type ${describe(o.hash_type)}`);
  // The reference's v0.2 compat path wrote "false" as a string; accept both forms.
  const allowSymlinks = o.allow_symlinks === true || o.allow_symlinks === 'true';
  let ignorePaths: string[] = [];
  if (o.ignore_paths !== undefined) {
    const list = asArray(o.ignore_paths, 'ignore_paths');
    if (!list.every((p): p is string => typeof p === 'string')) throw invalid('ignore_paths must be a list of strings');
    ignorePaths = [...new Set(list)].sort();
  }
  const serialization: Serialization = { method, hashType: o.hash_type, allowSymlinks, ignorePaths, ignorePathsRecorded: o.ignore_paths !== undefined };
  if (method === 'shards') {
    const size = o.shard_size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) throw invalid('shards need a positive integral shard_size');
    serialization.shardSize = size;
  }
  return serialization;
}

/** Names are relative POSIX paths inside the model; anything that could escape it is refused. */
function checkResourceName(name: string, serialization: Serialization): void {
  let path = name;
  if (serialization.method === 'shards') {
    const shard = parseShardName(name);
    if (!shard) throw invalid(`shard name '${name}' is not path:start:end`);
    if (shard.end <= shard.start || shard.end - shard.start > serialization.shardSize!) throw invalid(`shard '${name}' has a bad byte range`);
    path = shard.path;
  }
  if (path === '.') return;
  const bad =
    path === '' || path.includes('\0') || path.includes('\\') || path.startsWith('/') || path.split('/').some((c) => c === '' || c === '.' || c === '..');
  if (bad) throw invalid(`resource name ${JSON.stringify(name)} is not a relative path inside the model`);
}

function toCompatManifest(st: Record<string, unknown>): Manifest {
  const subjects = asArray(st.subject, 'subject');
  const seen = new Set<string>();
  const resources = subjects.map((s, i): ResourceDescriptor => {
    const o = asObject(s, `subject ${i}`);
    const digest = asObject(o.digest, `subject ${i} digest`).sha256;
    if (typeof o.name !== 'string' || typeof digest !== 'string' || !/^[0-9a-f]{64}$/i.test(digest)) {
      throw invalid(`subject ${i} needs a name and a sha256 digest`);
    }
    checkResourceName(o.name, { method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: [] });
    if (seen.has(o.name)) throw invalid(`subject '${o.name}' is listed twice`);
    seen.add(o.name);
    return { name: o.name, algorithm: 'sha256', digest: digest.toLowerCase() };
  });
  if (resources.length === 0) throw invalid('the signature lists no files');
  return new Manifest(COMPAT_MODEL_NAME, { method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: [] }, resources);
}

function invalid(message: string): FormatError {
  return new FormatError('PAYLOAD_INVALID', `Invalid signed payload: ${message}`);
}

function asObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(`${what} must be an object`);
  return v as Record<string, unknown>;
}

function asArray(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw invalid(`${what} must be a list`);
  return v;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
}
