import type { PolicyEntry } from '../policy/policyFile';
import type { SignerInfo } from '../verifying/verifier';
import { MethodId, SIGNING_METHODS, methodOfSigner, signingMethod } from './registry';
import type { PolicyEvaluation } from './signingMethod';

/**
 * Whether a verified signer is one the entry accepts, by its method's rule
 * (the *Method.ts beside this file). Everything is compared exactly, as strings:
 *
 * - sigstore: identity and issuer equal to one listed pair (no prefix, no
 *   case folding, no trailing-slash tolerance).
 * - key: the signer's key hint equal to one of `keyHints`, to the hint of a PEM in
 *   `publicKeys` (what Pin Signer writes), or to the hint of a
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

const SIGNED_WITH: Record<MethodId, string> = { sigstore: 'Signed keylessly (Sigstore)', key: 'Signed with a key', certificate: 'Signed with a certificate' };

/**
 * A policy's verdict before any checking, when it names nobody of the signature's method: no key or
 * root to verify with, and no signer of that kind could pass. Undefined when the method is named.
 */
export function policyRefusesMethod(entry: PolicyEntry, method: MethodId): PolicyEvaluation | undefined {
  if (signingMethod(method).policyAccepts(entry)) return undefined;
  return { ok: false, reason: `${SIGNED_WITH[method]}, but the policy for '${entry.path}' (${entry.source}) accepts only ${describeAccepted(entry)}` };
}

function describeAccepted(entry: PolicyEntry): string {
  const kinds = SIGNING_METHODS.map((m) => m.policyAccepts(entry)).filter(Boolean);
  return `signatures made with ${kinds.join(' or ')}`;
}
