// The SLSA v1 provenance `attest` writes: an in-toto Statement v1 whose subject
// is the model's OMS root digest (and, if asked, each file), and whose predicate
// says where the model came from. In GitHub Actions the predicate is the one
// actions/attest-build-provenance writes (buildType
// https://actions.github.io/buildtypes/workflow/v1), so tools that read GitHub
// artifact attestations read ours; elsewhere it is this tool's local build type.
import { FormatError } from '../../errors';
import type { Manifest } from '../../manifest/manifest';
import { Environment, GitHubRun, isGitHubActions, readGitHubRun } from './githubEnvironment';
import { IN_TOTO_STATEMENT_V1, InTotoStatement, SLSA_PROVENANCE_V1, Subject } from '../types';

/** GitHub's build type for a workflow run (https://github.com/actions/buildtypes/tree/main/workflow/v1). */
export const GITHUB_WORKFLOW_BUILD_TYPE = 'https://actions.github.io/buildtypes/workflow/v1';

/**
 * This tool's build type for provenance made outside GitHub Actions: the source
 * named by flags (`--source-uri`, `--source-ref`, `--source-commit`) in
 * `externalParameters.source` and in `resolvedDependencies`, nothing else.
 * Documented in the README ("Provenance in CI").
 */
export const LOCAL_BUILD_TYPE = 'https://github.com/model-signing/model-signing-vscode/buildtypes/local/v1';

/** The builder id of a local build when `--builder-id` does not name one. */
export const LOCAL_BUILDER_ID = 'https://github.com/model-signing/model-signing-vscode/builders/local/v1';

/** What flags say about the build; each one overrides what the environment says. */
export interface ProvenanceOverrides {
  /** The source repository: `github.com/org/repo`, `https://…`, or `git+https://…`. */
  sourceUri?: string;
  /** The source commit (40 or 64 hex digits). */
  sourceCommit?: string;
  /** The git ref built, in full: `refs/heads/main`, `refs/tags/v1`. */
  sourceRef?: string;
  builderId?: string;
  buildType?: string;
}

/** An SLSA v1 resource descriptor, as far as provenance uses it. */
export interface ResourceDescriptorV1 {
  uri?: string;
  digest?: Record<string, string>;
  name?: string;
}

/** The SLSA v1 provenance predicate (https://slsa.dev/spec/v1.0/provenance). */
export interface SlsaProvenanceV1 {
  buildDefinition: {
    buildType: string;
    externalParameters: Record<string, unknown>;
    internalParameters?: Record<string, unknown>;
    resolvedDependencies: ResourceDescriptorV1[];
  };
  runDetails: {
    builder: { id: string };
    metadata: { invocationId?: string; startedOn: string; finishedOn: string };
  };
}

/** Where and by what a build ran: everything of the predicate except its times. */
export interface BuildContext {
  /** 'github-actions' when read from the runner's environment. */
  origin: 'github-actions' | 'local';
  buildType: string;
  externalParameters: Record<string, unknown>;
  internalParameters?: Record<string, unknown>;
  resolvedDependencies: ResourceDescriptorV1[];
  builderId: string;
  invocationId?: string;
}

/**
 * The build as the environment and the flags describe it. Checked before any
 * hashing, so a bad flag or an incomplete runner environment fails at once.
 */
export function buildContext(env: Environment, overrides: ProvenanceOverrides = {}): BuildContext {
  const source = sourceOverride(overrides);
  const builderId = overrides.builderId === undefined ? undefined : uriOption(overrides.builderId, 'builder id');
  const buildType = overrides.buildType === undefined ? undefined : uriOption(overrides.buildType, 'build type');
  if (isGitHubActions(env)) {
    const run = readGitHubRun(env);
    const context = gitHubContext(run);
    if (source) context.resolvedDependencies = [sourceDependency(source, context.resolvedDependencies[0])];
    return { ...context, builderId: builderId ?? context.builderId, buildType: buildType ?? context.buildType };
  }
  return {
    origin: 'local',
    buildType: buildType ?? LOCAL_BUILD_TYPE,
    externalParameters: source
      ? { source: { uri: source.uri, ...(source.ref ? { ref: source.ref } : {}), ...(source.commit ? { commit: source.commit } : {}) } }
      : {},
    resolvedDependencies: source ? [sourceDependency(source)] : [],
    builderId: builderId ?? LOCAL_BUILDER_ID,
  };
}

/** What actions/attest-build-provenance records for a run, field for field. */
function gitHubContext(run: GitHubRun): BuildContext {
  const repositoryUrl = `${run.serverUrl}/${run.repository}`;
  return {
    origin: 'github-actions',
    buildType: GITHUB_WORKFLOW_BUILD_TYPE,
    externalParameters: { workflow: { ref: run.workflowRefName, repository: repositoryUrl, path: run.workflowPath } },
    internalParameters: {
      github: {
        event_name: run.eventName,
        repository_id: run.repositoryId,
        repository_owner_id: run.repositoryOwnerId,
        runner_environment: run.runnerEnvironment,
      },
    },
    resolvedDependencies: [{ uri: `git+${repositoryUrl}@${run.ref}`, digest: { gitCommit: run.sha } }],
    // GitHub uses the token's job_workflow_ref; for a top-level workflow it is GITHUB_WORKFLOW_REF.
    // A reusable workflow's own ref is not in the environment: pass it with --builder-id.
    builderId: `${run.serverUrl}/${run.workflowRef}`,
    invocationId: `${repositoryUrl}/actions/runs/${run.runId}/attempts/${run.runAttempt}`,
  };
}

