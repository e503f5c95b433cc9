// `gcloud artifacts docker images describe --show-provenance --format json`
// output: one statement per `provenance_summary.provenance[]` item, signed by
// Cloud Build's KMS key, with the occurrence's metadata and an unsigned copy
// of the statement beside it.
import type { DsseEnvelope } from '../../../signing/bundle';
import { isObject } from '../../json';
import type { InTotoStatement, KeySignatureRules } from '../../types';
import { checkEnvelope, decodeBase64, invalidProvenance } from '../envelope';
import { parseInTotoStatement } from '../inTotoStatement';
import type { ProvenanceReader } from './reader';

/** Cloud Build's regional KMS key names: the region picks the public key. */
const GCB_KEY_ID = /^projects\/[^/]+\/locations\/([^/]+)\/keyRings\/[^/]+\/cryptoKeys\/[^/]+\/cryptoKeyVersions\/[^/]+$/;
/** The regional keys that sign the payload bytes themselves (a legacy scheme) rather than the DSSE PAE. */
const GCB_REGIONAL_KEY = /^projects\/verified-builder\/locations\/[^/]+\/keyRings\/attestor\/cryptoKeys\/builtByGCB\/cryptoKeyVersions\/1$/;

export const cloudBuildReader: ProvenanceReader = {
  what: 'gcloud --show-provenance output',
  accepts: (value) => isObject(value.provenance_summary),
  read: (value, { file, where, index }) => {
    const summary = value.provenance_summary as Record<string, unknown>;
    const items = summary.provenance;
    if (!Array.isArray(items) || items.length === 0) throw invalidProvenance(where, 'provenance_summary.provenance is missing or empty');
    const image = isObject(value.image_summary) ? value.image_summary : {};
    return items.map((item, i) => {
      const at = `${where}, provenance ${i}`;
      if (!isObject(item) || !isObject(item.envelope)) throw invalidProvenance(at, 'the item has no DSSE envelope');
      const envelope = checkEnvelope(item.envelope, at);
      const payload = decodeBase64(envelope.payload, at, 'payload');
      const statement = parseInTotoStatement(payload, at);
      const keyId = envelope.signatures.map((s) => s.keyid).find((k): k is string => typeof k === 'string' && k !== '') ?? '';
      const region = GCB_KEY_ID.exec(keyId)?.[1];
      const build = isObject(item.build) ? item.build : {};
      return {
        form: 'gcb',
        file,
        index: index + i,
        envelope,
        payload,
        statement,
        label: {
          form: 'Google Cloud Build provenance',
          formDetail: 'Cloud Build (gcloud --show-provenance)',
          position: { noun: 'Cloud Build item', always: true },
        },
        keySignature: kmsSignatureRules(envelope, keyId),
        alternative: true,
        gcb: {
          keyId,
          ...(region ? { region } : {}),
          ...unsignedCopy(build, statement),
          ...(typeof item.kind === 'string' ? { kind: item.kind } : {}),
          ...(typeof item.resourceUri === 'string' ? { resourceUri: item.resourceUri } : {}),
          ...(typeof image.digest === 'string' ? { imageDigest: image.digest } : {}),
          ...(typeof image.fully_qualified_digest === 'string' ? { fullyQualifiedDigest: image.fully_qualified_digest } : {}),
        },
      };
    });
  },
};

/** The regional keys (or an unnamed one) over the raw payload first, the PAE second; other keys the other way round. */
function kmsSignatureRules(envelope: DsseEnvelope, keyId: string): KeySignatureRules {
  return {
    keyRequired: `This Cloud Build provenance is signed by the Cloud KMS key ${keyId || '(unnamed)'}`,
    schemes: envelope.signatures.map((s) =>
      !s.keyid || GCB_REGIONAL_KEY.test(s.keyid) ? ['raw-signature', 'dsse-signature'] : ['dsse-signature', 'raw-signature'],
    ),
    // The KMS key name is shown (Cloud Build's policy never reads it).
    signerName: 'keyid',
    failedStep: 'raw-signature',
  };
}

/**
 * Cloud Build prints the statement a second time, unsigned: v0.1 as
 * `build.intotoStatement` with the predicate under `slsaProvenance`, v1 as
 * `build.inTotoSlsaProvenanceV1`. A reader might trust that copy, so it must
 * equal the signed one (slsa-verifier rejects the file otherwise).
 */
function unsignedCopy(build: Record<string, unknown>, signed: InTotoStatement): { unsignedStatementMatches?: boolean } {
  const v01 = build.intotoStatement;
  const v1 = build.inTotoSlsaProvenanceV1;
  const signedView = { _type: signed._type, predicateType: signed.predicateType, subject: signed.subject, predicate: signed.predicate };
  if (isObject(v1)) {
    return {
      unsignedStatementMatches: deepEqual({ _type: v1._type, predicateType: v1.predicateType, subject: v1.subject, predicate: v1.predicate }, signedView),
    };
  }
  if (isObject(v01)) {
    return {
      unsignedStatementMatches: deepEqual(
        { _type: v01._type, predicateType: v01.predicateType, subject: v01.subject, predicate: v01.slsaProvenance },
        signedView,
      ),
    };
  }
  return {};
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
