import { VerificationError } from '../errors';
import { SigstoreIdentityRule, checkSigner, describeFailedCheck, describeRule } from '../policy/signerRule';
import type { SigstoreVerifierOptions } from '../sigstore/sigstoreVerifier';
import type { VerifiedSignature, Verifier } from '../verifying/verifier';

/**
 * Keyless verification for a signer described by a rule (an exact identity, an anchored identity regex,
 * Fulcio claims): the signature, chain and log are checked by the inner verifier, then every field of the
 * rule against the verified certificate. A signer the rule does not accept is IDENTITY_MISMATCH, with
 * every check in `data.checks`; an accepted one carries them as `signerChecks`.
 */
export class SignerRuleVerifier implements Verifier {
  constructor(
    private readonly inner: Verifier,
    private readonly rule: SigstoreIdentityRule,
  ) {}

  async verify(bundle: Parameters<Verifier['verify']>[0]): Promise<VerifiedSignature> {
    const verified = await this.inner.verify(bundle);
    if (verified.signer.method !== 'sigstore') return verified;
    const checks = checkSigner(this.rule, verified.signer);
    const failed = checks.filter((c) => !c.ok);
    if (failed.length > 0) {
      const { identity, issuer } = verified.signer;
      throw new VerificationError(
        'IDENTITY_MISMATCH',
        `The signature was made by ${identity} (issuer ${issuer}), which ${describeRule(this.rule)} does not accept: ${failed.map(describeFailedCheck).join('; ')}`,
        { identity, issuer, checks },
      );
    }
    return { ...verified, signerChecks: checks };
  }
}

/** The inner verifier's options for a rule: an exact identity is also checked by sigstore-js, anything else after it. */
export function innerOptions(rule: SigstoreIdentityRule, trustConfig: SigstoreVerifierOptions['trustConfig']): SigstoreVerifierOptions {
  return { trustConfig, identity: rule.identity ?? '', issuer: rule.issuer, anyIdentity: rule.identity === undefined };
}
