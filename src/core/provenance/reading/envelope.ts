// What every form's reader checks of a DSSE envelope and its signing
// certificate, and the error they all throw for a file that is not provenance.
import * as crypto from 'node:crypto';
import { FormatError } from '../../errors';
import type { DsseEnvelope } from '../../signing/bundle';
import { IN_TOTO_PAYLOAD_TYPE } from '../../signing/dsse';
import { isObject } from '../json';
import type { KeySignatureRules } from '../types';

/** A DSSE envelope's required fields, type-checked; its payload type must be in-toto's. */
export function checkEnvelope(value: Record<string, unknown>, where: string): DsseEnvelope {
  if (typeof value.payload !== 'string' || value.payload === '') throw invalidProvenance(where, 'the DSSE envelope has no payload');
  if (typeof value.payloadType !== 'string') throw invalidProvenance(where, 'the DSSE envelope has no payloadType');
  if (!Array.isArray(value.signatures) || value.signatures.length === 0) throw invalidProvenance(where, 'the DSSE envelope has no signature');
  value.signatures.forEach((s, i) => {
    if (!isObject(s) || typeof s.sig !== 'string' || s.sig === '') throw invalidProvenance(where, `signature ${i} of the DSSE envelope has no sig`);
    if (s.keyid !== undefined && s.keyid !== null && typeof s.keyid !== 'string')
      throw invalidProvenance(where, `signature ${i} has a keyid that is not a string`);
    if (s.cert !== undefined && s.cert !== null && typeof s.cert !== 'string')
      throw invalidProvenance(where, `signature ${i} has a cert that is not a PEM string`);
  });
  const envelope = value as unknown as DsseEnvelope;
  checkPayloadType(envelope, where);
  return envelope;
}

export function checkPayloadType(envelope: DsseEnvelope, where: string): void {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw invalidProvenance(where, `the DSSE payload type is ${JSON.stringify(envelope.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`);
  }
}

/** The DSSE rule: every signature over the PAE, a signer named by the given key's hint (a keyid is not signed). */
export function paeSignatureRules(envelope: DsseEnvelope, keyRequired: string): KeySignatureRules {
  return { keyRequired, schemes: envelope.signatures.map(() => ['dsse-signature']), signerName: 'public-key', failedStep: 'dsse-signature' };
}

/** Standard or URL-safe base64, padded or not; anything else is refused rather than half-decoded. */
export function decodeBase64(value: string, where: string, what: string): Buffer {
  const s = value.trim();
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s) || s.replace(/=+$/, '').length % 4 === 1 || s === '') {
    throw invalidProvenance(where, `the ${what} is not base64`);
  }
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** A PEM certificate as a signature's `cert` holds it, rewritten canonically. */
export function normalisePem(pem: string, where: string): string {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw invalidProvenance(where, "the signature's cert is not a PEM certificate");
  return toPem(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'), where);
}

export function toPem(der: Buffer, where: string): string {
  try {
    new crypto.X509Certificate(der);
  } catch (e) {
    throw invalidProvenance(where, 'the signing certificate is not an X.509 certificate', e);
  }
  const b64 = der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

export function invalidProvenance(where: string, message: string, cause?: unknown): FormatError {
  return new FormatError('PROVENANCE_INVALID', `Invalid provenance (${where}): ${message}`, { where }, cause);
}
