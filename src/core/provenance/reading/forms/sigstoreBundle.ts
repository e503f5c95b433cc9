// A Sigstore bundle v0.1–v0.3 holding a DSSE envelope (`*.sigstore`,
// `*.build.slsa`, a line of `gh attestation download`), or one wrapped as
// `{"bundle": …}` as GitHub's attestations API returns it.
import { ModelSigningError } from '../../../errors';
import { Bundle, SIGSTORE_BUNDLE_MEDIA_TYPES, parseBundle } from '../../../signing/bundle';
import { isObject } from '../../json';
import { checkPayloadType, decodeBase64, invalidProvenance, paeSignatureRules, toPem } from '../envelope';
import { parseInTotoStatement } from '../inTotoStatement';
import { ProvenanceReader, byLine } from './reader';

function isBundle(value: Record<string, unknown>): boolean {
  return typeof value.mediaType === 'string' && value.mediaType.startsWith('application/vnd.dev.sigstore.bundle');
}

export const sigstoreBundleReader: ProvenanceReader = {
  what: 'a Sigstore bundle',
  accepts: (value) => isBundle(value) || (isObject(value.bundle) && typeof value.bundle.mediaType === 'string'),
  read: (value, { file, where, index }) => {
    const raw = isBundle(value) ? value : (value.bundle as Record<string, unknown>);
    const bundle = checkBundle(raw, where);
    const envelope = bundle.dsseEnvelope;
    checkPayloadType(envelope, where);
    const payload = decodeBase64(envelope.payload, where, 'payload');
    const vm = bundle.verificationMaterial;
    const der = vm.certificate?.rawBytes ?? vm.x509CertificateChain?.certificates[0]?.rawBytes;
    return [
      {
        form: 'sigstore-bundle',
        file,
        index,
        envelope,
        bundle,
        ...(der ? { certificatePem: toPem(Buffer.from(der, 'base64'), where) } : {}),
        label: { form: 'Sigstore bundle', formDetail: `Sigstore bundle ${bundle.mediaType}`, position: byLine() },
        keySignature: paeSignatureRules(envelope, 'This provenance is signed with a key'),
        alternative: false,
        payload,
        statement: parseInTotoStatement(payload, where),
      },
    ];
  },
};

function checkBundle(value: Record<string, unknown>, where: string): Bundle {
  if (!(SIGSTORE_BUNDLE_MEDIA_TYPES as readonly string[]).includes(value.mediaType as string)) {
    throw invalidProvenance(where, `unknown Sigstore bundle media type ${JSON.stringify(value.mediaType)}`);
  }
  const vm = isObject(value.verificationMaterial) ? value.verificationMaterial : {};
  // A protobuf oneof: Sigstore's parser keeps the first of publicKey, x509CertificateChain, certificate and
  // verifies with it, while the claims are read from the certificate; two of them would let one key sign
  // and another certificate's identity be trusted.
  const material = ['publicKey', 'x509CertificateChain', 'certificate'].filter((k) => vm[k] !== undefined && vm[k] !== null);
  if (material.length > 1)
    throw invalidProvenance(where, `invalid Sigstore bundle: the verification material holds ${material.join(' and ')}; it must hold one`);
  try {
    // parseBundle (made for model signatures) refuses a v0.3 certificate with no log entry; provenance
    // reports it as 'incomplete' instead, so the shape is checked with the certificate seen as a chain.
    const noLog = isObject(vm.certificate) && (!Array.isArray(vm.tlogEntries) || vm.tlogEntries.length === 0);
    const shape = noLog
      ? { ...value, verificationMaterial: { ...vm, certificate: undefined, x509CertificateChain: { certificates: [vm.certificate] } } }
      : value;
    parseBundle(JSON.stringify(shape));
    return value as unknown as Bundle;
  } catch (e) {
    if (e instanceof ModelSigningError) throw invalidProvenance(where, e.message.replace(/^Invalid signature file: /, 'invalid Sigstore bundle: '), e);
    throw e;
  }
}
