// Provenance signed with a public key: a bundle made by `attest --method key`,
// or an envelope (Cloud Build's, or bare) checked by the schemes its reader
// named: DSSE over the PAE, or for Cloud Build's regional KMS keys ECDSA over
// the raw payload (its `sig` may be base64url).
import { pae } from '../../signing/dsse';
import { checkSupported, hashForKey, publicKeyHint, verifyBytes } from '../../signing/keys';
import { KeyVerifier } from '../../verifying/keyVerifier';
import { ProvenanceDocument, ProvenanceSignatureCheck } from '../types';
import { ProvenanceSignatureOptions, decodeSig, failed, keyRequired } from './signatureResult';

/** A bundle made with a key (`attest` with `--method key`): the key must be given. */
export async function checkKeyBundle(doc: ProvenanceDocument, options: ProvenanceSignatureOptions): Promise<ProvenanceSignatureCheck> {
  const transparencyLog = (doc.bundle!.verificationMaterial.tlogEntries?.length ?? 0) > 0 ? 'present' : 'absent';
  if (!options.publicKey) return failed('key', keyRequired(doc.keySignature.keyRequired), [], undefined, transparencyLog);
  try {
    await new KeyVerifier(options.publicKey).verify(doc.bundle!);
  } catch (e) {
    return failed('key', e, [], undefined, transparencyLog);
  }
  return {
    status: 'verified',
    method: 'key',
    keyId: publicKeyHint(options.publicKey),
    transparencyLog,
    steps: [
      { name: 'public-key', status: 'ok', detail: 'the given public key' },
      { name: 'dsse-signature', status: 'ok' },
    ],
  };
}

/** An envelope with no certificate: the given key, by each signature's schemes in order. */
export function checkWithKey(doc: ProvenanceDocument, options: ProvenanceSignatureOptions): ProvenanceSignatureCheck {
  const rules = doc.keySignature;
  const keyId = doc.envelope.signatures.map((s) => s.keyid).find((k): k is string => !!k);
  if (!options.publicKey) return failed('key', keyRequired(rules.keyRequired), [], undefined, 'absent', keyId);
  const key = options.publicKey;
  try {
    checkSupported(key);
  } catch (e) {
    return failed('key', e, [], undefined, 'absent', keyId);
  }
  const hash = hashForKey(key);
  for (const [i, s] of doc.envelope.signatures.entries()) {
    let sig: Buffer;
    try {
      sig = decodeSig(s.sig);
    } catch {
      continue;
    }
    for (const name of rules.schemes[i] ?? []) {
      const data = name === 'raw-signature' ? doc.payload : pae(doc.envelope.payloadType, doc.payload);
      if (verifyBytes(key, data, sig, hash)) {
        return {
          status: 'verified',
          method: 'key',
          keyId: rules.signerName === 'keyid' ? s.keyid || keyId || publicKeyHint(key) : publicKeyHint(key),
          transparencyLog: 'absent',
          steps: [
            { name: 'public-key', status: 'ok', detail: 'the given public key' },
            { name, status: 'ok', detail: name === 'raw-signature' ? 'ECDSA over the raw payload (Cloud Build regional key)' : 'over the DSSE PAE' },
          ],
        };
      }
    }
  }
  const error = {
    code: 'SIGNATURE_INVALID',
    message: `The signature does not verify with the given public key${keyId ? ` (the envelope names ${keyId})` : ''}`,
  };
  return {
    status: 'failed',
    method: 'key',
    ...(keyId ? { keyId } : {}),
    transparencyLog: 'absent',
    error,
    steps: [{ name: rules.failedStep, status: 'failed', detail: error.message }],
  };
}
