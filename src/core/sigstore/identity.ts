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
 * token; then the ambient CI token if asked for and a CI or cloud environment
 * is seen; then the interactive login.
 */
export function chooseIdentityProvider(opts: {
  identityToken?: string;
  useAmbientCredentials?: boolean;
  /** The audience of an ambient token: the OIDC client id, as the reference asks (default `sigstore`). */
  audience?: string;
  interactive?: InteractiveLoginOptions;
}): IdentityProvider {
  if (opts.identityToken) return new StaticTokenProvider(opts.identityToken);
  const ambient = () => new AmbientCredentialProvider(opts.audience);
  // A CI or cloud environment seen decides, even if it cannot give a token: a browser login cannot happen there.
  if (opts.useAmbientCredentials && AmbientCredentialProvider.detect(process.env, opts.audience)) return ambient();
  if (opts.interactive) return new InteractiveLoginProvider(opts.interactive);
  // Asked for ambient credentials, none configured and no interactive login: say so when a token is needed.
  if (opts.useAmbientCredentials) return ambient();
  throw new ModelSigningError(
    'IDENTITY_TOKEN_UNAVAILABLE',
    'No way to get an identity token: give one (--identity-token), use ambient credentials (--use-ambient-credentials), or sign in with an OIDC issuer',
    { sources: [] },
  );
}
