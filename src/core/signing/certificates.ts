import * as crypto from 'node:crypto';
import type * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { FormatError, VerificationError } from '../errors';
import { validateCertificatePath } from './certificatePath';

const KEY_USAGE_OID = '2.5.29.15';
const EXT_KEY_USAGE_OID = '2.5.29.37';
const CODE_SIGNING_OID = '1.3.6.1.5.5.7.3.3';

/** Every certificate in a PEM text, in order; text around the armour is skipped. */
export function parsePemCertificates(pem: string, source = 'certificate file'): Buffer[] {
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
  if (blocks.length === 0) throw new FormatError('CERTIFICATE_INVALID', `No PEM certificate found in ${source}`, { source });
  return blocks.map((m) => {
    const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
    parseCertificate(der, source);
    return der;
  });
}

/** Parses DER with node's X509Certificate, so a malformed certificate fails here with a clear error. */
export function parseCertificate(der: Buffer, source = 'certificate'): crypto.X509Certificate {
  try {
    return new crypto.X509Certificate(der);
  } catch (e) {
    throw new FormatError('CERTIFICATE_INVALID', `Cannot parse ${source}: not an X.509 certificate`, { source }, e);
  }
}

export interface ChainCheck {
  /** Validation time: when the signature is checked against (the OMS spec asks for the current time). */
  at?: Date;
}

/**
 * Validates the path leaf → intermediates → one of the trust anchors as
 * OpenSSL does (see validateCertificatePath), then checks that the leaf may
 * sign code. Returns warnings for what the reference only warns about.
 */
export async function verifyCertificateChain(
  leaf: Buffer,
  intermediates: readonly Buffer[],
  roots: readonly Buffer[],
  { at = new Date() }: ChainCheck = {},
): Promise<string[]> {
  await validateCertificatePath(leaf, intermediates, roots, at);
  const pkijs = await import('pkijs');
  return checkCodeSigningUsage(pkijs.Certificate.fromBER(new Uint8Array(leaf)), await import('asn1js'));
}

/**
 * As the reference: the leaf needs KeyUsage digitalSignature, or else EKU
 * codeSigning; with neither extension present it is accepted with a warning.
 */
function checkCodeSigningUsage(cert: pkijs.Certificate, asn1: typeof asn1js): string[] {
  const ext = (oid: string) => cert.extensions?.find((e) => e.extnID === oid);
  const ku = ext(KEY_USAGE_OID);
  const eku = ext(EXT_KEY_USAGE_OID);
  if (ku) {
    const bits = asn1.fromBER(ku.extnValue.getValue()).result as asn1js.BitString;
    const first = new Uint8Array(bits.valueBlock.valueHexView)[0] ?? 0;
    if (first & 0x80) return []; // digitalSignature
  }
  if (eku) {
    const usages = (eku.parsedValue as pkijs.ExtKeyUsage | undefined)?.keyPurposes ?? [];
    if (usages.includes(CODE_SIGNING_OID)) return [];
  }
  if (!ku && !eku) return ['The signing certificate has neither KeyUsage nor ExtendedKeyUsage'];
  throw new VerificationError(
    'CERTIFICATE_USAGE_INVALID',
    'Signing certificate cannot be used for signing: it has neither KeyUsage digitalSignature nor ExtendedKeyUsage codeSigning',
  );
}

/** `CN=..., O=...` of a certificate's subject or issuer, as node prints it on one line. */
export function distinguishedName(text: string): string {
  return text.split('\n').filter(Boolean).join(', ');
}

/** SHA-256 fingerprint as `AA:BB:...`. */
export function fingerprint(der: Buffer): string {
  return crypto.createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}
