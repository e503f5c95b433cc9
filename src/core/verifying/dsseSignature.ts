import * as crypto from 'node:crypto';
import { FormatError, VerificationError } from '../errors';
import { Bundle, bundlePayload } from '../signing/bundle';
import { IN_TOTO_PAYLOAD_TYPE, pae, paeCompat } from '../signing/dsse';
import { hashForKey, verifyBytes } from '../signing/keys';

/**
 * Checks the envelope's first signature over the DSSE encoding, then over the
 * reference's v0.2 encoding (`compatHash` is its hash: SHA-256 for certificate
 * bundles, whatever the curve). Returns the payload.
 */
export function verifyDsseSignature(bundle: Bundle, key: crypto.KeyObject, compatHash = hashForKey(key)): Buffer {
  const env = bundle.dsseEnvelope;
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new FormatError('PAYLOAD_INVALID', `Expected DSSE payload ${IN_TOTO_PAYLOAD_TYPE}, but got ${env.payloadType}`, { payloadType: env.payloadType });
  }
  const payload = bundlePayload(bundle);
  const sig = Buffer.from(env.signatures[0]!.sig, 'base64');
  if (verifyBytes(key, pae(env.payloadType, payload), sig)) return payload;
  if (verifyBytes(key, paeCompat(payload), sig, compatHash)) return payload;
  throw new VerificationError('SIGNATURE_INVALID', 'The signature does not match the signed payload and key');
}
