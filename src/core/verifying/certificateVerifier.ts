import { VerificationError } from '../errors';
import { Bundle } from '../signing/bundle';
import { distinguishedName, fingerprint, parseCertificate, verifyCertificateChain } from '../signing/certificates';
import { checkSupported } from '../signing/keys';
import { verifyDsseSignature } from './dsseSignature';
import { checkMediaType } from './keyVerifier';
import { VerifiedSignature, Verifier, VerifyContext } from './verifier';

export interface CertificateVerifierOptions {
  /** Trust anchors (DER). */
  roots: readonly Buffer[];
  /**
   * Validation time when no timestamp proves one; the current time by default, as the OMS spec asks
   * (the reference uses the leaf's notBefore).
   */
  at?: Date;
}

/** Verifies bundles carrying an X.509 chain against given trust anchors. */
export class CertificateVerifier implements Verifier {
  constructor(private readonly options: CertificateVerifierOptions) {}

  async verify(bundle: Bundle, context: VerifyContext = {}): Promise<VerifiedSignature> {
    checkMediaType(bundle);
    const chain = bundle.verificationMaterial.x509CertificateChain?.certificates;
    if (!chain) throw new VerificationError('CERTIFICATE_CHAIN_INVALID', 'The signature carries no certificate chain (try verify key or sigstore)');
    const ders = chain.map((c) => Buffer.from(c.rawBytes, 'base64'));
    const leafDer = ders[0]!;
    const leaf = parseCertificate(leafDer, 'the signing certificate');
    const warnings = await verifyCertificateChain(leafDer, ders.slice(1), this.options.roots, { at: context.at ?? this.options.at });
    checkSupported(leaf.publicKey);
    // The reference's v0.2 certificate bundles used SHA-256 whatever the curve.
    const payload = verifyDsseSignature(bundle, leaf.publicKey, 'sha256');
    return {
      signer: {
        method: 'certificate',
        subject: distinguishedName(leaf.subject),
        issuer: distinguishedName(leaf.issuer),
        fingerprint: fingerprint(leafDer),
        notBefore: new Date(leaf.validFrom).toISOString(),
        notAfter: new Date(leaf.validTo).toISOString(),
      },
      payload,
      warnings,
    };
  }
}
