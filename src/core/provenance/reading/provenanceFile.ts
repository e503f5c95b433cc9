// Reading provenance in the forms builders write it. The form is found from the
// content, never the file name (`.intoto.jsonl` files hold Sigstore bundles too):
//  - a Sigstore bundle v0.1–v0.3 (`*.sigstore`, `*.build.slsa`), also one per
//    line as `gh attestation download` writes, or wrapped as `{"bundle": …}` as
//    GitHub's attestations API returns it;
//  - a bare DSSE envelope, one per line in `.intoto.jsonl`, with the Fulcio
//    certificate in `signatures[].cert` as the SLSA generic generator writes it;
//  - `gcloud artifacts docker images describe --show-provenance --format json`
//    output: one document per `provenance_summary.provenance[]` item.
import * as crypto from 'node:crypto';
import { throwIfAborted } from '../../abort';
import { FormatError, ModelSigningError } from '../../errors';
import { parseJson } from '../../io/parseJson';
import { readInputFile } from '../../io/readInputFile';
import { Bundle, DsseEnvelope, SIGSTORE_BUNDLE_MEDIA_TYPES, parseBundle } from '../../signing/bundle';
import { IN_TOTO_PAYLOAD_TYPE } from '../../signing/dsse';
import { isObject } from '../json';
import { parseInTotoStatement } from './inTotoStatement';
import { ProvenanceDocument } from '../types';

/** Provenance files larger than this are refused before they are read. */
export const MAX_PROVENANCE_BYTES = 64 << 20;
/** At most this many signed statements in one file. */
export const MAX_PROVENANCE_DOCUMENTS = 10_000;

/** Cloud Build's regional KMS key names: the region picks the public key. */
const GCB_KEY_ID = /^projects\/[^/]+\/locations\/([^/]+)\/keyRings\/[^/]+\/cryptoKeys\/[^/]+\/cryptoKeyVersions\/[^/]+$/;

export interface ReadProvenanceOptions {
  signal?: AbortSignal;
}

/**
 * Every signed statement in a provenance file, in file order. Throws
 * PROVENANCE_UNREADABLE when the file cannot be read and PROVENANCE_INVALID
 * (a FormatError) for anything that is not provenance in a known form.
 */
export async function readProvenanceFile(file: string, options: ReadProvenanceOptions = {}): Promise<ProvenanceDocument[]> {
  throwIfAborted(options.signal);
  const text = await readText(file);
  throwIfAborted(options.signal);
  return parseProvenanceText(text, file, options);
}

/** The same as readProvenanceFile, for text already in memory; `file` names it in the documents and errors. */
export function parseProvenanceText(text: string, file: string, options: ReadProvenanceOptions = {}): ProvenanceDocument[] {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') throw invalid(file, 'the file is empty');
  const docs: ProvenanceDocument[] = [];
  const whole = tryJson(body, file);
  if (whole.ok) {
    collect(whole.value, file, file, docs);
  } else {
    // JSON lines: one bundle or envelope per line.
    const lines = body.split(/\r?\n/);
    let seen = 0;
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.trim() === '') continue;
      throwIfAborted(options.signal);
      const where = `${file}, line ${i + 1}`;
      const line = tryJson(lines[i]!, where);
      if (!line.ok) throw invalid(where, seen === 0 && lines.filter((l) => l.trim()).length === 1 ? 'not JSON' : 'not JSON (expected one JSON object per line)');
      collect(line.value, file, where, docs);
      seen++;
    }
  }
  if (docs.length === 0) throw invalid(file, 'no signed statement found');
  return docs;
}

function collect(value: unknown, file: string, where: string, docs: ProvenanceDocument[], inList = false): void {
  if (docs.length >= MAX_PROVENANCE_DOCUMENTS) throw invalid(where, `more than ${MAX_PROVENANCE_DOCUMENTS} statements`);
  if (Array.isArray(value)) {
    // One level only: no form nests lists, and unbounded recursion would overflow the stack.
    if (inList) throw invalid(where, 'a list inside a list');
    value.forEach((v, i) => collect(v, file, `${where}, item ${i}`, docs, true));
    return;
  }
  if (!isObject(value)) throw invalid(where, 'not a JSON object');
  if (typeof value.mediaType === 'string' && value.mediaType.startsWith('application/vnd.dev.sigstore.bundle')) {
    docs.push(bundleDocument(value, file, where, docs.length));
  } else if (isObject(value.bundle) && typeof value.bundle.mediaType === 'string') {
    docs.push(bundleDocument(value.bundle, file, where, docs.length));
  } else if (isObject(value.provenance_summary)) {
    gcbDocuments(value, file, where, docs);
  } else if ('payloadType' in value && 'payload' in value && 'signatures' in value) {
    docs.push(envelopeDocument(value, file, where, docs.length));
  } else {
    throw invalid(where, 'not provenance: expected a Sigstore bundle, a DSSE envelope, or gcloud --show-provenance output');
  }
}

