import * as crypto from 'node:crypto';
import { BUNDLE_V03_MEDIA_TYPE, Bundle, VerificationMaterial } from './bundle';
import { IN_TOTO_PAYLOAD_TYPE, pae } from './dsse';
import { signBytes } from './keys';

/** A signing method: turns statement bytes into a signed bundle. */
export interface Signer {
  sign(payload: Buffer, options?: { signal?: AbortSignal }): Promise<Bundle>;
}

/** The DSSE bundle a local key makes: the shape the reference writes (`keyid: ""`, no log entries). */
export function dsseBundle(key: crypto.KeyObject, payload: Buffer, verificationMaterial: VerificationMaterial): Bundle {
  return signedBundle(payload, signBytes(key, pae(IN_TOTO_PAYLOAD_TYPE, payload)), verificationMaterial);
}

/** The same bundle around a DER signature of the payload's PAE made elsewhere (a PKCS #11 token). */
export function signedBundle(payload: Buffer, sig: Buffer, verificationMaterial: VerificationMaterial): Bundle {
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial,
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      signatures: [{ sig: sig.toString('base64'), keyid: '' }],
    },
  };
}
