// slsa-github-generator's reusable workflows (the certificate's SAN): trusted by
// default at release tags; the BYOB delegators vouch for the builder the
// predicate names. Refs and the source come from the predicate, as slsa-verifier reads them.
import { GeneratorFacts, GitHubRefEnvironment, readGeneratorFacts } from '../../reading/builderFacts';
import { isGitHubWorkflowCertificate, splitWorkflowUri } from '../../reading/certificateClaims';
import { refOf } from '../../reading/summary';
import { CertificateClaims, PolicyCheck, PolicyHint, ProvenancePolicy, ProvenanceSummary, SLSA_PROVENANCE_V02 } from '../../types';
import {
  BuilderId,
  builderIdMismatch,
  isDelegator,
  isSlsaGitHubBuilder,
  parseBuilderId,
  SLSA_GITHUB_BUILDERS,
  TRUSTED_BYOB_BUILDER_PREFIX,
} from '../builderPolicy';
import { isReleaseTagRef, normaliseRepository } from '../gitRefs';
import { certificateAgreement } from './certificateAgreement';
import { PolicyInput, PolicyOutcome, SignerFamilyPolicy, sourceRequired, trusted } from './family';
import { RefFacts, addRefChecks } from './refs';

function slsaGitHubGenerator({ document, summary, signature }: PolicyInput, policy: ProvenancePolicy): PolicyOutcome {
  const cert = signature.certificate!;
  const san = cert.subjectAlternativeName;
  const { name, ref } = splitWorkflowUri(san);
  const certBuilder: BuilderId = { name, version: ref };
  const byob = isDelegator(name);
  const predicateBuilder = parseBuilderId(summary.builderId ?? '');
  const checks: PolicyCheck[] = [];

  // The builder: a default-trusted workflow at a release tag, writing its own build type.
  const problems: string[] = [];
  let hint: PolicyHint | undefined;
  if (!isReleaseTagRef(ref)) problems.push(`the builder workflow runs at '${ref}', not at a release tag refs/tags/vX.Y.Z`);
  if (!SLSA_GITHUB_BUILDERS[name]!.buildTypes.includes(summary.buildType ?? ''))
    problems.push(`buildType ${JSON.stringify(summary.buildType ?? null)} is not one ${name} writes`);
  if (byob) {
    if (!predicateBuilder || !predicateBuilder.version) problems.push('the predicate names no builder id with a version (BYOB)');
    else if (!isReleaseTagRef(predicateBuilder.version)) problems.push(`the predicate's builder runs at '${predicateBuilder.version}', not at a release tag`);
    else if (!policy.builderId && !predicateBuilder.name.startsWith(TRUSTED_BYOB_BUILDER_PREFIX)) {
      problems.push(`the BYOB builder ${predicateBuilder.name} is not one of slsa-github-generator's`);
      hint = { expect: 'builder-id', value: predicateBuilder.name };
    }
  }
  checks.push({
    name: 'trusted-builder',
    ok: problems.length === 0,
    actual: san,
    message:
      problems.length === 0
        ? byob
          ? `signed by slsa-github-generator's BYOB delegator ${san}, for the builder the predicate names: ${summary.builderId}`
          : `signed by slsa-github-generator's builder ${san}`
        : `untrusted builder: ${problems.join('; ')}`,
    ...(hint ? { hint } : {}),
  });

  // --builder-id: the certificate's workflow, or for BYOB the predicate's builder.
  if (policy.builderId) {
    const against = byob ? predicateBuilder : certBuilder;
    const why = against ? builderIdMismatch(against, policy.builderId) : 'the predicate names no builder';
    checks.push({
      name: 'builder-id',
      ok: !why,
      expected: policy.builderId,
      actual: byob ? summary.builderId : san,
      message: why
        ? `builder id mismatch${byob ? " (BYOB: compared with the predicate's builder)" : ' (untrusted reusable workflow)'}: ${why}`
        : `builder ${byob ? summary.builderId : san} matches ${policy.builderId}`,
    });
  }

  // The predicate of a non-BYOB builder names that same builder.
  checks.push(certificateAgreement(document, cert, { compareBuilder: !byob }));

  const facts = readGeneratorFacts(document.statement);
  const byobBuildType = byob && summary.buildType === SLSA_GITHUB_BUILDERS[`${TRUSTED_BYOB_BUILDER_PREFIX}delegator_generic_slsa3.yml`]!.buildTypes[0];
  if (policy.sourceUri) checks.push(generatorSourceCheck(policy.sourceUri, cert, { ...facts, byobBuildType }, summary));
  else checks.push(sourceRequired(cert.claims.sourceRepositoryUri, `slsa-github-generator's builders run for any repository`));
  addRefChecks(checks, policy, generatorRefs(facts, document.statement.predicateType === SLSA_PROVENANCE_V02, byob), 'the predicate');

  return {
    checks,
    signer: `${san} (${cert.issuer ?? 'no issuer'})`,
    sourceFrom: 'certificate',
    ...(trusted(checks) ? { verifiedBuilderId: byob ? summary.builderId : san } : {}),
  };
}

