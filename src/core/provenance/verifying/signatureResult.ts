// What the signature checks share: their options, how a failure is reported,
// and how a signature's base64 is read.
import type * as crypto from 'node:crypto';
import { ModelSigningError } from '../../errors';
import type { TrustConfig } from '../../sigstore/trustConfig';
import { decodeBase64 } from '../reading/envelope';
import { CertificateClaims, ProvenanceSignatureCheck, SignatureStep } from '../types';

export interface ProvenanceSignatureOptions {
  /** Sigstore trust material; needed for certificates. */
  trustConfig?: TrustConfig;
  /** For key-signed provenance (Cloud Build's KMS key, `attest` with a key). */
  publicKey?: crypto.KeyObject;
}

export function failed(
  method: 'sigstore' | 'key',
  e: unknown,
  steps: SignatureStep[],
  certificate?: CertificateClaims,
  transparencyLog: 'present' | 'absent' = 'absent',
  keyId?: string,
): ProvenanceSignatureCheck {
  const error =
    e instanceof ModelSigningError ? { code: e.code, message: e.message } : { code: 'SIGNATURE_INVALID', message: e instanceof Error ? e.message : String(e) };
  return { status: 'failed', method, ...(certificate ? { certificate } : {}), ...(keyId ? { keyId } : {}), transparencyLog, error, steps };
}

export function keyRequired(what: string): ModelSigningError {
  return new ModelSigningError('PUBLIC_KEY_REQUIRED', `${what}: its public key is needed to check the signature`);
}

export function missingTrust(): ModelSigningError {
  return new ModelSigningError('TRUST_CONFIG_INVALID', 'No Sigstore trusted root to check the certificate against');
}

/** Standard or URL-safe base64 (Cloud Build writes both). */
export function decodeSig(sig: string): Buffer {
  return decodeBase64(sig, 'signature', 'signature');
}

export function decodeSigOrEmpty(sig: string): Buffer {
  try {
    return decodeSig(sig);
  } catch {
    return Buffer.alloc(0);
  }
}
