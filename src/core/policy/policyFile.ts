import * as path from 'node:path';
import { FormatError, ModelSigningError, isModelSigningError } from '../errors';
import { MAX_JSON_DEPTH, isJsonObject, jsonDepthExceeds } from '../io/parseJson';
import { InputFileErrorData, MAX_SMALL_INPUT_BYTES, readInputText } from '../io/readInputFile';
import { loadPublicKey, publicKeyPem } from '../signing/keys';
import { compileGlob } from './glob';
import { childPath, duplicateKey } from './jsonLocation';
import { CLAIM_FIELDS, SigstoreIdentityRule, checkSignerRule } from './signerRule';

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

export type { SigstoreIdentityRule } from './signerRule';

/** One entry of `models`, checked, with where it came from. */
export interface PolicyEntry {
  /** The glob as written, relative to the workspace folder. */
  path: string;
  sigstore: SigstoreIdentityRule[];
  /** PEM public keys (or certificates), as written: relative to `baseDir` or absolute. */
  keys: string[];
  /** Key hints (hex SHA-256 of the public key's PEM, as in a key signature's bundle), lowercase. */
  keyHints: string[];
  /** Public keys written into the policy itself (Pin Signer writes them), as PEM in its normal form. */
  publicKeys: string[];
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
}

export interface PolicyContext {
  /** The workspace folder the policy belongs to. */
  workspaceRoot: string;
  /** The file, or the setting; default `settings`. */
  source?: string;
}

export interface PolicyErrorData {
  /** The policy file, or `settings`. */
  source: string;
  /** JSON path of the bad field: `$.models[0].sigstore[1].issuer`; `$` for the whole document. */
  jsonPath: string;
  /** What is wrong with it, without the source and path: for a Problems entry on the field. */
  why?: string;
  /** 1-based, for a JSON syntax error. */
  line?: number;
  column?: number;
  /** A file the policy names (key or certificate) that could not be used. */
  file?: string;
}

const TOP_KEYS = new Set(['$schema', 'models']);
const ENTRY_KEYS = new Set(['path', 'sigstore', 'keys', 'keyHints', 'publicKeys', 'certificateRoots', 'certificateFingerprints', 'description']);
const SIGSTORE_KEYS = new Set(['identity', 'issuer', 'identityRegex', ...CLAIM_FIELDS]);

/**
 * Checks a policy given as JSON (a parsed file, or the value of a setting
 * wrapped as `{ models }`). Anything wrong, an unknown key included (a typo
 * such as `sigstor` would otherwise leave a model to trust on first use), is a
 * FormatError POLICY_INVALID with `data.jsonPath` naming the field. The schema,
 * media/model-signing.schema.json, says the same (a unit test holds them together).
 */
