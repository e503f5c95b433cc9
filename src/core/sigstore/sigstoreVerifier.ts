import { ValidationError as BundleValidationError, bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { PolicyError, VerificationError as SigstoreVerificationError, Verifier as SigstoreJsVerifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { settle } from '../abort';
import { ErrorCode, FormatError, VerificationError } from '../errors';
import { Bundle, bundlePayload } from '../signing/bundle';
import { IN_TOTO_PAYLOAD_TYPE } from '../signing/dsse';
import { VerifiedSignature, Verifier } from '../verifying/verifier';
import { readCertificateClaims } from './fulcioClaims';
import { TrustConfig } from './trustConfig';

export interface SigstoreVerifierOptions {
  trustConfig: TrustConfig;
  /** The certificate's identity (email or URI SAN), compared exactly. */
  identity: string;
  /** The OIDC issuer recorded in the certificate, compared exactly. */
  issuer: string;
  /**
   * Accept any identity and report the one the certificate names: for trust on
   * first use, where the caller shows the signer and asks before pinning it.
   * `identity` and `issuer` are then ignored.
   */
  anyIdentity?: boolean;
}

/**
 * Verifies keyless bundles with @sigstore/verify, offline: the Fulcio chain to
 * the trusted root at the log or timestamp time, the SCT, the Rekor entry
 * (inclusion promise or proof, and that its body matches the envelope), the
 * timestamps and the DSSE signature. Identity and issuer must match exactly:
 * @sigstore/verify treats the identity as an unanchored pattern, so it is
 * anchored and escaped here, and compared again as a string afterwards.
 */
export class SigstoreVerifier implements Verifier {
  private readonly verifier: SigstoreJsVerifier;
  readonly checksOwnTimestamps = true;

  constructor(private readonly options: SigstoreVerifierOptions) {
    if (!options.anyIdentity && (!options.identity || !options.issuer)) {
      throw new FormatError('INVALID_OPTION', 'Keyless verification needs both the identity and the identity provider (issuer)');
    }
    this.verifier = new SigstoreJsVerifier(toTrustMaterial(TrustedRoot.fromJSON(options.trustConfig.trustedRoot)));
  }

  verify(bundle: Bundle): Promise<VerifiedSignature> {
    return settle(() => this.check(bundle));
  }

  private check(bundle: Bundle): VerifiedSignature {
    if (bundle.dsseEnvelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
      throw new FormatError('PAYLOAD_INVALID', `Expected DSSE payload ${IN_TOTO_PAYLOAD_TYPE}, but got ${bundle.dsseEnvelope.payloadType}`);
    }
    let signer: ReturnType<SigstoreJsVerifier['verify']>;
    let entity: ReturnType<typeof toSignedEntity>;
    try {
      entity = toSignedEntity(bundleFromJSON(bundle));
      signer = this.options.anyIdentity
        ? this.verifier.verify(entity)
        : this.verifier.verify(entity, {
            subjectAlternativeName: `^${escapeRegExp(this.options.identity)}$`,
            extensions: { issuer: this.options.issuer },
          });
    } catch (e) {
      throw toVerificationError(e, this.options);
    }
    const identity = signer.identity?.subjectAlternativeName ?? '';
    const issuer = signer.identity?.extensions?.issuer ?? '';
    if (!this.options.anyIdentity && (identity !== this.options.identity || issuer !== this.options.issuer)) {
      throw new VerificationError(
        'IDENTITY_MISMATCH',
        `The signature was made by ${identity} (issuer ${issuer}), not by ${this.options.identity} (issuer ${this.options.issuer})`,
        { identity, issuer },
      );
    }
    // The claims are read from the certificate just verified, never from the statement.
    const read = entity.key.$case === 'certificate' ? readCertificateClaims(entity.key.certificate.root.toDER()) : { claims: {}, conflicts: [] };
    // The issuer is the signer's own field; an email signer has no other claims, and no `claims`.
    const claims = Object.fromEntries(Object.entries(read.claims).filter(([name]) => name !== 'issuer' && name !== 'issuerV1'));
    return {
      signer: {
        method: 'sigstore',
        identity,
        issuer,
        ...(Object.keys(claims).length ? { claims } : {}),
        ...(read.conflicts.length ? { claimConflicts: read.conflicts } : {}),
      },
      payload: bundlePayload(bundle),
      warnings: [],
    };
  }
}

/** sigstore-js errors (and plain errors it lets through) as our typed errors. */
function toVerificationError(e: unknown, expected: SigstoreVerifierOptions): VerificationError | FormatError {
  if (e instanceof PolicyError) {
    return new VerificationError(
      'IDENTITY_MISMATCH',
      `The signature was not made by ${expected.identity} with issuer ${expected.issuer}: ${e.message}`,
      { identity: expected.identity, issuer: expected.issuer },
      e,
    );
  }
  if (e instanceof SigstoreVerificationError) {
    const { code, detail } = classifySigstoreError(e);
    return new VerificationError(code, `Keyless verification failed (${e.code}): ${e.message}${detail}`, { sigstoreCode: e.code }, e);
  }
  // bundleFromJSON's ValidationError keeps Error's name, so it is told by its class.
  if (e instanceof BundleValidationError) {
    return new FormatError('BUNDLE_INVALID', `Invalid Sigstore bundle: ${e.message}`, {}, e);
  }
  return new VerificationError('SIGNATURE_INVALID', `Keyless verification failed: ${e instanceof Error ? e.message : String(e)}`, {}, e);
}

/** Our code for a sigstore-js verification error, and the detail of its cause (`: …`, or empty). */
export function classifySigstoreError(e: SigstoreVerificationError): { code: ErrorCode; detail: string } {
  const code: ErrorCode = e.code.startsWith('TLOG')
    ? 'TLOG_INVALID'
    : e.code.startsWith('TIMESTAMP')
      ? 'TIMESTAMP_INVALID'
      : e.code.startsWith('CERTIFICATE') || e.code === 'PUBLIC_KEY_ERROR'
        ? 'CERTIFICATE_CHAIN_INVALID'
        : 'SIGNATURE_INVALID';
  return { code, detail: e.cause instanceof Error ? `: ${e.cause.message}` : '' };
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
