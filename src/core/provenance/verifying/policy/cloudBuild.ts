// Google Cloud Build (its KMS key): GoogleHostedWorker v0.2/v0.3 (v0.1
// predicates) or v1, with the source and tag as the signed predicate says.
import { CloudBuildFacts, readCloudBuildFacts } from '../../reading/builderFacts';
import { CloudBuildOccurrence, PolicyCheck, ProvenanceDocument, ProvenancePolicy, SLSA_PROVENANCE_V01, SLSA_PROVENANCE_V1 } from '../../types';
import {
  BuilderId,
  builderIdMismatch,
  GCB_BUILD_RESOURCE,
  GCB_BUILDER,
  GCB_V01_BUILDERS,
  GCB_V1_BUILD_TYPE,
  isGcbBuilder,
  parseBuilderId,
} from '../builderPolicy';
import { versionedTagMismatch } from '../gitRefs';
import { PolicyInput, PolicyOutcome, SignerFamilyPolicy, trusted } from './family';

function cloudBuild({ document, summary, signature }: PolicyInput, policy: ProvenancePolicy): PolicyOutcome {
  const checks: PolicyCheck[] = [];
  const facts = readCloudBuildFacts(document.statement);
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
    if (builder?.version === 'v0.3' && !/^https:\/\/cloudbuild\.googleapis\.com\/(CloudBuildYaml|CloudBuildSteps)@/.test(type))
      problems.push(`recipe type ${type} is not CloudBuildYaml@… or CloudBuildSteps@…`);
    const resource = facts.buildResourceType;
    if (resource !== GCB_BUILD_RESOURCE) problems.push(`recipe arguments are ${JSON.stringify(resource ?? null)}, not ${GCB_BUILD_RESOURCE}`);
  }
  if (v1) {
    if (id !== GCB_BUILDER) problems.push(`builder ${JSON.stringify(id)} is not ${GCB_BUILDER}`);
    if (summary.buildType !== GCB_V1_BUILD_TYPE) problems.push(`buildType ${summary.buildType} is not ${GCB_V1_BUILD_TYPE}`);
  }
  checks.push({
    name: 'trusted-builder',
    ok: problems.length === 0,
    actual: id,
    message:
      problems.length === 0
        ? `built by Cloud Build's ${id}, signed by ${signature.keyId ?? 'its key'}`
        : `not a Cloud Build builder this verifier supports: ${problems.join('; ')}`,
  });

  if (policy.builderId) {
    const why = builder ? builderIdMismatch(builder, policy.builderId, { allowRef: false }) : 'the predicate names no builder';
    checks.push({
      name: 'builder-id',
      ok: !why,
      expected: policy.builderId,
      actual: id,
      message: why ? `builder id mismatch: ${why}` : `builder ${id} matches ${policy.builderId}`,
    });
  }

  if (policy.sourceUri) checks.push(cloudBuildSourceCheck(policy.sourceUri, facts, v1, builder));
  const tag = cloudBuildTag(facts, v1);
  if (policy.sourceTag !== undefined) {
    const ok = tag.tag !== undefined && tag.tag === policy.sourceTag;
    checks.push({
      name: 'source-tag',
      ok,
      expected: policy.sourceTag,
      ...(tag.tag !== undefined ? { actual: tag.tag } : {}),
      message: ok ? `tag ${tag.tag}` : `tag mismatch: ${tag.error ?? `expected ${policy.sourceTag}, got ${tag.tag}`}`,
    });
  }
  if (policy.sourceVersionedTag !== undefined) {
    const why = tag.tag === undefined ? tag.error! : versionedTagMismatch(tag.tag, policy.sourceVersionedTag);
    checks.push({
      name: 'source-versioned-tag',
      ok: !why,
      expected: policy.sourceVersionedTag,
      ...(tag.tag !== undefined ? { actual: tag.tag } : {}),
      message: why ? `versioned tag mismatch: ${why}` : `tag ${tag.tag} is version ${policy.sourceVersionedTag}`,
    });
  }
  if (policy.sourceBranch !== undefined) {
    checks.push({
      name: 'source-branch',
      ok: false,
      expected: policy.sourceBranch,
      message: 'Cloud Build provenance does not record the branch: branch verification is not supported',
    });
  }

  // What gcloud printed beside the signed statement, when it came from gcloud.
  const gcb = document.gcb;
  if (gcb) {
    const matches = gcb.unsignedStatementMatches;
    checks.push({
      name: 'unsigned-statement',
      ok: matches === true,
      message:
        matches === true
          ? 'the unsigned text copy of the statement equals the signed one'
          : matches === false
            ? 'the unsigned text copy of the statement (build.intotoStatement) differs from the signed payload'
            : 'the gcloud output has no unsigned copy of the statement to compare with the signed one',
    });
    checks.push(cloudBuildMetadata(document, gcb));
  }
  return {
    checks,
    signer: `key ${signature.keyId ?? '(unnamed)'}`,
    sourceFrom: 'predicate',
    ...(trusted(checks) ? { verifiedBuilderId: id } : {}),
  };
}

