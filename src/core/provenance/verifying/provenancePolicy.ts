// The policy checks of one provenance document, with slsa-verifier's meaning
// for `--source-uri`, `--source-tag`, `--source-versioned-tag`,
// `--source-branch` and `--builder-id`. Which facts count depends on who signed:
//  - slsa-github-generator's reusable workflows (certificate SAN): trusted by
//    default at release tags; the BYOB delegators vouch for the builder the
//    predicate names;
//  - any other GitHub Actions workflow (GitHub artifact attestations, `attest`
//    in CI): the signer and the source come from the certificate, never from
//    the predicate; trusted when `--builder-id` names it, or when it is a
//    workflow of the `--source-uri` repository itself (`gh attestation verify --repo`);
//  - Cloud Build (its KMS key): GoogleHostedWorker v0.2/v0.3 (v0.1 predicates)
//    or v1, with the source and tag as the signed predicate says;
//  - anyone else (an email identity, a key): `--builder-id` names the signer
//    (the SAN, or for a key its id or the builder the key vouches for), and the
//    predicate's source is a claim of that signer.
// Wherever the certificate and the predicate both state a fact, they must agree.
import { certificateFacts, predicateFacts } from './predicateClaims';
import {
  BuilderId, GCB_BUILDER, GCB_BUILD_RESOURCE, GCB_V01_BUILDERS, GCB_V1_BUILD_TYPE, GITHUB_ATTESTATION_BUILD_TYPE, SLSA_GITHUB_BUILDERS,
  TRUSTED_BYOB_BUILDER_PREFIX, builderIdMismatch, isDelegator, isGcbBuilder, isSlsaGitHubBuilder, parseBuilderId, workflowRepository,
} from './builderPolicy';
import { isGitHubWorkflowCertificate, readCertificateClaims, splitWorkflowUri } from '../reading/certificateClaims';
import { branchOf, isReleaseTagRef, normaliseRepository, tagOf, versionedTagMismatch } from './gitRefs';
import { isObject, obj, str } from '../json';
import { refOf, repoOf } from '../reading/summary';
import {
  CertificateClaims, PolicyCheck, ProvenanceDocument, ProvenancePolicy, ProvenanceSignatureCheck, ProvenanceSummary, SLSA_PROVENANCE_V01, SLSA_PROVENANCE_V02,
  SLSA_PROVENANCE_V1,
} from '../types';

export interface PolicyInput {
  document: ProvenanceDocument;
  summary: ProvenanceSummary;
  signature: ProvenanceSignatureCheck;
  policy?: ProvenancePolicy;
}

export interface PolicyOutcome {
  checks: PolicyCheck[];
  /** The builder the checks vouch for, when they do. */
  verifiedBuilderId?: string;
  /** Who signed, in one line. */
  signer: string;
  sourceFrom?: 'certificate' | 'predicate';
}

/** Who signed a document, which decides what its facts are worth. */
export type SignerKind = 'slsa-github-generator' | 'github-workflow' | 'cloud-build' | 'certificate' | 'key';

export function signerKind(doc: ProvenanceDocument, summary: ProvenanceSummary, signature: ProvenanceSignatureCheck): SignerKind {
  const cert = signature.certificate;
  if (doc.form === 'gcb' || (signature.method === 'key' && isGcbBuilder(summary.builderId))) return 'cloud-build';
  if (cert && isGitHubWorkflowCertificate(cert)) {
    return isSlsaGitHubBuilder(splitWorkflowUri(cert.subjectAlternativeName).name) ? 'slsa-github-generator' : 'github-workflow';
  }
  return cert ? 'certificate' : 'key';
}

/** Every policy check for one document; the caller adds the signature and the subjects. */
export function evaluateProvenancePolicy(input: PolicyInput): PolicyOutcome {
  const policy = input.policy ?? {};
  const kind = signerKind(input.document, input.summary, input.signature);
  const outcome = kind === 'slsa-github-generator' ? slsaGitHubGenerator(input, policy)
    : kind === 'github-workflow' ? gitHubWorkflow(input, policy)
    : kind === 'cloud-build' ? cloudBuild(input, policy)
    : otherSigner(input, policy, kind);
  if (policy.issuer !== undefined) outcome.checks.push(issuerCheck(input.signature, policy.issuer));
  return outcome;
}

