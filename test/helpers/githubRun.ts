// A simulated GitHub Actions run for the attest tests: the variables the runner
// sets, and the claims the job's OIDC token carries for the same run (the local
// Fulcio copies them into the certificate's 1.3.6.1.4.1.57264.1.* extensions).

export const GH_ISSUER = 'https://token.actions.githubusercontent.com';

export interface SimulatedRun {
  repository: string;
  ref: string;
  sha: string;
  workflowPath: string;
  runId: string;
  runAttempt: string;
}

export const DEFAULT_RUN: SimulatedRun = {
  repository: 'acme/models',
  ref: 'refs/tags/v1.2.0',
  sha: '4f1e0c7a9b2d3e5f60718293a4b5c6d7e8f90123',
  workflowPath: '.github/workflows/train.yml',
  runId: '9876543210',
  runAttempt: '2',
};

/** The environment of a step of that run. */
export function githubEnv(run: SimulatedRun = DEFAULT_RUN): Record<string, string> {
  return {
    GITHUB_ACTIONS: 'true',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: run.repository,
    GITHUB_REF: run.ref,
    GITHUB_SHA: run.sha,
    GITHUB_WORKFLOW_REF: `${run.repository}/${run.workflowPath}@${run.ref}`,
    GITHUB_RUN_ID: run.runId,
    GITHUB_RUN_ATTEMPT: run.runAttempt,
    GITHUB_EVENT_NAME: 'push',
    RUNNER_ENVIRONMENT: 'github-hosted',
    GITHUB_REPOSITORY_ID: '123456',
    GITHUB_REPOSITORY_OWNER_ID: '654321',
  };
}

/** The job's OIDC token claims for that run; the certificate's SAN is `sub`, the workflow's URL. */
export function githubClaims(run: SimulatedRun = DEFAULT_RUN): Record<string, string> {
  const workflowRef = `${run.repository}/${run.workflowPath}@${run.ref}`;
  return {
    iss: GH_ISSUER,
    sub: `https://github.com/${workflowRef}`,
    repository: run.repository,
    repository_id: '123456',
    repository_owner: run.repository.split('/')[0]!,
    repository_owner_id: '654321',
    ref: run.ref,
    sha: run.sha,
    event_name: 'push',
    workflow_ref: workflowRef,
    workflow_sha: run.sha,
    job_workflow_ref: workflowRef,
    job_workflow_sha: run.sha,
    run_id: run.runId,
    run_attempt: run.runAttempt,
    runner_environment: 'github-hosted',
  };
}
