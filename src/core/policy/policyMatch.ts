import { methodOfSigner } from '../methods/registry';
import type { PolicyEvaluation } from '../methods/signingMethod';
import { SignerInfo } from '../verifying/verifier';
import { GlobOptions, compileGlob, globLiteralPrefix, workspaceRelativePath } from './glob';
import { Policy, PolicyEntry } from './policyFile';

export type { PolicyEvaluation } from '../methods/signingMethod';
export { policyCertificateRoots, policyPublicKey } from './policyReferences';

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

/**
 * Whether a verified signer is one the entry accepts, by its method's rule
 * (src/core/methods/*Method.ts). Everything is compared
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
  return methodOfSigner(signer).evaluatePolicy(entry, signer, {
    pass: (who) => ({ ok: true, reason: `Signed by ${who}, which ${where} accepts` }),
    fail: (who, accepts) => ({ ok: false, reason: `Signed by ${who}, but ${where} accepts only ${accepts}` }),
    accepted: describeAccepted(entry),
  });
}

function describeAccepted(entry: PolicyEntry): string {
  const kinds: string[] = [];
  if (entry.sigstore.length) kinds.push('Sigstore identities');
  if (entry.keys.length || entry.keyHints.length) kinds.push('keys');
  if (entry.certificateRoots.length || entry.certificateFingerprints.length) kinds.push('certificates');
  return `signatures made with ${kinds.join(' or ')}`;
}

function flatten(policies: readonly PolicyEntry[] | Policy | readonly Policy[]): readonly PolicyEntry[] {
  if (!Array.isArray(policies)) return (policies as Policy).models;
  return (policies as ReadonlyArray<PolicyEntry | Policy>).flatMap((p) => ('models' in p ? p.models : [p]));
}
