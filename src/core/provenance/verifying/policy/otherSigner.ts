// Anyone else (an email identity, a non-GitHub workload, a key): --builder-id
// names the signer (the SAN, or for a key its id or the builder the key vouches
// for), and the predicate's source is a claim of that signer.
import { splitWorkflowUri } from '../../reading/certificateClaims';
import { repoOf } from '../../reading/summary';
import { PolicyCheck, ProvenancePolicy } from '../../types';
import { builderIdMismatch, parseBuilderId } from '../builderPolicy';
import { normaliseRepository } from '../gitRefs';
import { certificateAgreement } from './certificateAgreement';
import { FallbackFamilyPolicy, PolicyInput, PolicyOutcome, trusted } from './family';
import { addRefChecks, refFactsOf } from './refs';

function otherSigner({ document, summary, signature }: PolicyInput, policy: ProvenancePolicy): PolicyOutcome {
  const checks: PolicyCheck[] = [];
  const cert = signature.certificate;
  const kind = cert ? 'certificate' : 'key';
  const signer = cert ? `${cert.subjectAlternativeName}${cert.issuer ? ` (${cert.issuer})` : ''}` : `key ${signature.keyId ?? '(unknown)'}`;
  let builderOk = false;
  if (policy.builderId) {
    let why: string | undefined;
    let how: string;
    if (cert) {
      const san = cert.subjectAlternativeName;
      why = san.includes('://')
        ? builderIdMismatch({ name: splitWorkflowUri(san).name, version: splitWorkflowUri(san).ref }, policy.builderId)
        : policy.builderId === san
          ? undefined
          : `expected signer '${policy.builderId}', got '${san}'`;
      how = `the certificate's identity ${san}`;
    } else {
      const keyIds = [signature.keyId, signature.keyId ? `sha256:${signature.keyId}` : undefined].filter(Boolean);
      if (keyIds.includes(policy.builderId)) {
        how = `the key ${signature.keyId}`;
      } else {
        // The key is trusted (it was given), so the builder it vouches for counts.
        const b = parseBuilderId(summary.builderId ?? '');
        why = b ? builderIdMismatch(b, policy.builderId) : 'the predicate names no builder';
        how = `the builder ${summary.builderId} the key vouches for`;
      }
    }
    builderOk = !why;
    checks.push({
      name: 'builder-id',
      ok: !why,
      expected: policy.builderId,
      actual: cert?.subjectAlternativeName ?? summary.builderId ?? signature.keyId,
      message: why ? `builder id mismatch: ${why}` : `${how} matches ${policy.builderId}`,
    });
  }
  checks.push({
    name: 'trusted-builder',
    ok: kind === 'key' ? true : builderOk,
    actual: cert?.subjectAlternativeName ?? signature.keyId,
    message:
      kind === 'key'
        ? `signed with the given public key${signature.keyId ? ` (${signature.keyId})` : ''}`
        : builderOk
          ? `signed by ${signer}, the expected builder`
          : `signed by ${signer}, which is no default-trusted builder`,
    ...(kind !== 'key' && !builderOk ? { hint: { expect: 'builder-id', ...(cert ? { value: cert.subjectAlternativeName } : {}) } } : {}),
  });
  if (cert && Object.keys(cert.claims).some((k) => k.startsWith('source') || k.startsWith('build')))
    checks.push(certificateAgreement(document, cert, { compareBuilder: false }));

  const claimed = `claimed by the predicate, signed by ${signer}`;
  if (policy.sourceUri) {
    const expected = normaliseRepository(policy.sourceUri);
    const actual = repoOf(summary.sourceUri);
    checks.push({
      name: 'source-uri',
      ok: actual === expected,
      expected,
      ...(actual ? { actual } : {}),
      message: actual === expected ? `source ${expected} (${claimed})` : `source mismatch: the predicate's source is ${actual ?? '(none)'}, not ${expected}`,
    });
  }
  addRefChecks(checks, policy, refFactsOf(summary.sourceRef, 'the predicate names no source ref'), 'the predicate');
  // A certificate proves its identity only; a key vouches for the builder its predicate names.
  const verifiedBuilderId = cert ? cert.subjectAlternativeName : summary.builderId;
  return { checks, signer, sourceFrom: 'predicate', ...(trusted(checks) && verifiedBuilderId ? { verifiedBuilderId } : {}) };
}

export const otherSignerPolicy: FallbackFamilyPolicy = {
  signerKind: ({ signature }) => (signature.certificate ? 'certificate' : 'key'),
  evaluate: otherSigner,
};
