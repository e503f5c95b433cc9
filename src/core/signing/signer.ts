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
  const sig = signBytes(key, pae(IN_TOTO_PAYLOAD_TYPE, payload));
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
