import { Bundle } from '../signing/bundle';

/** Who signed, as far as the signature proves it. */
export type SignerInfo =
  | { method: 'key'; keyHint: string }
  | { method: 'certificate'; subject: string; issuer: string; fingerprint: string; notBefore: string; notAfter: string }
  | {
      method: 'sigstore';
      identity: string;
      issuer: string;
      /** The certificate's Fulcio claims (sourceRepositoryUri, buildSignerUri, ...), which a policy may name besides the identity. */
      claims?: Record<string, string>;
      /** Deprecated and newer Fulcio extensions that disagree: no claim of such a certificate is trusted. */
      claimConflicts?: string[];
    };

export interface VerifiedSignature {
  signer: SignerInfo;
  /** The statement bytes the signature covers. */
  payload: Buffer;
  /** Accepted, but worth telling the user (an old bundle form, a certificate without usage extensions). */
  warnings: string[];
  /** What was required of the signer and found in its certificate, when the verifier was given a signer to require. */
  signerChecks?: SignerCheck[];
}

/** One thing a verifier required of the signer (its certificate's identity, issuer or a Fulcio claim), and what it found. */
export interface SignerCheck {
  /** The rule's field: `issuer`, `identity`, `identityRegex`, `repository`, `sourceRef`, ... */
  field: string;
  /** Where in the certificate: "SAN", "OIDC Issuer", a Fulcio extension's name. */
  certificate: string;
  expected: string;
  /** Absent when the certificate has no such claim. */
  actual?: string;
  ok: boolean;
}

/** What a verifier was given besides the signature, which a pin can keep (a key signature's public key). */
export interface PinMaterial {
  /** The PEM public key the signature is verified with. */
  publicKeyPem?: string;
}

/** What verifyModel established before the signature is checked. */
export interface VerifyContext {
  /** When the signature was made, as proven by a timestamp, or now: certificates are validated at this time. */
  at?: Date;
}

/** A verification method: checks a bundle's signature and returns what it covers. */
export interface Verifier {
  verify(bundle: Bundle, context?: VerifyContext): Promise<VerifiedSignature>;
  /** Keyless verifiers check the bundle's timestamps with their own trusted root (and need one): verifyModel leaves them alone. */
  readonly checksOwnTimestamps?: boolean;
  /** What a pin of the signer can keep of this verifier's inputs, so the next verification needs no prompt. */
  pinMaterial?(): PinMaterial;
}
