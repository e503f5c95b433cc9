import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FormatError, ModelSigningError, errnoCode, isModelSigningError } from '../errors';
import { MAX_JSON_DEPTH, jsonDepthExceeds } from '../io/parseJson';
import { InputFileErrorData, MAX_SMALL_INPUT_BYTES, readInputFileSync, readInputText } from '../io/readInputFile';
import { writeFileAtomic } from '../signing/bundle';
import { distinguishedName, fingerprint, parsePemCertificates } from '../signing/certificates';
import { loadPublicKey, publicKeyHint } from '../signing/keys';
import { SignerInfo } from '../verifying/verifier';
import { GlobOptions, compileGlob, globLiteralPrefix, normalizeGlob } from './glob';

export * from './glob';

/*
 * A verification policy says who must have signed the models of a workspace:
 *
 *   { "models": [ { "path": "models/llama-*",
 *                   "sigstore": [ { "identity": "alice@example.com", "issuer": "https://github.com/login/oauth" } ],
 *                   "keys": ["keys/release.pub"],
 *                   "certificateRoots": ["pki/root.pem"] } ] }
 *
 * in `.vscode/model-signing.json` or in settings. Paths (the `path` glob, key
 * and certificate files) are relative to the workspace folder. The schema is
 * media/model-signing.schema.json.
 */

/** Where the workspace's policy file lives, relative to the workspace folder. */
export const POLICY_FILE = '.vscode/model-signing.json';

export function policyFilePath(workspaceRoot: string): string {
  return path.join(workspaceRoot, ...POLICY_FILE.split('/'));
}

/** A keyless signer: the certificate's identity (email or URI) and the OIDC issuer, both compared exactly. */
export interface SigstoreIdentityRule {
  identity: string;
  issuer: string;
}

/** One entry of `models`, checked, with where it came from. */
export interface PolicyEntry {
  /** The glob as written, relative to the workspace folder. */
  path: string;
  sigstore: SigstoreIdentityRule[];
  /** PEM public keys (or certificates), as written: relative to `baseDir` or absolute. */
  keys: string[];
  /** Key hints (hex SHA-256 of the public key's PEM, as in a key signature's bundle), lowercase. */
  keyHints: string[];
  /** PEM files of CA certificates, as written: relative to `baseDir` or absolute. */
  certificateRoots: string[];
  /** SHA-256 fingerprints of signing certificates, `AA:BB:…` uppercase. */
  certificateFingerprints: string[];
  /** The workspace folder: what `path`, `keys` and `certificateRoots` are relative to. */
  baseDir: string;
  /** The policy file, or `settings`; for messages. */
  source: string;
  /** Index in `models`, for messages and JSON paths. */
  index: number;
}

export interface Policy {
  models: PolicyEntry[];
  source: string;
  /** Keys the policy does not know, by JSON path: ignored (and kept by pinIdentity), but likely typos. */
  warnings: string[];
}

export interface PolicyContext {
  /** The workspace folder the policy belongs to. */
  workspaceRoot: string;
  /** The file, or `settings`; default `settings`. */
  source?: string;
}

export interface PolicyErrorData {
  /** The policy file, or `settings`. */
  source: string;
  /** JSON path of the bad field: `$.models[0].sigstore[1].issuer`; `$` for the whole document. */
  jsonPath: string;
  /** 1-based, for a JSON syntax error. */
  line?: number;
  column?: number;
  /** A file the policy names (key or certificate) that could not be used. */
  file?: string;
}

const TOP_KEYS = new Set(['$schema', 'models']);
const ENTRY_KEYS = new Set(['path', 'sigstore', 'keys', 'keyHints', 'certificateRoots', 'certificateFingerprints', 'description']);
const SIGSTORE_KEYS = new Set(['identity', 'issuer']);

/**
 * Checks a policy given as JSON (a parsed file, or the value of a setting
 * wrapped as `{ models }`). Unknown keys are warnings; everything else that is
 * wrong is a FormatError POLICY_INVALID with `data.jsonPath` naming the field.
 */
