import { bundleToJSON } from '@sigstore/bundle';
import { SigningConfig } from '@sigstore/protobuf-specs';
import { DSSEBundleBuilder, bundleBuilderFromSigningConfig } from '@sigstore/sign';
import { FormatError, ModelSigningError } from '../errors';
import { Bundle } from '../signing/bundle';
import { IN_TOTO_PAYLOAD_TYPE } from '../signing/dsse';
import { Signer } from '../signing/signer';
import { FulcioCredentialSigner, currentService, witnessesFor } from './fulcioCredentialSigner';
import { type IdentityProvider, looksLikeJwt } from './identityToken';
import { TrustConfig } from './trustConfig';

export interface SigstoreSignerOptions {
  trustConfig: TrustConfig;
  identity: IdentityProvider;
  /** Per request, to Fulcio, Rekor and the timestamp authority. */
  timeoutMs?: number;
}

/**
 * Keyless signing with @sigstore/sign: an ephemeral P-256 key, a Fulcio
 * certificate for the identity token, a Rekor `dsse` entry and an RFC 3161
 * timestamp, from the services the trust config's signing config names.
 */
export class SigstoreSigner implements Signer {
  constructor(private readonly options: SigstoreSignerOptions) {
    if (!options.trustConfig.signingConfig) {
      throw new FormatError('TRUST_CONFIG_INVALID', 'The trust config has no signing config: it names no Fulcio, Rekor or timestamp service to sign with');
    }
  }

  async sign(payload: Buffer, opts: { signal?: AbortSignal } = {}): Promise<Bundle> {
    const signingConfig = this.options.trustConfig.signingConfig!;
    const timeout = this.options.timeoutMs ?? 30_000;
    const secrets: string[] = [];
    let tokenError: unknown;
    const getToken = async (): Promise<string> => {
      try {
        const token = await this.options.identity.getToken({ signal: opts.signal });
        secrets.push(token);
        return token;
      } catch (e) {
        tokenError = e;
        throw e;
      }
    };
    try {
      const builder = await this.builder(signingConfig, timeout, getToken, secrets, opts.signal);
      const bundle = await builder.create({ data: payload, type: IN_TOTO_PAYLOAD_TYPE });
      return bundleToJSON(bundle) as unknown as Bundle;
    } catch (e) {
      if (tokenError instanceof ModelSigningError) throw tokenError;
      if (e instanceof ModelSigningError) throw e;
      throw signingServiceError(e, secrets);
    }
  }

  /**
   * The signing config's services through @sigstore/sign; for a credential that
   * is not a JWT (a GitHub access token for a deployment that takes them), the
   * certificate step is FulcioCredentialSigner's and the witnesses stay the same.
   */
  private async builder(signingConfig: Record<string, unknown>, timeout: number, getToken: () => Promise<string>, secrets: string[], signal?: AbortSignal) {
    const identity = this.options.identity as IdentityProvider & {
      getCredential?: (o: { signal?: AbortSignal }) => Promise<{ token: string; subject?: string }>;
    };
    if (identity.getCredential) {
      const credential = await identity.getCredential({ signal });
      secrets.push(credential.token);
      if (!looksLikeJwt(credential.token)) {
        const fulcio = currentService(signingConfig.caUrls, 1);
        if (!fulcio || !credential.subject) {
          throw new ModelSigningError(
            'SIGNING_SERVICE_FAILED',
            'Keyless signing failed: no certificate authority, or no identity to certify, for this credential',
          );
        }
        const signer = new FulcioCredentialSigner({
          fulcioURL: fulcio.url!,
          credential: { token: credential.token, subject: credential.subject },
          timeoutMs: timeout,
          signal,
        });
        return new DSSEBundleBuilder({ signer, witnesses: witnessesFor(signingConfig, timeout) });
      }
      getToken = () => Promise.resolve(credential.token);
    }
    return bundleBuilderFromSigningConfig({
      signingConfig: SigningConfig.fromJSON(signingConfig),
      identityProvider: { getToken },
      bundleType: 'dsseEnvelope',
      fetchOptions: { timeout, retry: { retries: 2 } },
    });
  }
}

/**
 * sigstore-js errors name the service and status, but some (identity token
 * parse errors) embed the whole token: keep only what cannot carry it.
 */
function signingServiceError(e: unknown, secrets: readonly string[]): ModelSigningError {
  const code = (e as { code?: unknown }).code;
  const raw = e instanceof Error ? e.message : String(e);
  const quotesSecret = secrets.some((s) => s.length >= 8 && raw.includes(s)) || /eyJ[A-Za-z0-9_-]{4,}/.test(raw);
  const safe = quotesSecret ? 'the identity token was not accepted' : raw;
  return new ModelSigningError('SIGNING_SERVICE_FAILED', `Keyless signing failed${typeof code === 'string' ? ` (${code})` : ''}: ${safe}`, {
    sigstoreCode: typeof code === 'string' ? code : undefined,
  });
}
