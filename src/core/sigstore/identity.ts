// OIDC identity tokens for Sigstore keyless signing: an explicit token, the
// ambient token of a CI system, or an interactive browser login, chosen in the
// reference's order.
import { ModelSigningError } from '../errors';
import { AmbientCredentialProvider } from './ambientCredentials';
import { IdentityProvider, StaticTokenProvider } from './identityToken';
import { InteractiveLoginOptions, InteractiveLoginProvider } from './interactiveLogin';

export * from './identityToken';
export * from './ambientCredentials';
export * from './interactiveLogin';

// ---------------------------------------------------------------------------
// Choosing a provider
// ---------------------------------------------------------------------------

/**
 * The reference's precedence (model_signing, as sigstore-python): an explicit
 * token; then the ambient CI token if asked for and one is configured; then
 * the interactive login.
 */
export function chooseIdentityProvider(opts: {
  identityToken?: string;
  useAmbientCredentials?: boolean;
  interactive?: InteractiveLoginOptions;
}): IdentityProvider {
  if (opts.identityToken) return new StaticTokenProvider(opts.identityToken);
  if (opts.useAmbientCredentials && AmbientCredentialProvider.detect()) return new AmbientCredentialProvider();
  if (opts.interactive) return new InteractiveLoginProvider(opts.interactive);
  // Asked for ambient credentials, none configured and no interactive login: say so when a token is needed.
  if (opts.useAmbientCredentials) return new AmbientCredentialProvider();
  throw new ModelSigningError(
    'IDENTITY_TOKEN_UNAVAILABLE',
    'No way to get an identity token: give one (--identity-token), use ambient credentials (--use-ambient-credentials), or sign in with an OIDC issuer',
    { sources: [] },
  );
}
