// The certificate-agrees-with-predicate check: GitHub's token and the signer's
// predicate must not tell two stories.
import { readCertificateClaims } from '../../reading/certificateClaims';
import { CertificateClaims, PolicyCheck, ProvenanceDocument } from '../../types';
import { certificateFacts, predicateFacts } from '../../reading/predicateClaims';

/**
 * Every fact both the certificate (from GitHub's token) and the predicate
 * state must be the same; the certificate's deprecated and newer extensions
 * must agree too. `compareBuilder`: the predicate's builder id must be the
 * certificate's workflow (not for BYOB, where it names the delegated builder).
 */
export function certificateAgreement(doc: ProvenanceDocument, cert: CertificateClaims, { compareBuilder }: { compareBuilder: boolean }): PolicyCheck {
  const have = certificateFacts(cert);
  const facts = predicateFacts(doc.statement).filter((f) => compareBuilder || f.fact !== 'buildSignerUri');
  const compared = facts.filter((f) => have[f.fact] !== undefined);
  const disagree = compared.filter((f) => have[f.fact] !== f.value);
  let conflicts: string[] = [];
  if (doc.certificatePem) {
    try {
      conflicts = readCertificateClaims(doc.certificatePem).conflicts;
    } catch {
      // Already reported by the signature check.
    }
  }
  if (disagree.length === 0 && conflicts.length === 0) {
    const names = [...new Set(compared.map((f) => f.fact))];
    return {
      name: 'certificate-agrees',
      ok: true,
      message:
        compared.length > 0
          ? `the certificate and the predicate agree on ${compared.length} field(s): ${names.join(', ')}`
          : 'the predicate states nothing the certificate also states',
    };
  }
  const first = disagree[0];
  return {
    name: 'certificate-agrees',
    ok: false,
    ...(first ? { expected: have[first.fact], actual: first.value } : {}),
    message: `the certificate and the predicate disagree: ${[
      ...disagree.map((f) => `${f.field} says '${f.value}', the certificate's ${f.fact} '${have[f.fact]}'`),
      ...conflicts.map((c) => `in the certificate, ${c}`),
    ].join('; ')}`,
  };
}