export function parsePolicy(value: unknown, context: PolicyContext): Policy {
  const source = context.source ?? 'settings';
  const baseDir = path.resolve(context.workspaceRoot);
  const warnings: string[] = [];
  const fail = (jsonPath: string, why: string): never => {
    throw new FormatError<PolicyErrorData>('POLICY_INVALID', `${source}: ${jsonPath}: ${why}`, { source, jsonPath });
  };
  const unknownKeys = (obj: Record<string, unknown>, known: Set<string>, at: string) => {
    for (const k of Object.keys(obj)) if (!known.has(k)) warnings.push(`${child(at, k)}: unknown key, ignored`);
  };
  const stringList = (v: unknown, at: string, check?: (s: string, at: string) => string): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) return fail(at, `must be a list of strings, got ${typeName(v)}`);
    return v.map((s, i) => {
      const itemAt = `${at}[${i}]`;
      if (typeof s !== 'string') return fail(itemAt, `must be a string, got ${typeName(s)}`);
      if (s.trim() === '') return fail(itemAt, 'must not be empty');
      return check ? check(s, itemAt) : s;
    });
  };

  if (!isObject(value)) return fail('$', `must be an object with a "models" list, got ${typeName(value)}`);
  unknownKeys(value, TOP_KEYS, '$');
  if (value.$schema !== undefined && typeof value.$schema !== 'string') fail('$.$schema', `must be a string, got ${typeName(value.$schema)}`);
  const models = value.models === undefined ? [] : value.models;
  if (!Array.isArray(models)) return fail('$.models', `must be a list, got ${typeName(models)}`);

  const entries = models.map((raw, index): PolicyEntry => {
    const at = `$.models[${index}]`;
    if (!isObject(raw)) return fail(at, `must be an object, got ${typeName(raw)}`);
    unknownKeys(raw, ENTRY_KEYS, at);
    if (raw.path === undefined) fail(`${at}.path`, 'is required: a glob of model folders, relative to the workspace folder');
    if (typeof raw.path !== 'string') return fail(`${at}.path`, `must be a string, got ${typeName(raw.path)}`);
    try {
      compileGlob(raw.path);
    } catch (e) {
      fail(`${at}.path`, e instanceof Error ? e.message : String(e));
    }
    if (raw.description !== undefined && typeof raw.description !== 'string') fail(`${at}.description`, `must be a string, got ${typeName(raw.description)}`);

    let sigstore: SigstoreIdentityRule[] = [];
    if (raw.sigstore !== undefined) {
      if (!Array.isArray(raw.sigstore)) fail(`${at}.sigstore`, `must be a list of { identity, issuer }, got ${typeName(raw.sigstore)}`);
      sigstore = (raw.sigstore as unknown[]).map((item, i) => {
        const itemAt = `${at}.sigstore[${i}]`;
        if (!isObject(item)) return fail(itemAt, `must be an object { identity, issuer }, got ${typeName(item)}`);
        unknownKeys(item, SIGSTORE_KEYS, itemAt);
        const field = (name: 'identity' | 'issuer'): string => {
          const v = item[name];
          if (v === undefined) return fail(`${itemAt}.${name}`, 'is required');
          if (typeof v !== 'string') return fail(`${itemAt}.${name}`, `must be a string, got ${typeName(v)}`);
          if (v === '') return fail(`${itemAt}.${name}`, 'must not be empty');
          // Compared exactly: a stray space would never match, so it is a mistake.
          if (v.trim() !== v) return fail(`${itemAt}.${name}`, 'has leading or trailing spaces');
          return v;
        };
        return { identity: field('identity'), issuer: field('issuer') };
      });
    }
    const keys = stringList(raw.keys, `${at}.keys`);
    const keyHints = stringList(raw.keyHints, `${at}.keyHints`, (s, itemAt) =>
      /^[0-9a-fA-F]{64}$/.test(s) ? s.toLowerCase() : fail(itemAt, 'must be 64 hex digits (the SHA-256 key hint of a key signature)'));
    const certificateRoots = stringList(raw.certificateRoots, `${at}.certificateRoots`);
    const certificateFingerprints = stringList(raw.certificateFingerprints, `${at}.certificateFingerprints`, (s, itemAt) => {
      const hex = s.replace(/:/g, '');
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) return fail(itemAt, 'must be a SHA-256 fingerprint: 32 hex bytes, with or without colons');
      return hex.toUpperCase().match(/../g)!.join(':');
    });
    if (sigstore.length + keys.length + keyHints.length + certificateRoots.length + certificateFingerprints.length === 0) {
      // An entry that names nobody would accept nobody; say so rather than fail every model later.
      fail(at, 'names no signer: give at least one of sigstore, keys, keyHints, certificateRoots, certificateFingerprints');
    }
    return { path: raw.path, sigstore, keys, keyHints, certificateRoots, certificateFingerprints, baseDir, source, index };
  });
  return { models: entries, source, warnings };
}

/** Parses the text of a policy file; a JSON syntax error is POLICY_INVALID at `$` with its line and column. */
export function parsePolicyText(text: string, context: PolicyContext): Policy {
  return parsePolicy(parseJson(text, context.source ?? 'settings'), context);
}