/** `--source-uri` for generator provenance: the certificate's repository, then the predicate's trigger and source. */
function generatorSourceCheck(
  expectedUri: string,
  cert: CertificateClaims,
  p: { trigger?: string; source?: string; byobBuildType: boolean },
  summary: ProvenanceSummary,
): PolicyCheck {
  const expected = normaliseRepository(expectedUri);
  const certRepo = cert.claims.sourceRepositoryUri;
  const fail = (message: string, actual?: string): PolicyCheck => ({
    name: 'source-uri',
    ok: false,
    expected,
    ...(actual ? { actual } : {}),
    message: `source mismatch: ${message}`,
  });
  if (!expected.startsWith('https://github.com/')) return fail(`expected a github.com repository, got ${expectedUri}`);
  if (certRepo !== expected) return fail(`the certificate's source repository is ${certRepo ?? '(none)'}, not ${expected}`, certRepo);
  const git = `git+${expected}`;
  if (!p.trigger) return fail('the predicate names no trigger');
  const [triggerRepo, triggerRef] = splitAt(p.trigger);
  if (triggerRepo !== git) return fail(`the predicate's trigger ${p.trigger} is not ${expected}`, p.trigger);
  if (!triggerRef) return fail(`the predicate's trigger ${p.trigger} has no ref`, p.trigger);
  if (!p.source) return fail('the predicate names no source material');
  const [sourceRepo, sourceRef] = splitAt(p.source);
  if (sourceRepo !== git) return fail(`the predicate's source ${p.source} is not ${expected}`, p.source);
  if (!sourceRef && !p.byobBuildType) return fail(`the predicate's source ${p.source} has no ref`, p.source);
  if (sourceRef && p.trigger !== p.source) return fail(`the predicate's trigger ${p.trigger} and source ${p.source} differ`, p.source);
  return {
    name: 'source-uri',
    ok: true,
    expected,
    actual: summary.sourceUri ?? p.source,
    message: `source ${expected}: the certificate and the predicate's trigger and source agree`,
  };
}

/** The tag and branch of generator provenance, from the predicate (slsa-verifier's GetTag / GetBranch). */
function generatorRefs(facts: GeneratorFacts, v02: boolean, byob: boolean): RefFacts {
  if (byob && !v02) {
    // BYOB: the source dependency's ref; for a tag, the branch comes from the event.
    const ref = refOf(facts.source);
    if (!ref) return { error: "the predicate's source has no ref" };
    if (ref.startsWith('refs/heads/')) return { tag: '', branch: ref };
    if (ref.startsWith('refs/tags/')) {
      const { branch, branchError } = environmentRefs(facts.environment);
      return { tag: ref, branch, branchError };
    }
    return { error: `unknown ref type of ${ref}` };
  }
  return environmentRefs(facts.environment);
}

/** The ref the environment records, and for tags the branch they were pushed from. */
function environmentRefs(env: GitHubRefEnvironment): RefFacts {
  const ref = env.ref ?? '';
  if (env.refType === 'branch') return { tag: '', branch: ref };
  if (env.refType !== 'tag') return { error: `unknown ref type ${JSON.stringify(env.refType ?? null)}` };
  if (env.baseRef !== undefined) return { tag: ref, branch: env.baseRef };
  if (!env.event) return { tag: ref, branchError: 'the predicate has no event payload' };
  if (env.eventName === 'push') return { tag: ref, branch: env.event.baseRef };
  if (env.eventName === 'release') {
    const target = env.event.releaseTarget;
    return target ? { tag: ref, branch: `refs/heads/${target}` } : { tag: ref, branchError: 'the release event names no target branch' };
  }
  return { tag: ref, branch: '' };
}

function splitAt(uri: string): [string, string] {
  const at = uri.indexOf('@');
  return at < 0 ? [uri, ''] : [uri.slice(0, at), uri.slice(at + 1)];
}

export const slsaGitHubGeneratorPolicy: SignerFamilyPolicy = {
  signerKind: ({ signature: { certificate: cert } }) =>
    cert && isGitHubWorkflowCertificate(cert) && isSlsaGitHubBuilder(splitWorkflowUri(cert.subjectAlternativeName).name) ? 'slsa-github-generator' : undefined,
  evaluate: slsaGitHubGenerator,
};
