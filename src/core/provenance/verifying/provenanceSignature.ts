// Checking the signature on one provenance document, offline: keyless
// (keylessSignature.ts: a Sigstore bundle, or a Fulcio certificate with no log
// entry) or with a public key (keySignature.ts, by the schemes the document's
// reader named).
import { bundleKind } from '../../methods/registry';
import { readCertificateClaims } from '../reading/certificateClaims';
import { CertificateClaims, ProvenanceDocument, ProvenanceSignatureCheck } from '../types';
import { checkCertificateWithoutLog, checkSigstoreBundle } from './keylessSignature';
import { checkKeyBundle, checkWithKey } from './keySignature';
import { ProvenanceSignatureOptions, failed } from './signatureResult';

export type { ProvenanceSignatureOptions } from './signatureResult';

/** Checks the signature of one document; never throws for a bad signature (status 'failed' says why). */
export async function checkProvenanceSignature(doc: ProvenanceDocument, options: ProvenanceSignatureOptions): Promise<ProvenanceSignatureCheck> {
  let certificate: (CertificateClaims & { conflicts?: string[] }) | undefined;
  if (doc.certificatePem) {
    try {
      certificate = readCertificateClaims(doc.certificatePem);
    } catch (e) {
      return failed('sigstore', e, [], undefined);
    }
  }
  if (certificate) delete certificate.conflicts;
  if (doc.bundle) {
    if (bundleKind(doc.bundle) === 'key') return checkKeyBundle(doc, options);
    // With log or timestamp evidence, Sigstore's full check; a certificate alone proves no time.
    const vm = doc.bundle.verificationMaterial;
    const tsa = ((vm.timestampVerificationData as { rfc3161Timestamps?: unknown[] } | undefined)?.rfc3161Timestamps ?? []).length;
    if ((vm.tlogEntries?.length ?? 0) > 0 || tsa > 0) return checkSigstoreBundle(doc, certificate!, options);
    return checkCertificateWithoutLog(doc, certificate!, options);
  }
  if (certificate) return checkCertificateWithoutLog(doc, certificate, options);
  return checkWithKey(doc, options);
}