export function parsePolicy(value: unknown, context: PolicyContext): Policy {
  const source = context.source ?? 'settings';
  const baseDir = path.resolve(context.workspaceRoot);
  const fail = (jsonPath: string, why: string): never => {
    throw new FormatError<PolicyErrorData>('POLICY_INVALID', `${source}: ${jsonPath}: ${why}`, { source, jsonPath, why });
  };
  const unknownKeys = (obj: Record<string, unknown>, known: Set<string>, at: string) => {
    for (const k of Object.keys(obj)) if (!known.has(k)) fail(childPath(at, k), `unknown key (known: ${[...known].join(', ')})`);
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

  if (!isJsonObject(value)) return fail('$', `must be an object with a "models" list, got ${typeName(value)}`);
  unknownKeys(value, TOP_KEYS, '$');
  if (value.$schema !== undefined && typeof value.$schema !== 'string') fail('$.$schema', `must be a string, got ${typeName(value.$schema)}`);
  const models = value.models === undefined ? [] : value.models;
  if (!Array.isArray(models)) return fail('$.models', `must be a list, got ${typeName(models)}`);

  const entries = models.map((raw, index): PolicyEntry => {
    const at = `$.models[${index}]`;
    if (!isJsonObject(raw)) return fail(at, `must be an object, got ${typeName(raw)}`);
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
      if (!Array.isArray(raw.sigstore)) fail(`${at}.sigstore`, `must be a list of { issuer, identity or claims }, got ${typeName(raw.sigstore)}`);
      sigstore = (raw.sigstore as unknown[]).map((item, i) => {
        const itemAt = `${at}.sigstore[${i}]`;
        if (!isJsonObject(item)) return fail(itemAt, `must be an object { issuer, identity or claims }, got ${typeName(item)}`);
        unknownKeys(item, SIGSTORE_KEYS, itemAt);
        const given: Record<string, string> = {};
        for (const [name, v] of Object.entries(item)) {
          const fieldAt = `${itemAt}.${name}`;
          if (typeof v !== 'string') return fail(fieldAt, `must be a string, got ${typeName(v)}`);
          if (v === '') return fail(fieldAt, 'must not be empty');
          // Compared exactly: a stray space would never match, so it is a mistake.
          if (v.trim() !== v) return fail(fieldAt, 'has leading or trailing spaces');
          given[name] = v;
        }
        return checkSignerRule(given, (name, why) => fail(`${itemAt}.${name}`, why));
      });
    }
    const keys = stringList(raw.keys, `${at}.keys`);
    const keyHints = stringList(raw.keyHints, `${at}.keyHints`, (s, itemAt) =>
      /^[0-9a-fA-F]{64}$/.test(s) ? s.toLowerCase() : fail(itemAt, 'must be 64 hex digits (the SHA-256 key hint of a key signature)'),
    );
    const publicKeys = stringList(raw.publicKeys, `${at}.publicKeys`, (s, itemAt) => {
      try {
        return publicKeyPem(loadPublicKey(s));
      } catch (e) {
        return fail(itemAt, `must be a PEM public key: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
    const certificateRoots = stringList(raw.certificateRoots, `${at}.certificateRoots`);
    const certificateFingerprints = stringList(raw.certificateFingerprints, `${at}.certificateFingerprints`, (s, itemAt) => {
      const hex = s.replace(/:/g, '');
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) return fail(itemAt, 'must be a SHA-256 fingerprint: 32 hex bytes, with or without colons');
      return hex.toUpperCase().match(/../g)!.join(':');
    });
    if (sigstore.length + keys.length + keyHints.length + publicKeys.length + certificateRoots.length + certificateFingerprints.length === 0) {
      // An entry that names nobody would accept nobody; say so rather than fail every model later.
      fail(at, 'names no signer: give at least one of sigstore, keys, keyHints, publicKeys, certificateRoots, certificateFingerprints');
    }
    return { path: raw.path, sigstore, keys, keyHints, publicKeys, certificateRoots, certificateFingerprints, baseDir, source, index };
  });
  return { models: entries, source };
}

/**
 * The `models` list of a setting (`modelSigning.verify.policy`), checked as
 * the file is; undefined when it is unset or empty. Anything but a list is an
 * error, not "no policy".
 */
export function parsePolicySetting(value: unknown, context: PolicyContext): Policy | undefined {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return undefined;
  return parsePolicy({ models: value }, context);
}

/** Parses the text of a policy file; a JSON syntax error is POLICY_INVALID at `$` with its line and column. */
export function parsePolicyText(text: string, context: PolicyContext): Policy {
  return parsePolicy(parsePolicyJson(text, context.source ?? 'settings'), context);
}

/**
 * Reads a policy file; undefined if there is none. The workspace folder
 * defaults to the one holding the file's `.vscode` folder.
 */
export async function readPolicyFile(file: string, workspaceRoot = path.dirname(path.dirname(path.resolve(file)))): Promise<Policy | undefined> {
  const text = await readPolicyText(file);
  return text === undefined ? undefined : parsePolicyText(text, { workspaceRoot, source: file });
}

/** The text of a policy file; undefined if there is none. */
export async function readPolicyText(file: string): Promise<string | undefined> {
  try {
    return await readInputText(file, { what: 'policy file', maxBytes: MAX_SMALL_INPUT_BYTES, unreadableCode: 'POLICY_UNREADABLE' });
  } catch (e) {
    const reason = isModelSigningError(e) ? (e.data as Partial<InputFileErrorData>).reason : undefined;
    if (reason === 'ENOENT') return undefined;
    throw new ModelSigningError<PolicyErrorData>('POLICY_UNREADABLE', (e as Error).message, { source: file, jsonPath: '$' }, e);
  }
}

/** JSON.parse, with a syntax error as POLICY_INVALID at `$` with its line and column, and a key written twice as one at that key. */
export function parsePolicyJson(text: string, source: string): unknown {
  // Refused before parsing: the checks below recurse into the value.
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw new FormatError<PolicyErrorData>('POLICY_INVALID', `${source}: the JSON nests deeper than ${MAX_JSON_DEPTH} levels`, { source, jsonPath: '$' });
  }
  try {
    // A byte-order mark is not JSON, but editors write it.
    const value: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    const duplicate = duplicateKey(text);
    if (duplicate) {
      const why = 'the key is written twice (JSON keeps only the last)';
      throw new FormatError<PolicyErrorData>('POLICY_INVALID', `${source}: ${duplicate}: ${why}`, { source, jsonPath: duplicate, why });
    }
    return value;
  } catch (e) {
    if (e instanceof FormatError) throw e;
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

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}