/**
 * Reads a policy file; undefined if there is none. The workspace folder
 * defaults to the one holding the file's `.vscode` folder.
 */
export async function readPolicyFile(file: string, workspaceRoot = path.dirname(path.dirname(path.resolve(file)))): Promise<Policy | undefined> {
  const text = await readText(file);
  return text === undefined ? undefined : parsePolicyText(text, { workspaceRoot, source: file });
}

/**
 * The entry that governs a model folder: among the entries whose glob matches
 * the folder's path relative to the workspace folder, the one with the longest
 * literal prefix (`models/llama-7b` over `models/llama-*` over `models/**` over
 * `**`), then the first in order. Undefined if none matches or the model is
 * outside the workspace folder. Entries keep their own order: pass the file's
 * before the settings' to let the file win ties.
 */
export function findPolicy(workspaceRoot: string, modelPath: string, policies: readonly PolicyEntry[] | Policy | readonly Policy[], options: GlobOptions = {}): PolicyEntry | undefined {
  const rel = path.relative(path.resolve(workspaceRoot), path.resolve(modelPath));
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return undefined;
  const relPosix = rel === '' ? '.' : rel.split(path.sep).join('/').normalize('NFC');
  let best: PolicyEntry | undefined;
  let bestLength = -1;
  for (const entry of flatten(policies)) {
    if (!compileGlob(entry.path, options).test(relPosix)) continue;
    const length = Array.from(globLiteralPrefix(entry.path)).length;
    if (length > bestLength) {
      best = entry;
      bestLength = length;
    }
  }
  return best;
}

export interface PolicyEvaluation {
  ok: boolean;
  /** One sentence for the user: who signed, and what the policy asked for. */
  reason: string;
}

/**
 * Whether a verified signer is one the entry accepts. Everything is compared
 * exactly, as strings:
 *
 * - sigstore: identity and issuer equal to one listed pair (no prefix, no
 *   case folding, no trailing-slash tolerance).
 * - key: the signer's key hint equal to one of `keyHints`, or to the hint of a
 *   key read from one of the `keys` files (core `loadPublicKey` + `publicKeyHint`).
 * - certificate: SignerInfo holds the leaf's subject, issuer DN and fingerprint,
 *   not the path that was validated. So the rule is: the leaf's fingerprint is
 *   one of `certificateFingerprints` or of a certificate in the
 *   `certificateRoots` files, or the leaf's issuer DN (node's one-line form,
 *   `CN=…, O=…`) equals the subject DN of a certificate in those files, i.e.
 *   the leaf was issued by it: list the issuing intermediate too when there is
 *   one. A DN is a name, not proof: the chain must also have been verified with
 *   these roots as the trust anchors (`policyCertificateRoots`), which only the
 *   caller can do.
 *
 * A key or certificate file that cannot be read or parsed is an error
 * (POLICY_UNREADABLE or POLICY_INVALID with the JSON path of the entry's field),
 * not a mismatch.
 */
export function evaluatePolicy(entry: PolicyEntry, signer: SignerInfo): PolicyEvaluation {
  const where = `the policy for '${entry.path}' (${entry.source})`;
  const pass = (who: string): PolicyEvaluation => ({ ok: true, reason: `Signed by ${who}, which ${where} accepts` });
  const fail = (who: string, accepts: string): PolicyEvaluation => ({ ok: false, reason: `Signed by ${who}, but ${where} accepts only ${accepts}` });
  switch (signer.method) {
    case 'sigstore': {
      const who = `${signer.identity} (issuer ${signer.issuer})`;
      if (entry.sigstore.some((r) => r.identity === signer.identity && r.issuer === signer.issuer)) return pass(who);
      return fail(who, entry.sigstore.length > 0 ? entry.sigstore.map((r) => `${r.identity} (issuer ${r.issuer})`).join(', ') : describeAccepted(entry));
    }
    case 'key': {
      const who = `the key ${signer.keyHint.slice(0, 16)}…`;
      if (entry.keyHints.length + entry.keys.length === 0) return fail(who, describeAccepted(entry));
      const hint = signer.keyHint.toLowerCase();
      if (entry.keyHints.includes(hint)) return pass(who);
      const files = entry.keys.map((k, i) => ({ file: k, hint: keyFileHint(entry, k, i) }));
      const match = files.find((f) => f.hint === hint);
      if (match) return pass(`${who} (${match.file})`);
      return fail(who, `the keys ${[...entry.keys, ...entry.keyHints.map((h) => `${h.slice(0, 16)}…`)].join(', ')}`);
    }
    case 'certificate': {
      const who = `the certificate '${signer.subject}' issued by '${signer.issuer}'`;
      if (entry.certificateFingerprints.length + entry.certificateRoots.length === 0) return fail(who, describeAccepted(entry));
      if (entry.certificateFingerprints.includes(signer.fingerprint.toUpperCase())) return pass(who);
      for (const { file, certs } of policyCertificates(entry)) {
        for (const cert of certs) {
          if (cert.fingerprint === signer.fingerprint.toUpperCase()) return pass(`${who} (pinned in ${file})`);
          if (cert.subject === signer.issuer) return pass(`${who} (a CA in ${file})`);
        }
      }
      const byCa = entry.certificateRoots.length
        ? `certificates issued by a CA in ${entry.certificateRoots.join(', ')} (the issuer '${signer.issuer}' is in none of them: list the issuing intermediate CA too if there is one)`
        : '';
      const pinned = entry.certificateFingerprints.length ? 'the pinned certificate fingerprints' : '';
      return fail(who, [byCa, pinned].filter(Boolean).join(' or '));
    }
  }
}