function bundleDocument(value: Record<string, unknown>, file: string, where: string, index: number): ProvenanceDocument {
  if (!(SIGSTORE_BUNDLE_MEDIA_TYPES as readonly string[]).includes(value.mediaType as string)) {
    throw invalid(where, `unknown Sigstore bundle media type ${JSON.stringify(value.mediaType)}`);
  }
  let bundle: Bundle;
  const rawVm = isObject(value.verificationMaterial) ? value.verificationMaterial : {};
  // A protobuf oneof: Sigstore's parser keeps the first of publicKey, x509CertificateChain, certificate and
  // verifies with it, while the claims are read from the certificate; two of them would let one key sign
  // and another certificate's identity be trusted.
  const material = ['publicKey', 'x509CertificateChain', 'certificate'].filter((k) => rawVm[k] !== undefined && rawVm[k] !== null);
  if (material.length > 1) throw invalid(where, `invalid Sigstore bundle: the verification material holds ${material.join(' and ')}; it must hold one`);
  try {
    // parseBundle (made for model signatures) refuses a v0.3 certificate with no log entry; provenance
    // reports it as 'incomplete' instead, so the shape is checked with the certificate seen as a chain.
    const vm = isObject(value.verificationMaterial) ? value.verificationMaterial : {};
    const noLog = isObject(vm.certificate) && (!Array.isArray(vm.tlogEntries) || vm.tlogEntries.length === 0);
    const shape = noLog ? { ...value, verificationMaterial: { ...vm, certificate: undefined, x509CertificateChain: { certificates: [vm.certificate] } } } : value;
    parseBundle(JSON.stringify(shape));
    bundle = value as unknown as Bundle;
  } catch (e) {
    if (e instanceof ModelSigningError) throw invalid(where, e.message.replace(/^Invalid signature file: /, 'invalid Sigstore bundle: '), e);
    throw e;
  }
  const envelope = bundle.dsseEnvelope;
  checkPayloadType(envelope, where);
  const payload = decodeBase64(envelope.payload, where, 'payload');
  const vm = bundle.verificationMaterial;
  const der = vm.certificate?.rawBytes ?? vm.x509CertificateChain?.certificates[0]?.rawBytes;
  return {
    form: 'sigstore-bundle',
    file,
    index,
    envelope,
    bundle,
    ...(der ? { certificatePem: toPem(Buffer.from(der, 'base64'), where) } : {}),
    payload,
    statement: parseInTotoStatement(payload, where),
  };
}

function envelopeDocument(value: Record<string, unknown>, file: string, where: string, index: number): ProvenanceDocument {
  const envelope = checkEnvelope(value, where);
  const payload = decodeBase64(envelope.payload, where, 'payload');
  const cert = (envelope.signatures as Array<{ cert?: unknown }>).find((s) => typeof s.cert === 'string' && s.cert.trim() !== '')?.cert as string | undefined;
  return {
    form: 'dsse',
    file,
    index,
    envelope,
    ...(cert ? { certificatePem: normalisePem(cert, where) } : {}),
    payload,
    statement: parseInTotoStatement(payload, where),
  };
}

function gcbDocuments(value: Record<string, unknown>, file: string, where: string, docs: ProvenanceDocument[]): void {
  const summary = value.provenance_summary as Record<string, unknown>;
  const items = summary.provenance;
  if (!Array.isArray(items) || items.length === 0) throw invalid(where, 'provenance_summary.provenance is missing or empty');
  const image = isObject(value.image_summary) ? value.image_summary : {};
  items.forEach((item, i) => {
    const at = `${where}, provenance ${i}`;
    if (!isObject(item) || !isObject(item.envelope)) throw invalid(at, 'the item has no DSSE envelope');
    const envelope = checkEnvelope(item.envelope, at);
    const payload = decodeBase64(envelope.payload, at, 'payload');
    const statement = parseInTotoStatement(payload, at);
    const keyId = envelope.signatures.map((s) => s.keyid).find((k): k is string => typeof k === 'string' && k !== '') ?? '';
    const region = GCB_KEY_ID.exec(keyId)?.[1];
    const build = isObject(item.build) ? item.build : {};
    docs.push({
      form: 'gcb',
      file,
      index: docs.length,
      envelope,
      payload,
      statement,
      gcb: {
        keyId,
        ...(region ? { region } : {}),
        ...unsignedCopy(build, statement),
        ...(typeof item.kind === 'string' ? { kind: item.kind } : {}),
        ...(typeof item.resourceUri === 'string' ? { resourceUri: item.resourceUri } : {}),
        ...(typeof image.digest === 'string' ? { imageDigest: image.digest } : {}),
        ...(typeof image.fully_qualified_digest === 'string' ? { fullyQualifiedDigest: image.fully_qualified_digest } : {}),
      },
    });
  });
}