/** Any signer: the certificate names the expected OIDC issuer, exactly (a key has none, so it fails). */
function issuerCheck(signature: ProvenanceSignatureCheck, expected: string): PolicyCheck {
  const actual = signature.certificate?.issuer;
  const ok = actual === expected;
  return {
    name: 'issuer', ok, expected, ...(actual !== undefined ? { actual } : {}),
    message: ok ? `the certificate's issuer is ${expected}` : actual === undefined ? `expected a certificate from ${expected}, but no certificate names an issuer` : `issuer mismatch: the certificate names ${actual}, not ${expected}`,
  };
}

// ---------------------------------------------------------------------------
// slsa-github-generator
// ---------------------------------------------------------------------------

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
  if (!isReleaseTagRef(ref)) problems.push(`the builder workflow runs at '${ref}', not at a release tag refs/tags/vX.Y.Z`);
  if (!SLSA_GITHUB_BUILDERS[name]!.buildTypes.includes(summary.buildType ?? '')) problems.push(`buildType ${JSON.stringify(summary.buildType ?? null)} is not one ${name} writes`);
  if (byob) {
    if (!predicateBuilder || !predicateBuilder.version) problems.push('the predicate names no builder id with a version (BYOB)');
    else if (!isReleaseTagRef(predicateBuilder.version)) problems.push(`the predicate's builder runs at '${predicateBuilder.version}', not at a release tag`);
    else if (!policy.builderId && !predicateBuilder.name.startsWith(TRUSTED_BYOB_BUILDER_PREFIX)) {
      problems.push(`the BYOB builder ${predicateBuilder.name} is not one of slsa-github-generator's: give --builder-id to trust it`);
    }
  }
  checks.push({
    name: 'trusted-builder',
    ok: problems.length === 0,
    actual: san,
    message: problems.length === 0
      ? byob
        ? `signed by slsa-github-generator's BYOB delegator ${san}, for the builder the predicate names: ${summary.builderId}`
        : `signed by slsa-github-generator's builder ${san}`
      : `untrusted builder: ${problems.join('; ')}`,
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
      message: why ? `builder id mismatch${byob ? " (BYOB: compared with the predicate's builder)" : ' (untrusted reusable workflow)'}: ${why}` : `builder ${byob ? summary.builderId : san} matches ${policy.builderId}`,
    });
  }

  // The predicate of a non-BYOB builder names that same builder.
  checks.push(certificateAgreement(document, cert, { compareBuilder: !byob }));

  const source = predicateSource(document, summary, byob);
  if (policy.sourceUri) checks.push(generatorSourceCheck(policy.sourceUri, cert, source, summary));
  else checks.push(sourceRequired(cert.claims.sourceRepositoryUri, `slsa-github-generator's builders run for any repository`));
  const refs = generatorRefs(document, byob);
  addRefChecks(checks, policy, refs, 'the predicate');

  return {
    checks,
    signer: `${san} (${cert.issuer ?? 'no issuer'})`,
    sourceFrom: 'certificate',
    ...(trusted(checks) ? { verifiedBuilderId: byob ? summary.builderId : san } : {}),
  };
}

/** The trigger and the source of generator provenance, as slsa-verifier reads them. */
function predicateSource(doc: ProvenanceDocument, summary: ProvenanceSummary, byob: boolean): { trigger?: string; source?: string; byobBuildType: boolean } {
  const p = obj(doc.statement.predicate);
  const byobBuildType = byob && summary.buildType === SLSA_GITHUB_BUILDERS[`${TRUSTED_BYOB_BUILDER_PREFIX}delegator_generic_slsa3.yml`]!.buildTypes[0];
  if (doc.statement.predicateType === SLSA_PROVENANCE_V02) {
    const materials = Array.isArray(p.materials) ? p.materials : [];
    return { trigger: str(obj(obj(p.invocation).configSource).uri), source: str(obj(materials[0]).uri), byobBuildType };
  }
  const def = obj(p.buildDefinition);
  const deps = Array.isArray(def.resolvedDependencies) ? def.resolvedDependencies : [];
  const workflowRef = str(obj(def.internalParameters).GITHUB_WORKFLOW_REF);
  let trigger: string | undefined;
  const m = /^([^/]+\/[^/]+)\/.*@(.+)$/.exec(workflowRef ?? '');
  if (m) trigger = `git+https://github.com/${m[1]}@${m[2]}`;
  return { trigger, source: str(obj(deps[0]).uri), byobBuildType };
}

