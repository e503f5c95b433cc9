import { raceSignal, throwIfCancelled } from '../abort';
import { ModelSigningError } from '../errors';
import { DEFAULT_OIDC_CLIENT_ID, IdentityProvider, checkToken } from './identityToken';

// ---------------------------------------------------------------------------
// Ambient CI credentials
// ---------------------------------------------------------------------------

/**
 * The token of the CI system: GitHub Actions (`ACTIONS_ID_TOKEN_REQUEST_URL` +
 * `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, audience `sigstore`) or `SIGSTORE_ID_TOKEN`,
 * through @sigstore/sign's CIContextProvider. That class reads `process.env`
 * itself, so this provider does too.
 */
export class AmbientCredentialProvider implements IdentityProvider {
  readonly name = 'ambient';

  constructor(private readonly audience: string = DEFAULT_OIDC_CLIENT_ID) {}

  /** Whether a CI token source is configured (not whether it will answer). */
  static detect(env: NodeJS.ProcessEnv = process.env): boolean {
    return sources(env).length > 0;
  }

  async getToken(options: { signal?: AbortSignal } = {}): Promise<string> {
    throwIfCancelled(options.signal);
    const configured = sources(process.env);
    if (configured.length === 0) {
      throw new ModelSigningError(
        'IDENTITY_TOKEN_UNAVAILABLE',
        'No ambient credentials: not running in GitHub Actions with `permissions: id-token: write` (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN), and SIGSTORE_ID_TOKEN is not set',
        { sources: [] },
      );
    }
    const { CIContextProvider } = await import('@sigstore/sign');
    let token: unknown;
    try {
      token = await raceSignal(new CIContextProvider(this.audience).getToken(), options.signal);
    } catch (e) {
      if (e instanceof ModelSigningError) throw e;
      // CIContextProvider rejects with the bare string 'CI: no tokens available'.
      throw new ModelSigningError(
        'IDENTITY_TOKEN_UNAVAILABLE',
        `No ambient identity token could be obtained from ${configured.map(describeSource).join(' or ')}`,
        { sources: configured },
      );
    }
    if (typeof token !== 'string' || token.trim() === '') {
      // The GitHub endpoint answered, but without a token (e.g. 401 for a bad request token):
      // CIContextProvider does not look at the HTTP status.
      throw new ModelSigningError(
        'IDENTITY_TOKEN_UNAVAILABLE',
        'The GitHub Actions token endpoint returned no token: check that the job has `permissions: id-token: write`',
        { sources: configured },
      );
    }
    return checkToken(token, 'from the CI environment');
  }
}

type AmbientSource = 'github-actions' | 'SIGSTORE_ID_TOKEN';

function sources(env: NodeJS.ProcessEnv): AmbientSource[] {
  const out: AmbientSource[] = [];
  if (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) out.push('github-actions');
  if (env.SIGSTORE_ID_TOKEN) out.push('SIGSTORE_ID_TOKEN');
  return out;
}

function describeSource(s: AmbientSource): string {
  return s === 'github-actions' ? 'the GitHub Actions token endpoint' : 'SIGSTORE_ID_TOKEN';
}