/** slsa-verifier's Cloud Build source rule: v0.2 a prefix `<source>/commit/`, v0.3 exact (or `<source>#…`), v1 `<source>@ref`. */
function cloudBuildSourceCheck(expectedUri: string, facts: CloudBuildFacts, v1: boolean, builder: BuilderId | undefined): PolicyCheck {
  let uri = facts.sourceUri;
  if (!uri) return { name: 'source-uri', ok: false, expected: expectedUri, message: 'source mismatch: the predicate names no source' };
  uri = uri.replace(/^git\+/, '');
  let expected = expectedUri.trim().replace(/\/+$/, '');
  if (uri.startsWith('https://') && !expected.startsWith('https://')) expected = `https://${expected}`;
  let ok: boolean;
  if (v1) {
    const parts = uri.split('@');
    ok = parts.length === 2 && parts[0] === expected;
  } else if (builder?.version === 'v0.2') {
    ok = uri.startsWith(`${expected}/commit/`) || uri.startsWith(`${expected}#`);
  } else {
    ok = uri === expected || uri.startsWith(`${expected}#`);
  }
  return {
    name: 'source-uri',
    ok,
    expected,
    actual: uri,
    message: ok ? `source ${expected} (as the signed predicate says)` : `source mismatch: the predicate's source is ${uri}, not ${expected}`,
  };
}

function cloudBuildTag(facts: CloudBuildFacts, v1: boolean): { tag?: string; error?: string } {
  const tag = facts.tagName;
  if (!tag) return { error: 'the build has no TAG_NAME substitution' };
  if (v1 && facts.configRef !== `refs/tags/${tag}`) return { error: `TAG_NAME ${tag} and the build config ref ${facts.configRef} differ` };
  return { tag };
}

/** The occurrence is a BUILD, and its resourceUri and the image summary name one digest, a subject's. */
function cloudBuildMetadata(doc: ProvenanceDocument, g: CloudBuildOccurrence): PolicyCheck {
  const subjects = new Set(doc.statement.subject.map((s) => s.digest.sha256?.toLowerCase()).filter(Boolean));
  const problems: string[] = [];
  if (g.kind !== 'BUILD') problems.push(`kind is ${JSON.stringify(g.kind ?? null)}, not BUILD`);
  const resource = /@sha256:([0-9a-f]{64})$/.exec(g.resourceUri ?? '')?.[1];
  if (!resource) problems.push(`resourceUri ${JSON.stringify(g.resourceUri ?? null)} names no sha256 digest`);
  else if (!subjects.has(resource)) problems.push(`resourceUri's digest ${resource} is no subject's`);
  if (g.imageDigest !== undefined && g.imageDigest !== `sha256:${resource}`) problems.push(`image_summary.digest ${g.imageDigest} is not the resourceUri's`);
  if (g.fullyQualifiedDigest !== undefined && !g.fullyQualifiedDigest.endsWith(`sha256:${resource}`))
    problems.push(`image_summary.fully_qualified_digest ${g.fullyQualifiedDigest} is not the resourceUri's`);
  return {
    name: 'gcb-metadata',
    ok: problems.length === 0,
    message: problems.length === 0 ? `a BUILD occurrence of sha256:${resource}, a subject of the statement` : problems.join('; '),
  };
}

export const cloudBuildPolicy: SignerFamilyPolicy = {
  // Its key signs the gcloud output; a key given for a Cloud Build builder's provenance counts too.
  signerKind: ({ document, summary, signature }) =>
    document.gcb !== undefined || (signature.method === 'key' && isGcbBuilder(summary.builderId)) ? 'cloud-build' : undefined,
  evaluate: cloudBuild,
};
