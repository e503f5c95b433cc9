// What a Fulcio certificate says about its signer: the SAN, the OIDC issuer,
// and the workflow claims Fulcio copies from a CI token into extensions under
// 1.3.6.1.4.1.57264.1 (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md).
// The deprecated .1.1–.1.6 values are raw bytes; .1.8 and later are DER UTF8Strings.
// Read only from a certificate Sigstore verified: keyless model signatures and provenance both use this.
import * as crypto from 'node:crypto';
import * as asn1js from 'asn1js';
import { FormatError } from '../errors';

/** The signer as its Fulcio certificate names it. */
export interface CertificateClaims {
  subjectAlternativeName: string;
  issuer?: string;
  /** 1.3.6.1.4.1.57264.1.* extensions, by name (CLAIMS and DEPRECATED below). */
  claims: Record<string, string>;
  notBefore: string;
  notAfter: string;
}

const FULCIO_ARC = '1.3.6.1.4.1.57264.1.';

/** The newer extensions (DER UTF8String values), by the last arc. */
const CLAIMS: Record<number, string> = {
  8: 'issuer',
  9: 'buildSignerUri',
  10: 'buildSignerDigest',
  11: 'runnerEnvironment',
  12: 'sourceRepositoryUri',
  13: 'sourceRepositoryDigest',
  14: 'sourceRepositoryRef',
  15: 'sourceRepositoryIdentifier',
  16: 'sourceRepositoryOwnerUri',
  17: 'sourceRepositoryOwnerIdentifier',
  18: 'buildConfigUri',
  19: 'buildConfigDigest',
  20: 'buildTrigger',
  21: 'runInvocationUri',
  22: 'sourceRepositoryVisibilityAtSigning',
};

/** The deprecated extensions (raw values), and the newer claim each one stands for. */
const DEPRECATED: Record<number, { name: string; newer?: string; toNewer?: (v: string) => string }> = {
  1: { name: 'issuerV1', newer: 'issuer' },
  2: { name: 'githubWorkflowTrigger', newer: 'buildTrigger' },
  3: { name: 'githubWorkflowSha', newer: 'sourceRepositoryDigest' },
  4: { name: 'githubWorkflowName' },
  5: { name: 'githubWorkflowRepository', newer: 'sourceRepositoryUri', toNewer: (v) => `https://github.com/${v}` },
  6: { name: 'githubWorkflowRef', newer: 'sourceRepositoryRef' },
};

export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

/**
 * Reads the signer's claims from a PEM or DER certificate. A deprecated value
 * fills its newer claim when that one is absent; when both are present and
 * differ, the pair is listed in `conflicts` (slsa-verifier refuses such a
 * certificate).
 */
export function readCertificateClaims(cert: string | Buffer): CertificateClaims & { conflicts: string[] } {
  const der = typeof cert === 'string' ? pemToDer(cert) : cert;
  let x509: crypto.X509Certificate;
  try {
    x509 = new crypto.X509Certificate(der);
  } catch (e) {
    throw new FormatError('CERTIFICATE_INVALID', 'Cannot parse the signing certificate: not an X.509 certificate', {}, e);
  }
  const claims: Record<string, string> = {};
  const deprecated: Record<string, string> = {};
  for (const { oid, value } of extensions(der)) {
    if (!oid.startsWith(FULCIO_ARC)) continue;
    const arc = Number(oid.slice(FULCIO_ARC.length));
    if (!Number.isInteger(arc)) continue;
    if (DEPRECATED[arc]) {
      deprecated[DEPRECATED[arc].name] = value.toString('utf8');
    } else if (CLAIMS[arc]) {
      const text = derUtf8(value);
      if (text !== undefined) claims[CLAIMS[arc]] = text;
    }
  }
  const conflicts: string[] = [];
  for (const d of Object.values(DEPRECATED)) {
    const old = deprecated[d.name];
    if (old === undefined) continue;
    claims[d.name] = old;
    if (!d.newer) continue;
    const asNewer = d.toNewer ? d.toNewer(old) : old;
    if (claims[d.newer] === undefined) claims[d.newer] = asNewer;
    else if (claims[d.newer] !== asNewer) conflicts.push(`${d.name} '${old}' differs from ${d.newer} '${claims[d.newer]}'`);
  }
  const san = subjectAlternativeName(x509);
  return {
    subjectAlternativeName: san,
    ...(claims.issuer ? { issuer: claims.issuer } : {}),
    claims,
    notBefore: new Date(x509.validFrom).toISOString(),
    notAfter: new Date(x509.validTo).toISOString(),
    conflicts,
  };
}

/** The certificate's URI or email SAN (Fulcio puts exactly one). */
function subjectAlternativeName(x509: crypto.X509Certificate): string {
  const text = x509.subjectAltName ?? '';
  // node prints `URI:https://…, email:a@b`; values with commas are quoted.
  const m = /(?:^|, )(?:URI|email):("(?:[^"\\]|\\.)*"|[^,]*)/.exec(text);
  if (!m) return '';
  const v = m[1]!;
  return v.startsWith('"') ? (JSON.parse(v) as string) : v;
}

/** Each extension's OID and raw value (the OCTET STRING's content). */
function extensions(der: Buffer): Array<{ oid: string; value: Buffer }> {
  const parsed = asn1js.fromBER(new Uint8Array(der));
  if (parsed.offset === -1) return [];
  const tbs = (parsed.result as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence | undefined;
  const explicit = tbs?.valueBlock.value.find((b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 3) as asn1js.Constructed | undefined;
  const list = explicit?.valueBlock.value[0] as asn1js.Sequence | undefined;
  const out: Array<{ oid: string; value: Buffer }> = [];
  for (const ext of list?.valueBlock.value ?? []) {
    const parts = (ext as asn1js.Sequence).valueBlock.value;
    const oid = parts[0];
    const octets = parts[parts.length - 1];
    if (!(oid instanceof asn1js.ObjectIdentifier) || !(octets instanceof asn1js.OctetString)) continue;
    out.push({ oid: oid.valueBlock.toString(), value: Buffer.from(octets.valueBlock.valueHexView) });
  }
  return out;
}

function derUtf8(value: Buffer): string | undefined {
  const parsed = asn1js.fromBER(new Uint8Array(value));
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Utf8String)) return undefined;
  return parsed.result.valueBlock.value;
}

export function pemToDer(pem: string): Buffer {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new FormatError('CERTIFICATE_INVALID', 'No PEM certificate found');
  return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
}
