import { bundleToJSON } from '@sigstore/bundle';
import { SigningConfig } from '@sigstore/protobuf-specs';
import { bundleBuilderFromSigningConfig } from '@sigstore/sign';
import { FormatError, ModelSigningError } from '../errors';
import { Bundle } from '../signing/bundle';
import { IN_TOTO_PAYLOAD_TYPE } from '../signing/dsse';
import { Signer } from '../signing/signer';
import type { IdentityProvider } from './identity';
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
    const identity = this.options.identity;
    let tokenError: unknown;
    const builder = bundleBuilderFromSigningConfig({
      signingConfig: SigningConfig.fromJSON(this.options.trustConfig.signingConfig),
      identityProvider: {
        getToken: async () => {
          try {
            return await identity.getToken({ signal: opts.signal });
          } catch (e) {
            tokenError = e;
            throw e;
          }
        },
      },
      bundleType: 'dsseEnvelope',
      fetchOptions: { timeout: this.options.timeoutMs ?? 30_000, retry: { retries: 2 } },
    });
    try {
      const bundle = await builder.create({ data: payload, type: IN_TOTO_PAYLOAD_TYPE });
      return bundleToJSON(bundle) as unknown as Bundle;
    } catch (e) {
      if (tokenError instanceof ModelSigningError) throw tokenError;
      throw signingServiceError(e);
    }
  }
}

/**
 * sigstore-js errors name the service and status, but some (identity token
 * parse errors) embed the whole token: keep only what cannot carry it.
 */
function signingServiceError(e: unknown): ModelSigningError {
  const code = (e as { code?: unknown }).code;
  const raw = e instanceof Error ? e.message : String(e);
  const safe = /eyJ[A-Za-z0-9_-]{4,}/.test(raw) ? 'the identity token was not accepted' : raw;
  return new ModelSigningError('SIGNING_SERVICE_FAILED', `Keyless signing failed${typeof code === 'string' ? ` (${code})` : ''}: ${safe}`, { sigstoreCode: typeof code === 'string' ? code : undefined });
}
