import { Bundle } from '../signing/bundle';

/** Who signed, as far as the signature proves it. */
export type SignerInfo =
  | { method: 'key'; keyHint: string }
  | { method: 'certificate'; subject: string; issuer: string; fingerprint: string; notBefore: string; notAfter: string }
  | { method: 'sigstore'; identity: string; issuer: string };

export interface VerifiedSignature {
  signer: SignerInfo;
  /** The statement bytes the signature covers. */
  payload: Buffer;
  /** Accepted, but worth telling the user (an old bundle form, a certificate without usage extensions). */
  warnings: string[];
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
