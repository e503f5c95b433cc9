// The source-ref checks (--source-tag, --source-versioned-tag, --source-branch)
// against the refs each family reads from where it trusts them.
import { PolicyCheck, ProvenancePolicy } from '../../types';
import { branchOf, tagOf, versionedTagMismatch } from '../gitRefs';

export interface RefFacts {
  /** A tag ref, or '' when the build was not of a tag. */
  tag?: string;
  /** A branch ref, or '' when not known. */
  branch?: string;
  branchError?: string;
  error?: string;
}

/** The refs of one `refs/…` ref (a tag or a branch), or the error to report when there is none. */
export function refFactsOf(ref: string | undefined, missing: string): RefFacts {
  return ref ? { tag: ref.startsWith('refs/tags/') ? ref : '', branch: ref.startsWith('refs/heads/') ? ref : '' } : { error: missing };
}

/** --source-tag, --source-versioned-tag and --source-branch against the refs a family provides. */
export function addRefChecks(checks: PolicyCheck[], policy: ProvenancePolicy, refs: RefFacts, from: string): void {
  const tag = refs.tag ? tagOf(refs.tag) : undefined;
  const noTag =
    refs.error ?? (refs.tag === '' ? `${from} says the build was not of a tag (invalid ref)` : `${from}'s ref ${refs.tag} is not a tag (invalid ref)`);
  if (policy.sourceTag !== undefined) {
    const ok = tag !== undefined && tag === policy.sourceTag;
    checks.push({
      name: 'source-tag',
      ok,
      expected: policy.sourceTag,
      ...(tag ? { actual: tag } : {}),
      message: ok ? `tag ${tag}` : `tag mismatch: ${tag === undefined ? noTag : `expected ${policy.sourceTag}, got ${tag}`}`,
    });
  }
  if (policy.sourceVersionedTag !== undefined) {
    const why = tag === undefined ? noTag : versionedTagMismatch(tag, policy.sourceVersionedTag);
    checks.push({
      name: 'source-versioned-tag',
      ok: !why,
      expected: policy.sourceVersionedTag,
      ...(tag ? { actual: tag } : {}),
      message: why ? `versioned tag mismatch: ${why}` : `tag ${tag} is version ${policy.sourceVersionedTag}`,
    });
  }
  if (policy.sourceBranch !== undefined) {
    const branch = refs.branch ? branchOf(refs.branch) : undefined;
    const ok = branch !== undefined && branch === policy.sourceBranch;
    const why =
      branch !== undefined
        ? `expected ${policy.sourceBranch}, got ${branch}`
        : (refs.error ?? refs.branchError ?? `${from} names no branch (invalid ref ${JSON.stringify(refs.branch ?? '')})`);
    checks.push({
      name: 'source-branch',
      ok,
      expected: policy.sourceBranch,
      ...(branch ? { actual: branch } : {}),
      message: ok ? `branch ${branch}` : `branch mismatch: ${why}`,
    });
  }
}
