// Any other GitHub Actions workflow (GitHub artifact attestations, `attest` in
// CI): the signer and the source come from the certificate, never from the
// predicate; trusted when --builder-id names it, or when it is a workflow of the
// --source-uri repository itself (`gh attestation verify --repo`).
import { isGitHubWorkflowCertificate, splitWorkflowUri } from '../../reading/certificateClaims';
import { signerMatches } from '../../../policy/signerRule';
import { CertificateClaims, PolicyCheck, ProvenancePolicy } from '../../types';
import { builderIdMismatch, GITHUB_ATTESTATION_BUILD_TYPE, workflowRepository } from '../builderPolicy';
import { isReleaseTagRef, normaliseRepository } from '../gitRefs';
import { certificateAgreement } from './certificateAgreement';
import { PolicyInput, PolicyOutcome, SignerFamilyPolicy, sourceRequired, trusted } from './family';
import { addRefChecks, refFactsOf } from './refs';

function gitHubWorkflow({ document, summary, signature }: PolicyInput, policy: ProvenancePolicy): PolicyOutcome {
  const cert = signature.certificate!;
  const san = cert.subjectAlternativeName;
  const { name, ref } = splitWorkflowUri(san);
  const signerRepo = workflowRepository(san);
  const certSource = cert.claims.sourceRepositoryUri;
  const checks: PolicyCheck[] = [];

  let builderOk = false;
  if (policy.builderId) {
    let why = builderIdMismatch({ name, version: ref }, policy.builderId);
    // A shared (reusable) workflow from another repository is trusted at release tags only, as slsa-verifier asks of builders.
    if (!why && signerRepo !== certSource && !isReleaseTagRef(ref))
      why = `the builder workflow ${name} runs at '${ref}', not at a release tag refs/tags/vX.Y.Z`;
    builderOk = !why;
    checks.push({
      name: 'builder-id',
      ok: !why,
      expected: policy.builderId,
      actual: san,
      message: why
        ? `builder id mismatch: ${why} (the signer is the certificate's workflow, whatever the predicate says)`
        : `signed by ${san}, which matches ${policy.builderId}`,
    });
  }
  const expectedRepo = policy.sourceUri ? normaliseRepository(policy.sourceUri) : undefined;
  const ownWorkflow = !!expectedRepo && signerRepo === expectedRepo && certSource === expectedRepo;
  // The claim flags (--repository, --signer-workflow, ...) describe the signer as gh attestation verify's do.
  const described = !policy.builderId && !ownWorkflow && describedByRule(policy, cert, signerRepo);
  checks.push({
    name: 'trusted-builder',
    ok: builderOk || (!policy.builderId && ownWorkflow) || described,
    actual: san,
    message: policy.builderId
      ? builderOk
        ? `signed by the expected builder's workflow: ${san}`
        : `signed by ${san}, not by the expected builder${isReleaseTagRef(ref) ? '' : ` (and its ref '${ref}' is not a release tag)`}`
      : ownWorkflow
        ? `signed by a workflow of ${expectedRepo} itself: ${san}`
        : described
          ? `signed by ${san}, which the expected signer's claims describe`
          : `signed by the GitHub Actions workflow ${san}, which is no default-trusted builder`,
    // Expecting that repository as the source trusts its own workflows (gh attestation verify --repo).
    ...(policy.builderId || ownWorkflow || described
      ? {}
      : { hint: { expect: 'builder-id', value: name, ...(signerRepo ? { or: { expect: 'source-uri', value: signerRepo.replace(/^https:\/\//, '') } } : {}) } }),
  });

  checks.push(
    certificateAgreement(document, cert, {
      compareBuilder: summary.buildType === GITHUB_ATTESTATION_BUILD_TYPE || (summary.builderId ?? '').includes('/.github/workflows/'),
    }),
  );
  if (expectedRepo) {
    checks.push({
      name: 'source-uri',
      ok: certSource === expectedRepo,
      expected: expectedRepo,
      ...(certSource ? { actual: certSource } : {}),
      message:
        certSource === expectedRepo
          ? `source ${expectedRepo}, from the certificate`
          : `source mismatch: the certificate's source repository is ${certSource ?? '(none)'}, not ${expectedRepo}`,
    });
  }
  // A reusable workflow of another repository runs for whoever calls it: the caller must be pinned.
  if (!expectedRepo && policy.builderId && signerRepo !== certSource)
    checks.push(sourceRequired(certSource, `the reusable workflow ${name} runs for any repository that calls it`));
  addRefChecks(checks, policy, refFactsOf(cert.claims.sourceRepositoryRef, 'the certificate names no source ref'), 'the certificate');
  return { checks, signer: `${san} (${cert.issuer})`, sourceFrom: 'certificate', ...(trusted(checks) ? { verifiedBuilderId: san } : {}) };
}

/**
 * Whether the expected signer's claims (the signer-claim checks hold them to the certificate) pin this workflow:
 * they must name the source (repository or owner), or a workflow of the source repository itself, since a
 * reusable workflow of another runs for any repository that calls it.
 */
function describedByRule(policy: ProvenancePolicy, cert: CertificateClaims, signerRepo: string | undefined): boolean {
  const rule = policy.signer;
  if (!rule) return false;
  const signer = { method: 'sigstore' as const, identity: cert.subjectAlternativeName, issuer: cert.issuer ?? '', claims: cert.claims };
  if (!signerMatches(rule, signer)) return false;
  const namesSource = [rule.repository, rule.repositoryId, rule.repositoryOwner, rule.repositoryOwnerId].some((v) => v !== undefined);
  return namesSource || (signerRepo !== undefined && signerRepo === cert.claims.sourceRepositoryUri);
}

export const gitHubWorkflowPolicy: SignerFamilyPolicy = {
  // Asked after slsa-github-generator's, which are GitHub workflows too.
  signerKind: ({ signature: { certificate: cert } }) => (cert && isGitHubWorkflowCertificate(cert) ? 'github-workflow' : undefined),
  evaluate: gitHubWorkflow,
};
