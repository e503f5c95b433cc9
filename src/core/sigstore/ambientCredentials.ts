import { raceSignal, throwIfCancelled } from '../abort';
import { ModelSigningError } from '../errors';
import { CiCommand, runTokenCommand } from './ciCommandToken';
import { metadataIdentityToken, onGoogleCloud } from './gcpMetadata';
import { DEFAULT_OIDC_CLIENT_ID, IdentityProvider, checkToken, decodeClaims } from './identityToken';

// ---------------------------------------------------------------------------
// Ambient CI credentials
// ---------------------------------------------------------------------------

export type AmbientSource = 'github-actions' | 'token-variable' | 'google-cloud' | 'buildkite' | 'gitlab' | 'circleci';

/** An environment seen, and either how to get its token or why it cannot give one. */
interface Detected {
  source: AmbientSource;
  /** Finishes "The identity token from …". */
  from: string;
  problem?: string;
  fetch?: (audience: string, env: NodeJS.ProcessEnv, signal?: AbortSignal) => Promise<string>;
}

/**
 * The token of the CI system or cloud machine this runs on, found as the
 * reference finds it (model_signing through sigstore-python's `id` package):
 * GitHub Actions, Google Cloud, Buildkite, GitLab CI, CircleCI, in that order,
 * plus `<AUDIENCE>_ID_TOKEN` (SIGSTORE_ID_TOKEN) in any environment, as
 * sigstore-js takes it. The first environment seen decides: one whose token
 * cannot be had is an error, never a fall back to another source.
 */
export class AmbientCredentialProvider implements IdentityProvider {
  readonly name = 'ambient';

  constructor(
    private readonly audience: string = DEFAULT_OIDC_CLIENT_ID,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Whether a CI or cloud environment is seen (not whether it will hand out a token). */
  static detect(env: NodeJS.ProcessEnv = process.env, audience: string = DEFAULT_OIDC_CLIENT_ID): boolean {
    return detectSource(env, audience) !== undefined;
  }

  async getToken(options: { signal?: AbortSignal } = {}): Promise<string> {
    throwIfCancelled(options.signal);
    const seen = detectSource(this.env, this.audience);
    if (!seen) {
      throw new ModelSigningError(
        'IDENTITY_TOKEN_UNAVAILABLE',
        `No ambient credentials: not in GitHub Actions (with \`permissions: id-token: write\`), Google Cloud, Buildkite, GitLab CI or CircleCI, and ${tokenVariable(this.audience)} is not set`,
        { sources: [] },
      );
    }
    if (seen.problem !== undefined) throw new ModelSigningError('IDENTITY_TOKEN_UNAVAILABLE', seen.problem, { sources: [seen.source] });
    const token = checkToken(await seen.fetch!(this.audience, this.env, options.signal), `from ${seen.from}`);
    checkAudience(token, this.audience, seen.from);
    return token;
  }
}

/** `id`'s name for GitLab's token variable: `<AUDIENCE>_ID_TOKEN`, upper case, other characters as `_`. */
export function tokenVariable(audience: string): string {
  return `${audience.toUpperCase().replace(/[^A-Z0-9_]|^[^A-Z_]/g, '_')}_ID_TOKEN`;
}

function detectSource(env: NodeJS.ProcessEnv, audience: string): Detected | undefined {
  const variable = tokenVariable(audience);
  if (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    return { source: 'github-actions', from: 'the GitHub Actions token endpoint', fetch: githubActionsToken };
  }
  // In a job that sets the variable itself, that is its way; otherwise a job without the permission is told so.
  if (env.GITHUB_ACTIONS && !env[variable]) {
    return unusable(
      'github-actions',
      'GitHub Actions: the job has no identity token to give: add `permissions: id-token: write` to it (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are unset)',
    );
  }
  if (env[variable]) return { source: 'token-variable', from: variable, fetch: () => Promise.resolve(env[variable]!) };
  if (env.GOOGLE_SERVICE_ACCOUNT_NAME) {
    return unusable(
      'google-cloud',
      'Google Cloud: signing as another service account (GOOGLE_SERVICE_ACCOUNT_NAME) is not supported: unset it to sign as the machine’s own service account, or pass --identity-token',
    );
  }
  if (onGoogleCloud(env)) return { source: 'google-cloud', from: 'the Google Cloud metadata server', fetch: metadataIdentityToken };
  if (env.BUILDKITE) {
    return fromCommand('buildkite', (aud) => ({
      system: 'Buildkite',
      file: 'buildkite-agent',
      subcommand: ['oidc', 'request-token'],
      args: ['--audience', aud],
    }));
  }
  if (env.GITLAB_CI) return unusable('gitlab', `GitLab CI: ${variable} is not set: declare it in the job's \`id_tokens:\` with \`aud: ${audience}\``);
  if (env.CIRCLECI) {
    return fromCommand('circleci', (aud) => ({
      system: 'CircleCI',
      file: 'circleci',
      subcommand: ['run', 'oidc', 'get'],
      // `--root-issuer`, as `id` asks: the organisation's issuer, which Fulcio knows, not the project's.
      args: ['--claims', JSON.stringify({ aud }), '--root-issuer'],
    }));
  }
  return undefined;
}

function unusable(source: AmbientSource, problem: string): Detected {
  return { source, from: source, problem };
}

function fromCommand(source: AmbientSource, command: (audience: string) => Omit<CiCommand, 'source'>): Detected {
  return { source, from: command('').system, fetch: (aud, env, signal) => runTokenCommand({ ...command(aud), source }, env, signal) };
}

/** GitHub's endpoint through @sigstore/sign's CIContextProvider (which reads `process.env` itself). */
async function githubActionsToken(audience: string, _env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string> {
  const { CIContextProvider } = await import('@sigstore/sign');
  const fail = (why: string) => new ModelSigningError('IDENTITY_TOKEN_UNAVAILABLE', `GitHub Actions: ${why}`, { sources: ['github-actions'] });
  let token: unknown;
  try {
    token = await raceSignal(new CIContextProvider(audience).getToken(), signal);
  } catch (e) {
    if (e instanceof ModelSigningError) throw e;
    // CIContextProvider rejects with the bare string 'CI: no tokens available'.
    throw fail('no identity token could be obtained from the token endpoint');
  }
  // The endpoint answered, but without a token (e.g. 401 for a bad request token): CIContextProvider does not look at the HTTP status.
  if (typeof token !== 'string' || token.trim() === '')
    throw fail('the token endpoint returned no token: check that the job has `permissions: id-token: write`');
  return token;
}

/** As `id` checks every ambient token: for this audience (a string, or a list holding it, as Fulcio accepts). */
function checkAudience(token: string, audience: string, from: string): void {
  const aud = decodeClaims(token).aud;
  if (aud === audience || (Array.isArray(aud) && aud.includes(audience))) return;
  const said = aud === undefined ? 'has no audience (`aud` claim)' : `is for audience ${JSON.stringify(aud)}`;
  throw new ModelSigningError('IDENTITY_TOKEN_INVALID', `The identity token from ${from} ${said}, not '${audience}'`, { reason: 'audience', audience });
}
