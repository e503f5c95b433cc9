import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { FormatError, ModelSigningError, isModelSigningError } from '../errors';
import { MAX_SMALL_INPUT_BYTES, readInputFileSync } from '../io/readInputFile';
import { distinguishedName, fingerprint, parsePemCertificates } from '../signing/certificates';
import { loadPublicKey, publicKeyHint } from '../signing/keys';
import { SignerInfo } from '../verifying/verifier';
import { GlobOptions, compileGlob, globLiteralPrefix, workspaceRelativePath } from './glob';
import { Policy, PolicyEntry, PolicyErrorData } from './policyFile';

/**
 * The entry that governs a model folder: among the entries whose glob matches
 * the folder's path relative to the workspace folder, the one with the longest
 * literal prefix (`models/llama-7b` over `models/llama-*` over `models/**` over
 * `**`), then the first in order. Undefined if none matches or the model is
 * outside the workspace folder. Entries keep their own order: pass the file's
 * before the settings' to let the file win ties.
 */
export function findPolicy(workspaceRoot: string, modelPath: string, policies: readonly PolicyEntry[] | Policy | readonly Policy[], options: GlobOptions = {}): PolicyEntry | undefined {
  const relPosix = workspaceRelativePath(workspaceRoot, modelPath);
  if (relPosix === undefined) return undefined;
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

function flatten(policies: readonly PolicyEntry[] | Policy | readonly Policy[]): readonly PolicyEntry[] {
  if (!Array.isArray(policies)) return (policies as Policy).models;
  return (policies as ReadonlyArray<PolicyEntry | Policy>).flatMap((p) => ('models' in p ? p.models : [p]));
}
