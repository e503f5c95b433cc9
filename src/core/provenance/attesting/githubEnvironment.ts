// The facts of a GitHub Actions run, read from the variables the runner sets
// for every step (https://docs.github.com/en/actions/reference/variables-reference),
// as `attest` records them in a provenance predicate.
import { FormatError } from '../../errors';

/** Environment variables, as `process.env` holds them; tests pass their own. */
export type Environment = Record<string, string | undefined>;

/** One GitHub Actions workflow run, as the runner describes it. */
export interface GitHubRun {
  /** `https://github.com`, or a GitHub Enterprise Server URL. */
  serverUrl: string;
  /** `owner/repo`. */
  repository: string;
  /** The ref that triggered the run: `refs/heads/main`, `refs/tags/v1`, `refs/pull/1/merge`. */
  ref: string;
  /** The commit the run checked out. */
  sha: string;
  /** `owner/repo/.github/workflows/build.yml@refs/heads/main`. */
  workflowRef: string;
  /** `.github/workflows/build.yml`, from workflowRef. */
  workflowPath: string;
  /** `refs/heads/main`, from workflowRef (a ref may itself hold `@`). */
  workflowRefName: string;
  runId: string;
  runAttempt: string;
  eventName: string;
  /** `github-hosted` or `self-hosted`. */
  runnerEnvironment: string;
  repositoryId: string;
  repositoryOwnerId: string;
}

/** The variables a run must have for its provenance to say where it came from. */
const REQUIRED = [
  'GITHUB_SERVER_URL',
  'GITHUB_REPOSITORY',
  'GITHUB_REF',
  'GITHUB_SHA',
  'GITHUB_WORKFLOW_REF',
  'GITHUB_RUN_ID',
  'GITHUB_RUN_ATTEMPT',
  'GITHUB_EVENT_NAME',
  'RUNNER_ENVIRONMENT',
  'GITHUB_REPOSITORY_ID',
  'GITHUB_REPOSITORY_OWNER_ID',
] as const;

/** Whether the environment is a GitHub Actions step (the runner sets `GITHUB_ACTIONS=true`). */
export function isGitHubActions(env: Environment): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

/** Reads the run from the environment; a missing or malformed variable is an error, never a guess. */
export function readGitHubRun(env: Environment): GitHubRun {
  const missing = REQUIRED.filter((name) => !env[name]?.trim());
  if (missing.length > 0) {
    throw new FormatError('INVALID_OPTION', `GitHub Actions environment is incomplete: ${missing.join(', ')} not set`, { missing });
  }
  const get = (name: (typeof REQUIRED)[number]) => env[name]!.trim();
  const repository = get('GITHUB_REPOSITORY');
  const workflowRef = get('GITHUB_WORKFLOW_REF');
  const { path, ref } = splitWorkflowRef(workflowRef, repository);
  return {
    serverUrl: get('GITHUB_SERVER_URL').replace(/\/+$/, ''),
    repository,
    ref: get('GITHUB_REF'),
    sha: get('GITHUB_SHA'),
    workflowRef,
    workflowPath: path,
    workflowRefName: ref,
    runId: get('GITHUB_RUN_ID'),
    runAttempt: get('GITHUB_RUN_ATTEMPT'),
    eventName: get('GITHUB_EVENT_NAME'),
    runnerEnvironment: get('RUNNER_ENVIRONMENT'),
    repositoryId: get('GITHUB_REPOSITORY_ID'),
    repositoryOwnerId: get('GITHUB_REPOSITORY_OWNER_ID'),
  };
}

/**
 * `owner/repo/.github/workflows/build.yml@refs/tags/v1@beta` →
 * `{ path: '.github/workflows/build.yml', ref: 'refs/tags/v1@beta' }`: the path
 * ends at the first `@`, since a tag name may itself contain one.
 */
export function splitWorkflowRef(workflowRef: string, repository: string): { path: string; ref: string } {
  const prefix = `${repository}/`;
  const at = workflowRef.indexOf('@');
  if (!workflowRef.startsWith(prefix) || at < prefix.length + 1 || at === workflowRef.length - 1) {
    throw new FormatError('INVALID_OPTION', `GITHUB_WORKFLOW_REF '${workflowRef}' is not '${repository}/<workflow path>@<ref>'`, { workflowRef, repository });
  }
  return { path: workflowRef.slice(prefix.length, at), ref: workflowRef.slice(at + 1) };
}