/** The DER certificates of an entry's `certificateRoots` files: the trust anchors to verify its models with. */
export function policyCertificateRoots(entry: PolicyEntry): Buffer[] {
  return policyCertificates(entry).flatMap((f) => f.certs.map((c) => c.der));
}

export interface PinResult {
  /** The file did not exist and was written. */
  created: boolean;
  /** False when the signer was already listed: nothing was written. */
  changed: boolean;
  /** The entry for the glob, as it now reads. */
  entry: PolicyEntry;
}

/**
 * Trust on first use: adds the signer to the entry whose `path` is `modelGlob`
 * (making one at the end if there is none) and writes the file atomically,
 * creating it and its folder if needed. Other entries, key order and unknown
 * keys are kept; the output is 2-space JSON with a final newline. A Sigstore
 * signer is pinned by identity and issuer, a key by its hint (`keyHints`), a
 * certificate by its fingerprint (`certificateFingerprints`). An existing file
 * that is not a valid policy is left alone (POLICY_INVALID).
 */
export async function pinIdentity(policyFile: string, modelGlob: string, signer: SignerInfo, workspaceRoot = path.dirname(path.dirname(path.resolve(policyFile)))): Promise<PinResult> {
  const glob = normalizeGlob(modelGlob);
  compileGlob(glob);
  const text = await readText(policyFile);
  const doc = text === undefined ? { models: [] } : parseJson(text, policyFile);
  // Refuse to rewrite a file that is wrong: the user's mistake stays theirs to see.
  parsePolicy(doc, { workspaceRoot, source: policyFile });
  const root = doc as Record<string, unknown>;
  if (root.models === undefined) root.models = [];
  const models = root.models as Array<Record<string, unknown>>;
  let index = models.findIndex((m) => typeof m.path === 'string' && normalizeGlob(m.path) === glob);
  if (index < 0) {
    models.push({ path: modelGlob });
    index = models.length - 1;
  }
  const raw = models[index]!;
  const changed = addSigner(raw, signer);
  const policy = parsePolicy(doc, { workspaceRoot, source: policyFile });
  const entry = policy.models[index]!;
  if (!changed) return { created: false, changed: false, entry };
  try {
    await fs.promises.mkdir(path.dirname(path.resolve(policyFile)), { recursive: true });
  } catch (e) {
    throw new ModelSigningError('WRITE_FAILED', `Cannot write '${policyFile}': ${errnoCode(e) ?? String(e)}`, { path: policyFile }, e);
  }
  await writeFileAtomic(policyFile, `${JSON.stringify(doc, null, 2)}\n`);
  return { created: text === undefined, changed: true, entry };
}

function addSigner(raw: Record<string, unknown>, signer: SignerInfo): boolean {
  const list = (key: string): unknown[] => {
    if (raw[key] === undefined) raw[key] = [];
    return raw[key] as unknown[];
  };
  switch (signer.method) {
    case 'sigstore': {
      const l = list('sigstore') as Array<Record<string, unknown>>;
      if (l.some((r) => r.identity === signer.identity && r.issuer === signer.issuer)) return false;
      l.push({ identity: signer.identity, issuer: signer.issuer });
      return true;
    }
    case 'key': {
      const l = list('keyHints') as string[];
      const hint = signer.keyHint.toLowerCase();
      if (l.some((h) => h.toLowerCase() === hint)) return false;
      l.push(hint);
      return true;
    }
    case 'certificate': {
      const l = list('certificateFingerprints') as string[];
      const fp = signer.fingerprint.toUpperCase();
      if (l.some((f) => f.replace(/:/g, '').toUpperCase() === fp.replace(/:/g, ''))) return false;
      l.push(fp);
      return true;
    }
  }
}