/** `--source-uri` for generator provenance: the certificate's repository, then the predicate's trigger and source. */
function generatorSourceCheck(expectedUri: string, cert: CertificateClaims, p: { trigger?: string; source?: string; byobBuildType: boolean }, summary: ProvenanceSummary): PolicyCheck {
  const expected = normaliseRepository(expectedUri);
  const certRepo = cert.claims.sourceRepositoryUri;
  const fail = (message: string, actual?: string): PolicyCheck => ({ name: 'source-uri', ok: false, expected, ...(actual ? { actual } : {}), message: `source mismatch: ${message}` });
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
  return { name: 'source-uri', ok: true, expected, actual: summary.sourceUri ?? p.source, message: `source ${expected}: the certificate and the predicate's trigger and source agree` };
}

/** The tag and branch of generator provenance, from the predicate (slsa-verifier's GetTag / GetBranch). */
function generatorRefs(doc: ProvenanceDocument, byob: boolean): RefFacts {
  const p = obj(doc.statement.predicate);
  if (doc.statement.predicateType === SLSA_PROVENANCE_V02) return environmentRefs(obj(obj(p.invocation).environment), false);
  const def = obj(p.buildDefinition);
  if (byob) {
    // BYOB: the source dependency's ref; for a tag, the branch comes from the event.
    const deps = Array.isArray(def.resolvedDependencies) ? def.resolvedDependencies : [];
    const ref = refOf(str(obj(deps[0]).uri));
    if (!ref) return { error: 'the predicate\'s source has no ref' };
    if (ref.startsWith('refs/heads/')) return { tag: '', branch: ref };
    if (ref.startsWith('refs/tags/')) return { tag: ref, branch: environmentRefs(obj(def.internalParameters), true).branch, branchError: environmentRefs(obj(def.internalParameters), true).branchError };
    return { error: `unknown ref type of ${ref}` };
  }
  return environmentRefs(obj(def.internalParameters), true);
}

interface RefFacts {
  /** A tag ref, or '' when the build was not of a tag. */
  tag?: string;
  /** A branch ref, or '' when not known. */
  branch?: string;
  branchError?: string;
  error?: string;
}

/** `github_ref_type`/`github_ref` (v0.2) or `GITHUB_REF_TYPE`/`GITHUB_REF` (v1), and for tags the branch they were pushed from. */
function environmentRefs(env: Record<string, unknown>, upper: boolean): RefFacts {
  const get = (k: string) => env[upper ? k.toUpperCase() : k];
  const refType = str(get('github_ref_type'));
  const ref = str(get('github_ref')) ?? '';
  if (refType === 'branch') return { tag: '', branch: ref };
  if (refType !== 'tag') return { error: `unknown ref type ${JSON.stringify(refType ?? null)}` };
  const baseRef = get('github_base_ref');
  if (typeof baseRef === 'string' && baseRef !== '') return { tag: ref, branch: baseRef };
  const payload = get('github_event_payload');
  const event = str(get('github_event_name'));
  if (!isObject(payload)) return { tag: ref, branchError: 'the predicate has no event payload' };
  if (event === 'push') return { tag: ref, branch: typeof payload.base_ref === 'string' ? payload.base_ref : '' };
  if (event === 'release') {
    const target = str(obj(payload.release).target_commitish);
    return target ? { tag: ref, branch: `refs/heads/${target}` } : { tag: ref, branchError: 'the release event names no target branch' };
  }
  return { tag: ref, branch: '' };
}