/** The complete predicate, once the build's times are known. */
export function provenancePredicate(context: BuildContext, times: { startedOn: Date; finishedOn: Date }): SlsaProvenanceV1 {
  return {
    buildDefinition: {
      buildType: context.buildType,
      externalParameters: context.externalParameters,
      ...(context.internalParameters ? { internalParameters: context.internalParameters } : {}),
      resolvedDependencies: context.resolvedDependencies,
    },
    runDetails: {
      builder: { id: context.builderId },
      metadata: {
        ...(context.invocationId ? { invocationId: context.invocationId } : {}),
        startedOn: times.startedOn.toISOString(),
        finishedOn: times.finishedOn.toISOString(),
      },
    },
  };
}

/**
 * The model's subjects: its OMS root digest under the model's name (what
 * `model-signing digest` prints), then with `perFile` each file under its
 * model-relative POSIX path, in the manifest's canonical order. The file
 * digests come from the same manifest, which must be sha256 files serialization.
 */
export function modelSubjects(manifest: Manifest, perFile = false): Subject[] {
  const subjects: Subject[] = [{ name: manifest.modelName, digest: { sha256: manifest.rootDigest() } }];
  if (!perFile) return subjects;
  const s = manifest.serialization;
  if (s.method !== 'files' || s.hashType !== 'sha256') {
    throw new FormatError(
      'INVALID_OPTION',
      `Per-file subjects need sha256 digests of whole files, but the model was hashed with ${s.method} and ${s.hashType}`,
      { method: s.method, hashType: s.hashType },
    );
  }
  for (const r of manifest.resources) {
    // A single-file model has one resource, '.': the file itself, named as the model is.
    subjects.push({ name: r.name === '.' ? manifest.modelName : r.name, digest: { sha256: r.digest } });
  }
  return subjects;
}

export function provenanceStatement(subjects: Subject[], predicate: SlsaProvenanceV1): InTotoStatement {
  return { _type: IN_TOTO_STATEMENT_V1, subject: subjects, predicateType: SLSA_PROVENANCE_V1, predicate };
}

interface Source {
  uri: string;
  ref?: string;
  commit?: string;
}

/** The source named by flags, checked and normalised; undefined when no flag names one. */
function sourceOverride(o: ProvenanceOverrides): Source | undefined {
  if (o.sourceUri === undefined) {
    if (o.sourceRef !== undefined || o.sourceCommit !== undefined) {
      // Outside GitHub Actions a ref or commit means nothing without its repository.
      return { uri: '', ...checkedRefAndCommit(o) };
    }
    return undefined;
  }
  return { uri: normaliseSourceUri(o.sourceUri), ...checkedRefAndCommit(o) };
}

function checkedRefAndCommit(o: ProvenanceOverrides): { ref?: string; commit?: string } {
  const out: { ref?: string; commit?: string } = {};
  if (o.sourceRef !== undefined) {
    const ref = o.sourceRef.trim();
    if (!/^refs\/[^\s@]+$/.test(ref)) {
      throw new FormatError('INVALID_OPTION', `Source ref '${o.sourceRef}' is not a full git ref such as refs/heads/main or refs/tags/v1`, {
        sourceRef: o.sourceRef,
      });
    }
    out.ref = ref;
  }
  if (o.sourceCommit !== undefined) {
    const commit = o.sourceCommit.trim().toLowerCase();
    if (!/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(commit)) {
      throw new FormatError('INVALID_OPTION', `Source commit '${o.sourceCommit}' is not a git commit id (40 or 64 hex digits)`, {
        sourceCommit: o.sourceCommit,
      });
    }
    out.commit = commit;
  }
  return out;
}

/**
 * The source as a dependency, in the form GitHub writes: `git+<url>@<ref>` with
 * the commit as `gitCommit`. In GitHub Actions, a flag replaces only what it names.
 */
function sourceDependency(source: Source, fromRun?: ResourceDescriptorV1): ResourceDescriptorV1 {
  let uri = source.uri;
  let ref = source.ref;
  let commit = source.commit;
  if (fromRun) {
    const m = /^git\+(.*?)@(refs\/.*)$/.exec(fromRun.uri ?? '');
    uri ||= m?.[1] ?? '';
    ref ??= m?.[2];
    commit ??= fromRun.digest?.gitCommit;
  }
  if (!uri) {
    throw new FormatError('INVALID_OPTION', 'A source ref or commit was given without the source repository URI', {});
  }
  return { uri: `git+${uri}${ref ? `@${ref}` : ''}`, ...(commit ? { digest: { gitCommit: commit } } : {}) };
}

/** `github.com/org/repo`, `https://github.com/org/repo.git/`, `git+https://…` → `https://github.com/org/repo`. */
export function normaliseSourceUri(value: string): string {
  let uri = value.trim().replace(/^git\+/, '');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) uri = `https://${uri}`;
  uri = uri.replace(/\/+$/, '').replace(/\.git$/, '');
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw new FormatError('INVALID_OPTION', `Source URI '${value}' is not a repository URL such as github.com/org/repo`, { sourceUri: value });
  }
  if (!parsed.hostname || parsed.pathname.length <= 1 || parsed.search || parsed.hash || parsed.username || parsed.password || /\s|@/.test(uri)) {
    throw new FormatError('INVALID_OPTION', `Source URI '${value}' is not a repository URL such as github.com/org/repo`, { sourceUri: value });
  }
  return uri;
}

/** Builder ids and build types are URIs: an absolute URI with no spaces. */
function uriOption(value: string, what: string): string {
  const v = value.trim();
  if (!/^[a-z][a-z0-9+.-]*:[^\s]+$/i.test(v)) {
    throw new FormatError('INVALID_OPTION', `The ${what} '${value}' is not an absolute URI`, { value });
  }
  return v;
}