function describeAccepted(entry: PolicyEntry): string {
  const kinds: string[] = [];
  if (entry.sigstore.length) kinds.push('Sigstore identities');
  if (entry.keys.length || entry.keyHints.length) kinds.push('keys');
  if (entry.certificateRoots.length || entry.certificateFingerprints.length) kinds.push('certificates');
  return `signatures made with ${kinds.join(' or ')}`;
}

function keyFileHint(entry: PolicyEntry, file: string, i: number): string {
  const abs = path.resolve(entry.baseDir, file);
  const jsonPath = `$.models[${entry.index}].keys[${i}]`;
  const pem = readReferenced(entry, abs, jsonPath, 'key');
  try {
    return publicKeyHint(loadPublicKey(pem));
  } catch (e) {
    throw new FormatError<PolicyErrorData>('POLICY_INVALID', `${entry.source}: ${jsonPath}: '${file}' is not a usable public key: ${e instanceof Error ? e.message : String(e)}`, { source: entry.source, jsonPath, file: abs }, e);
  }
}

interface PolicyCertificate {
  der: Buffer;
  subject: string;
  fingerprint: string;
}

function policyCertificates(entry: PolicyEntry): Array<{ file: string; certs: PolicyCertificate[] }> {
  return entry.certificateRoots.map((file, i) => {
    const abs = path.resolve(entry.baseDir, file);
    const jsonPath = `$.models[${entry.index}].certificateRoots[${i}]`;
    const pem = readReferenced(entry, abs, jsonPath, 'certificate').toString('utf8');
    try {
      const ders = parsePemCertificates(pem, file);
      return { file, certs: ders.map((der) => ({ der, subject: distinguishedName(new crypto.X509Certificate(der).subject), fingerprint: fingerprint(der) })) };
    } catch (e) {
      const why = isModelSigningError(e) ? e.message : String(e);
      throw new FormatError<PolicyErrorData>('POLICY_INVALID', `${entry.source}: ${jsonPath}: '${file}' holds no usable certificate: ${why}`, { source: entry.source, jsonPath, file: abs }, e);
    }
  });
}

function readReferenced(entry: PolicyEntry, abs: string, jsonPath: string, what: string): Buffer {
  try {
    return readInputFileSync(abs, { what: `${what} file`, maxBytes: MAX_SMALL_INPUT_BYTES, unreadableCode: 'POLICY_UNREADABLE' });
  } catch (e) {
    const why = (e as Error).message;
    throw new ModelSigningError<PolicyErrorData>('POLICY_UNREADABLE', `${entry.source}: ${jsonPath}: ${why.charAt(0).toLowerCase()}${why.slice(1)}`, { source: entry.source, jsonPath, file: abs }, e);
  }
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readInputText(file, { what: 'policy file', maxBytes: MAX_SMALL_INPUT_BYTES, unreadableCode: 'POLICY_UNREADABLE' });
  } catch (e) {
    const reason = isModelSigningError(e) ? (e.data as Partial<InputFileErrorData>).reason : undefined;
    if (reason === 'ENOENT') return undefined;
    throw new ModelSigningError<PolicyErrorData>('POLICY_UNREADABLE', (e as Error).message, { source: file, jsonPath: '$' }, e);
  }
}

function parseJson(text: string, source: string): unknown {
  // Refused before parsing: the checks below recurse into the value.
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw new FormatError<PolicyErrorData>('POLICY_INVALID', `${source}: the JSON nests deeper than ${MAX_JSON_DEPTH} levels`, { source, jsonPath: '$' });
  }
  try {
    // A byte-order mark is not JSON, but editors write it.
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const data: PolicyErrorData = { source, jsonPath: '$' };
    const pos = /at position (\d+)/.exec(message);
    if (pos) {
      const before = text.replace(/^\uFEFF/, '').slice(0, Number(pos[1]));
      const lines = before.split('\n');
      data.line = lines.length;
      data.column = lines[lines.length - 1]!.length + 1;
    }
    const at = data.line ? ` (line ${data.line}, column ${data.column})` : '';
    throw new FormatError<PolicyErrorData>('POLICY_INVALID', `${source}: not valid JSON${at}: ${message}`, data, e);
  }
}

function flatten(policies: readonly PolicyEntry[] | Policy | readonly Policy[]): readonly PolicyEntry[] {
  if (!Array.isArray(policies)) return (policies as Policy).models;
  return (policies as ReadonlyArray<PolicyEntry | Policy>).flatMap((p) => ('models' in p ? p.models : [p]));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

function child(at: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`;
}