// ---------------------------------------------------------------------------
// Any other GitHub Actions workflow (artifact attestations, `attest` in CI)
// ---------------------------------------------------------------------------

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
    if (!why && signerRepo !== certSource && !isReleaseTagRef(ref)) why = `the builder workflow ${name} runs at '${ref}', not at a release tag refs/tags/vX.Y.Z`;
    builderOk = !why;
    checks.push({ name: 'builder-id', ok: !why, expected: policy.builderId, actual: san, message: why ? `builder id mismatch: ${why} (the signer is the certificate's workflow, whatever the predicate says)` : `signed by ${san}, which matches ${policy.builderId}` });
  }
  const expectedRepo = policy.sourceUri ? normaliseRepository(policy.sourceUri) : undefined;
  const ownWorkflow = !!expectedRepo && signerRepo === expectedRepo && certSource === expectedRepo;
  checks.push({
    name: 'trusted-builder',
    ok: builderOk || (!policy.builderId && ownWorkflow),
    actual: san,
    message: policy.builderId
      ? builderOk ? `signed by the workflow --builder-id names: ${san}` : `signed by ${san}, not by the builder --builder-id names${isReleaseTagRef(ref) ? '' : ` (and its ref '${ref}' is not a release tag)`}`
      : ownWorkflow
        ? `signed by a workflow of ${expectedRepo} itself: ${san}`
        : `signed by the GitHub Actions workflow ${san}, which is no default-trusted builder: give --builder-id ${name}${signerRepo ? ` (or --source-uri ${signerRepo.replace(/^https:\/\//, '')} to trust that repository's own workflows)` : ''}`,
  });

  checks.push(certificateAgreement(document, cert, { compareBuilder: summary.buildType === GITHUB_ATTESTATION_BUILD_TYPE || (summary.builderId ?? '').includes('/.github/workflows/') }));
  if (expectedRepo) {
    checks.push({
      name: 'source-uri',
      ok: certSource === expectedRepo,
      expected: expectedRepo,
      ...(certSource ? { actual: certSource } : {}),
      message: certSource === expectedRepo ? `source ${expectedRepo}, from the certificate` : `source mismatch: the certificate's source repository is ${certSource ?? '(none)'}, not ${expectedRepo}`,
    });
  }
  // A reusable workflow of another repository runs for whoever calls it: the caller must be pinned.
  if (!expectedRepo && policy.builderId && signerRepo !== certSource) checks.push(sourceRequired(certSource, `the reusable workflow ${name} runs for any repository that calls it`));
  const certRef = cert.claims.sourceRepositoryRef;
  addRefChecks(checks, policy, certRef ? { tag: certRef.startsWith('refs/tags/') ? certRef : '', branch: certRef.startsWith('refs/heads/') ? certRef : '' } : { error: 'the certificate names no source ref' }, 'the certificate');
  return { checks, signer: `${san} (${cert.issuer})`, sourceFrom: 'certificate', ...(trusted(checks) ? { verifiedBuilderId: san } : {}) };
}

// ---------------------------------------------------------------------------
// Google Cloud Build
// ---------------------------------------------------------------------------

function cloudBuild({ document, summary, signature }: PolicyInput, policy: ProvenancePolicy): PolicyOutcome {
  const checks: PolicyCheck[] = [];
  const p = obj(document.statement.predicate);
  const v01 = document.statement.predicateType === SLSA_PROVENANCE_V01;
  const v1 = document.statement.predicateType === SLSA_PROVENANCE_V1;
  const id = summary.builderId ?? '';
  const builder = parseBuilderId(id);

  const problems: string[] = [];
  if (!v01 && !v1) problems.push(`predicate type ${document.statement.predicateType} is not one Cloud Build writes`);
  if (v01) {
    if (!(GCB_V01_BUILDERS as readonly string[]).includes(id)) problems.push(`builder ${JSON.stringify(id)} is not GoogleHostedWorker@v0.2 or @v0.3`);
    const type = summary.buildType ?? '';
    if (builder?.version === 'v0.2' && type !== id) problems.push(`recipe type ${type} is not ${id}`);
    if (builder?.version === 'v0.3' && !/^https:\/\/cloudbuild\.googleapis\.com\/(CloudBuildYaml|CloudBuildSteps)@/.test(type)) problems.push(`recipe type ${type} is not CloudBuildYaml@… or CloudBuildSteps@…`);
    const resource = obj(obj(p.recipe).arguments)['@type'];
    if (resource !== GCB_BUILD_RESOURCE) problems.push(`recipe arguments are ${JSON.stringify(resource ?? null)}, not ${GCB_BUILD_RESOURCE}`);
  }
  if (v1) {
    if (id !== GCB_BUILDER) problems.push(`builder ${JSON.stringify(id)} is not ${GCB_BUILDER}`);
    if (summary.buildType !== GCB_V1_BUILD_TYPE) problems.push(`buildType ${summary.buildType} is not ${GCB_V1_BUILD_TYPE}`);
  }
  checks.push({ name: 'trusted-builder', ok: problems.length === 0, actual: id, message: problems.length === 0 ? `built by Cloud Build's ${id}, signed by ${signature.keyId ?? 'its key'}` : `not a Cloud Build builder this verifier supports: ${problems.join('; ')}` });

  if (policy.builderId) {
    const why = builder ? builderIdMismatch(builder, policy.builderId, { allowRef: false }) : 'the predicate names no builder';
    checks.push({ name: 'builder-id', ok: !why, expected: policy.builderId, actual: id, message: why ? `builder id mismatch: ${why}` : `builder ${id} matches ${policy.builderId}` });
  }

  if (policy.sourceUri) checks.push(cloudBuildSourceCheck(policy.sourceUri, document, builder));
  const tag = cloudBuildTag(document);
  if (policy.sourceTag !== undefined) {
    const ok = tag.tag !== undefined && tag.tag === policy.sourceTag;
    checks.push({ name: 'source-tag', ok, expected: policy.sourceTag, ...(tag.tag !== undefined ? { actual: tag.tag } : {}), message: ok ? `tag ${tag.tag}` : `tag mismatch: ${tag.error ?? `expected ${policy.sourceTag}, got ${tag.tag}`}` });
  }
  if (policy.sourceVersionedTag !== undefined) {
    const why = tag.tag === undefined ? tag.error! : versionedTagMismatch(tag.tag, policy.sourceVersionedTag);
    checks.push({ name: 'source-versioned-tag', ok: !why, expected: policy.sourceVersionedTag, ...(tag.tag !== undefined ? { actual: tag.tag } : {}), message: why ? `versioned tag mismatch: ${why}` : `tag ${tag.tag} is version ${policy.sourceVersionedTag}` });
  }
  if (policy.sourceBranch !== undefined) {
    checks.push({ name: 'source-branch', ok: false, expected: policy.sourceBranch, message: 'Cloud Build provenance does not record the branch: branch verification is not supported' });
  }

  const gcb = document.gcb;
  if (document.form === 'gcb') {
    const matches = gcb?.unsignedStatementMatches;
    checks.push({
      name: 'unsigned-statement',
      ok: matches === true,
      message: matches === true
        ? 'the unsigned text copy of the statement equals the signed one'
        : matches === false ? 'the unsigned text copy of the statement (build.intotoStatement) differs from the signed payload' : 'the gcloud output has no unsigned copy of the statement to compare with the signed one',
    });
    checks.push(cloudBuildMetadata(document));
  }
  return {
    checks,
    signer: `key ${signature.keyId ?? '(unnamed)'}`,
    sourceFrom: 'predicate',
    ...(trusted(checks) ? { verifiedBuilderId: id } : {}),
  };
}

/** slsa-verifier's Cloud Build source rule: v0.2 a prefix `<source>/commit/`, v0.3 exact (or `<source>#…`), v1 `<source>@ref`. */
function cloudBuildSourceCheck(expectedUri: string, doc: ProvenanceDocument, builder: BuilderId | undefined): PolicyCheck {
  const p = obj(doc.statement.predicate);
  let uri: string | undefined;
  if (doc.statement.predicateType === SLSA_PROVENANCE_V1) {
    const cfg = obj(obj(obj(p.buildDefinition).externalParameters).buildConfigSource);
    uri = str(cfg.repository) && str(cfg.ref) ? `${str(cfg.repository)}@${str(cfg.ref)}` : undefined;
  } else {
    const materials = Array.isArray(p.materials) ? p.materials : [];
    uri = str(obj(materials[0]).uri);
  }
  if (!uri) return { name: 'source-uri', ok: false, expected: expectedUri, message: 'source mismatch: the predicate names no source' };
  uri = uri.replace(/^git\+/, '');
  let expected = expectedUri.trim().replace(/\/+$/, '');
  if (uri.startsWith('https://') && !expected.startsWith('https://')) expected = `https://${expected}`;
  let ok: boolean;
  if (doc.statement.predicateType === SLSA_PROVENANCE_V1) {
    const parts = uri.split('@');
    ok = parts.length === 2 && parts[0] === expected;
  } else if (builder?.version === 'v0.2') {
    ok = uri.startsWith(`${expected}/commit/`) || uri.startsWith(`${expected}#`);
  } else {
    ok = uri === expected || uri.startsWith(`${expected}#`);
  }
  return { name: 'source-uri', ok, expected, actual: uri, message: ok ? `source ${expected} (as the signed predicate says)` : `source mismatch: the predicate's source is ${uri}, not ${expected}` };
}

function cloudBuildTag(doc: ProvenanceDocument): { tag?: string; error?: string } {
  const p = obj(doc.statement.predicate);
  if (doc.statement.predicateType === SLSA_PROVENANCE_V1) {
    const def = obj(p.buildDefinition);
    const tag = str(obj(obj(def.internalParameters).systemSubstitutions).TAG_NAME);
    if (!tag) return { error: 'the build has no TAG_NAME substitution' };
    const configRef = str(obj(obj(def.externalParameters).buildConfigSource).ref);
    if (configRef !== `refs/tags/${tag}`) return { error: `TAG_NAME ${tag} and the build config ref ${configRef} differ` };
    return { tag };
  }
  const tag = str(obj(obj(obj(p.recipe).arguments).substitutions).TAG_NAME);
  return tag ? { tag } : { error: 'the build has no TAG_NAME substitution' };
}

/** The occurrence is a BUILD, and its resourceUri and the image summary name one digest, a subject's. */
function cloudBuildMetadata(doc: ProvenanceDocument): PolicyCheck {
  const g = doc.gcb ?? { keyId: '' };
  const subjects = new Set(doc.statement.subject.map((s) => s.digest.sha256?.toLowerCase()).filter(Boolean));
  const problems: string[] = [];
  if (g.kind !== 'BUILD') problems.push(`kind is ${JSON.stringify(g.kind ?? null)}, not BUILD`);
  const resource = /@sha256:([0-9a-f]{64})$/.exec(g.resourceUri ?? '')?.[1];
  if (!resource) problems.push(`resourceUri ${JSON.stringify(g.resourceUri ?? null)} names no sha256 digest`);
  else if (!subjects.has(resource)) problems.push(`resourceUri's digest ${resource} is no subject's`);
  if (g.imageDigest !== undefined && g.imageDigest !== `sha256:${resource}`) problems.push(`image_summary.digest ${g.imageDigest} is not the resourceUri's`);
  if (g.fullyQualifiedDigest !== undefined && !g.fullyQualifiedDigest.endsWith(`sha256:${resource}`)) problems.push(`image_summary.fully_qualified_digest ${g.fullyQualifiedDigest} is not the resourceUri's`);
  return { name: 'gcb-metadata', ok: problems.length === 0, message: problems.length === 0 ? `a BUILD occurrence of sha256:${resource}, a subject of the statement` : problems.join('; ') };
}

// ---------------------------------------------------------------------------
// Anyone else: an email identity, a non-GitHub workload, a key
// ---------------------------------------------------------------------------

function otherSigner({ document, summary, signature }: PolicyInput, policy: ProvenancePolicy, kind: 'certificate' | 'key'): PolicyOutcome {
  const checks: PolicyCheck[] = [];
  const cert = signature.certificate;
  const signer = cert ? `${cert.subjectAlternativeName}${cert.issuer ? ` (${cert.issuer})` : ''}` : `key ${signature.keyId ?? '(unknown)'}`;
  let builderOk = false;
  if (policy.builderId) {
    let why: string | undefined;
    let how = '';
    if (cert) {
      const san = cert.subjectAlternativeName;
      why = san.includes('://') ? builderIdMismatch({ name: splitWorkflowUri(san).name, version: splitWorkflowUri(san).ref }, policy.builderId) : policy.builderId === san ? undefined : `expected signer '${policy.builderId}', got '${san}'`;
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
    checks.push({ name: 'builder-id', ok: !why, expected: policy.builderId, actual: cert?.subjectAlternativeName ?? summary.builderId ?? signature.keyId, message: why ? `builder id mismatch: ${why}` : `${how} matches ${policy.builderId}` });
  }
  checks.push({
    name: 'trusted-builder',
    ok: kind === 'key' ? true : builderOk,
    actual: cert?.subjectAlternativeName ?? signature.keyId,
    message: kind === 'key'
      ? `signed with the given public key${signature.keyId ? ` (${signature.keyId})` : ''}`
      : builderOk
        ? `signed by ${signer}, the signer --builder-id names`
        : `signed by ${signer}, which is no default-trusted builder: give --builder-id ${cert?.subjectAlternativeName ?? ''} to trust this signer`,
  });
  if (cert && Object.keys(cert.claims).some((k) => k.startsWith('source') || k.startsWith('build'))) checks.push(certificateAgreement(document, cert, { compareBuilder: false }));

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
  const ref = summary.sourceRef;
  addRefChecks(checks, policy, ref ? { tag: ref.startsWith('refs/tags/') ? ref : '', branch: ref.startsWith('refs/heads/') ? ref : '' } : { error: 'the predicate names no source ref' }, 'the predicate');
  // A certificate proves its identity only; a key vouches for the builder its predicate names.
  const verifiedBuilderId = cert ? cert.subjectAlternativeName : summary.builderId;
  return { checks, signer, sourceFrom: 'predicate', ...(trusted(checks) && verifiedBuilderId ? { verifiedBuilderId } : {}) };
}

// ---------------------------------------------------------------------------
// Shared
// ---------------------------------------------------------------------------

/** --source-tag, --source-versioned-tag and --source-branch against the refs a family provides. */
function addRefChecks(checks: PolicyCheck[], policy: ProvenancePolicy, refs: RefFacts, from: string): void {
  const tag = refs.tag ? tagOf(refs.tag) : undefined;
  const noTag = refs.error ?? (refs.tag === '' ? `${from} says the build was not of a tag (invalid ref)` : `${from}'s ref ${refs.tag} is not a tag (invalid ref)`);
  if (policy.sourceTag !== undefined) {
    const ok = tag !== undefined && tag === policy.sourceTag;
    checks.push({ name: 'source-tag', ok, expected: policy.sourceTag, ...(tag ? { actual: tag } : {}), message: ok ? `tag ${tag}` : `tag mismatch: ${tag === undefined ? noTag : `expected ${policy.sourceTag}, got ${tag}`}` });
  }
  if (policy.sourceVersionedTag !== undefined) {
    const why = tag === undefined ? noTag : versionedTagMismatch(tag, policy.sourceVersionedTag);
    checks.push({ name: 'source-versioned-tag', ok: !why, expected: policy.sourceVersionedTag, ...(tag ? { actual: tag } : {}), message: why ? `versioned tag mismatch: ${why}` : `tag ${tag} is version ${policy.sourceVersionedTag}` });
  }
  if (policy.sourceBranch !== undefined) {
    const branch = refs.branch ? branchOf(refs.branch) : undefined;
    const ok = branch !== undefined && branch === policy.sourceBranch;
    const why = branch !== undefined ? `expected ${policy.sourceBranch}, got ${branch}` : refs.error ?? refs.branchError ?? `${from} names no branch (invalid ref ${JSON.stringify(refs.branch ?? '')})`;
    checks.push({ name: 'source-branch', ok, expected: policy.sourceBranch, ...(branch ? { actual: branch } : {}), message: ok ? `branch ${branch}` : `branch mismatch: ${why}` });
  }
}

/**
 * Every fact both the certificate (from GitHub's token) and the predicate
 * state must be the same; the certificate's deprecated and newer extensions
 * must agree too. `compareBuilder`: the predicate's builder id must be the
 * certificate's workflow (not for BYOB, where it names the delegated builder).
 */
function certificateAgreement(doc: ProvenanceDocument, cert: CertificateClaims, { compareBuilder }: { compareBuilder: boolean }): PolicyCheck {
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
      message: compared.length > 0 ? `the certificate and the predicate agree on ${compared.length} field(s): ${names.join(', ')}` : 'the predicate states nothing the certificate also states',
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

/** A failed source-uri check for a builder anyone can run: without an expected source, any repository's build would pass. */
function sourceRequired(actual: string | undefined, why: string): PolicyCheck {
  return { name: 'source-uri', ok: false, ...(actual ? { actual } : {}), message: `no expected source: ${why}, so give --source-uri (as slsa-verifier requires)${actual ? `; this was built from ${actual}` : ''}` };
}

/** Whether the builder is trusted: the builder checks hold (source and ref checks are apart). */
function trusted(checks: PolicyCheck[]): boolean {
  return checks.filter((c) => c.name === 'trusted-builder' || c.name === 'builder-id' || c.name === 'certificate-agrees').every((c) => c.ok);
}

function splitAt(uri: string): [string, string] {
  const at = uri.indexOf('@');
  return at < 0 ? [uri, ''] : [uri.slice(0, at), uri.slice(at + 1)];
}
