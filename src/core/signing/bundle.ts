import { FormatError } from '../errors';
import { isJsonObject, parseJson } from '../io/parseJson';
import { readInputText } from '../io/readInputFile';

/** The media type the reference writes, and the only one its key and certificate verifiers take. */
export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** Older Sigstore bundle forms, read for keyless signatures only. */
export const SIGSTORE_BUNDLE_MEDIA_TYPES = [
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  BUNDLE_V03_MEDIA_TYPE,
] as const;

/** Signatures larger than this are refused before they are read: a manifest of ~300,000 resources. */
export const MAX_BUNDLE_BYTES = 64 << 20;

export interface DsseSignature {
  sig: string;
  keyid?: string | null;
}

export interface DsseEnvelope {
  /** Standard base64 of the statement bytes. */
  payload: string;
  payloadType: string;
  signatures: DsseSignature[];
}

export interface VerificationMaterial {
  publicKey?: { hint?: string; rawBytes?: string; keyDetails?: string };
  x509CertificateChain?: { certificates: Array<{ rawBytes: string }> };
  certificate?: { rawBytes: string };
  tlogEntries?: unknown[];
  /** RFC 3161 timestamps over the envelope's signature (TimeStampResp, base64 DER). */
  timestampVerificationData?: { rfc3161Timestamps?: Array<{ signedTimestamp: string }> };
}

/** A Sigstore bundle holding a DSSE envelope: the content of `model.sig`. */
export interface Bundle {
  mediaType: string;
  verificationMaterial: VerificationMaterial;
  dsseEnvelope: DsseEnvelope;
}

/** The decoded statement bytes of a bundle. */
export function bundlePayload(bundle: Bundle): Buffer {
  return Buffer.from(bundle.dsseEnvelope.payload, 'base64');
}

/** Compact JSON, no final newline, keys in the reference's order. */
export function serializeBundle(bundle: Bundle): string {
  return JSON.stringify({ mediaType: bundle.mediaType, verificationMaterial: bundle.verificationMaterial, dsseEnvelope: bundle.dsseEnvelope });
}

/** Reads and checks the shape of a signature file. */
export async function readBundle(file: string): Promise<Bundle> {
  const text = await readInputText(file, {
    what: 'signature file',
    maxBytes: MAX_BUNDLE_BYTES,
    unreadableCode: 'SIGNATURE_FILE_UNREADABLE',
    tooLargeCode: 'BUNDLE_INVALID',
  });
  return parseBundle(text);
}

/**
 * Parses a bundle and checks every field the verifiers rely on. Accepts the
 * historical forms: `keyid` absent, empty or null; `publicKey.rawBytes`;
 * no `tlogEntries`.
 */
export function parseBundle(text: string): Bundle {
  if (text.trim() === '') throw invalid('the signature file is empty');
  const json = parseJson(text, (why) => invalid(`the signature file ${why}`));
  const b = obj(json, 'bundle');
  if (typeof b.mediaType !== 'string' || !(SIGSTORE_BUNDLE_MEDIA_TYPES as readonly string[]).includes(b.mediaType)) {
    throw invalid(`unknown media type ${JSON.stringify(b.mediaType)}`);
  }
  const vm = obj(b.verificationMaterial, 'verificationMaterial');
  if (vm.publicKey !== undefined) {
    const pk = obj(vm.publicKey, 'publicKey');
    for (const k of ['hint', 'rawBytes', 'keyDetails'] as const) {
      if (pk[k] !== undefined && pk[k] !== null && typeof pk[k] !== 'string') throw invalid(`publicKey.${k} must be a string`);
    }
  }
  if (vm.x509CertificateChain !== undefined) {
    const certs = arr(obj(vm.x509CertificateChain, 'x509CertificateChain').certificates, 'x509CertificateChain.certificates');
    if (certs.length === 0) throw invalid('the certificate chain is empty');
    certs.forEach((c, i) => base64(obj(c, `certificate ${i}`).rawBytes, `certificate ${i}`));
  }
  if (vm.certificate !== undefined) base64(obj(vm.certificate, 'certificate').rawBytes, 'certificate');
  if (vm.publicKey === undefined && vm.x509CertificateChain === undefined && vm.certificate === undefined) {
    throw invalid('the verification material has no public key and no certificate');
  }
  if (vm.tlogEntries !== undefined) arr(vm.tlogEntries, 'tlogEntries');
  if (vm.timestampVerificationData !== undefined && vm.timestampVerificationData !== null) {
    const stamps = obj(vm.timestampVerificationData, 'timestampVerificationData').rfc3161Timestamps;
    if (stamps !== undefined) {
      arr(stamps, 'rfc3161Timestamps').forEach((t, i) => base64(obj(t, `timestamp ${i}`).signedTimestamp, `timestamp ${i}`));
    }
  }
  // A keyless certificate is only trusted through its transparency-log entry.
  if (vm.certificate !== undefined && (!Array.isArray(vm.tlogEntries) || vm.tlogEntries.length === 0)) {
    throw invalid('a Sigstore certificate needs at least one transparency-log entry (tlogEntries)');
  }

  if (b.messageSignature !== undefined) throw invalid('the bundle holds a message signature, not a DSSE envelope');
  const env = obj(b.dsseEnvelope, 'dsseEnvelope');
  base64(env.payload, 'dsseEnvelope.payload');
  if (typeof env.payloadType !== 'string') throw invalid('dsseEnvelope.payloadType must be a string');
  const sigs = arr(env.signatures, 'dsseEnvelope.signatures');
  if (sigs.length === 0) throw invalid('the envelope has no signature');
  sigs.forEach((s, i) => {
    const so = obj(s, `signature ${i}`);
    base64(so.sig, `signature ${i}`);
    if (so.keyid !== undefined && so.keyid !== null && typeof so.keyid !== 'string') throw invalid('keyid must be a string');
  });
  return json as Bundle;
}

function invalid(message: string): FormatError {
  return new FormatError('BUNDLE_INVALID', `Invalid signature file: ${message}`);
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (!isJsonObject(v)) throw invalid(`${what} is missing or not an object`);
  return v;
}

function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw invalid(`${what} is missing or not a list`);
  return v;
}

function base64(v: unknown, what: string): void {
  if (typeof v !== 'string' || v.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 === 1) {
    throw invalid(`${what} is not base64`);
  }
}