/**
 * Cloud Build prints the statement a second time, unsigned: v0.1 as
 * `build.intotoStatement` with the predicate under `slsaProvenance`, v1 as
 * `build.inTotoSlsaProvenanceV1`. A reader might trust that copy, so it must
 * equal the signed one (slsa-verifier rejects the file otherwise).
 */
function unsignedCopy(build: Record<string, unknown>, signed: { _type: string; predicateType: string; subject: unknown; predicate: unknown }): { unsignedStatementMatches?: boolean } {
  const v01 = build.intotoStatement;
  const v1 = build.inTotoSlsaProvenanceV1;
  const signedView = { _type: signed._type, predicateType: signed.predicateType, subject: signed.subject, predicate: signed.predicate };
  if (isObject(v1)) {
    return { unsignedStatementMatches: deepEqual({ _type: v1._type, predicateType: v1.predicateType, subject: v1.subject, predicate: v1.predicate }, signedView) };
  }
  if (isObject(v01)) {
    return { unsignedStatementMatches: deepEqual({ _type: v01._type, predicateType: v01.predicateType, subject: v01.subject, predicate: v01.slsaProvenance }, signedView) };
  }
  return {};
}

function checkEnvelope(value: Record<string, unknown>, where: string): DsseEnvelope {
  if (typeof value.payload !== 'string' || value.payload === '') throw invalid(where, 'the DSSE envelope has no payload');
  if (typeof value.payloadType !== 'string') throw invalid(where, 'the DSSE envelope has no payloadType');
  if (!Array.isArray(value.signatures) || value.signatures.length === 0) throw invalid(where, 'the DSSE envelope has no signature');
  value.signatures.forEach((s, i) => {
    if (!isObject(s) || typeof s.sig !== 'string' || s.sig === '') throw invalid(where, `signature ${i} of the DSSE envelope has no sig`);
    if (s.keyid !== undefined && s.keyid !== null && typeof s.keyid !== 'string') throw invalid(where, `signature ${i} has a keyid that is not a string`);
    if (s.cert !== undefined && s.cert !== null && typeof s.cert !== 'string') throw invalid(where, `signature ${i} has a cert that is not a PEM string`);
  });
  const envelope = value as unknown as DsseEnvelope;
  checkPayloadType(envelope, where);
  return envelope;
}

function checkPayloadType(envelope: DsseEnvelope, where: string): void {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw invalid(where, `the DSSE payload type is ${JSON.stringify(envelope.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`);
  }
}

/** Standard or URL-safe base64, padded or not; anything else is refused rather than half-decoded. */
export function decodeBase64(value: string, where: string, what: string): Buffer {
  const s = value.trim();
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s) || s.replace(/=+$/, '').length % 4 === 1 || s === '') {
    throw invalid(where, `the ${what} is not base64`);
  }
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function normalisePem(pem: string, where: string): string {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw invalid(where, 'the signature\'s cert is not a PEM certificate');
  return toPem(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'), where);
}

function toPem(der: Buffer, where: string): string {
  try {
    new crypto.X509Certificate(der);
  } catch (e) {
    throw invalid(where, 'the signing certificate is not an X.509 certificate', e);
  }
  const b64 = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** JSON values compared by content: object keys in any order, arrays in order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

async function readText(file: string): Promise<string> {
  const bytes = await readInputFile(file, { what: 'provenance file', maxBytes: MAX_PROVENANCE_BYTES, unreadableCode: 'PROVENANCE_UNREADABLE', tooLargeCode: 'PROVENANCE_INVALID' });
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD') && !Buffer.from(text, 'utf8').equals(bytes)) throw invalid(file, 'the file is not UTF-8 text');
  return text;
}

/** Text that is not JSON may be JSON lines; text nested too deep is refused outright. */
function tryJson(text: string, where: string): { ok: true; value: unknown } | { ok: false } {
  const notJson = new Error('not JSON');
  try {
    return { ok: true, value: parseJson(text, (why, problem) => (problem === 'not-json' ? notJson : invalid(where, `the JSON ${why}`))) };
  } catch (e) {
    if (e === notJson) return { ok: false };
    throw e;
  }
}

function invalid(where: string, message: string, cause?: unknown): FormatError {
  return new FormatError('PROVENANCE_INVALID', `Invalid provenance (${where}): ${message}`, { where }, cause);
}
