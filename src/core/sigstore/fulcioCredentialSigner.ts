import * as crypto from 'node:crypto';
import { RekorWitness, TSAWitness } from '@sigstore/sign';
import type { Witness } from '@sigstore/sign/dist/witness';
import { ModelSigningError } from '../errors';

/** What @sigstore/sign's DSSEBundleBuilder asks of a signer. */
export interface KeylessSignature {
  signature: Buffer;
  key: { $case: 'x509Certificate'; certificate: string };
}

export interface FulcioCredential {
  /** Sent as `oidcIdentityToken`; for a deployment that takes GitHub access tokens, one of those. */
  token: string;
  /** The identity the certificate will name: what the proof of possession signs. */
  subject: string;
}

/**
 * A Fulcio v2 `signingCert` request for a credential that is not a JWT.
 * @sigstore/sign's FulcioSigner reads the subject for the proof of possession
 * out of the token, so it cannot send a GitHub access token; the request
 * itself is the same. The key is ephemeral, P-256, and never leaves memory.
 */
export class FulcioCredentialSigner {
  constructor(private readonly options: { fulcioURL: string; credential: FulcioCredential; timeoutMs?: number; signal?: AbortSignal }) {}

  async sign(data: Buffer): Promise<KeylessSignature> {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { fulcioURL, credential } = this.options;
    let res: Response;
    try {
      res = await fetch(new URL('/api/v2/signingCert', fulcioURL), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({
          credentials: { oidcIdentityToken: credential.token },
          publicKeyRequest: {
            publicKey: { algorithm: 'ECDSA', content: publicKey.export({ format: 'pem', type: 'spki' }).toString() },
            proofOfPossession: crypto.sign('sha256', Buffer.from(credential.subject), privateKey).toString('base64'),
          },
        }),
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs ?? 30_000), ...(this.options.signal ? [this.options.signal] : [])]),
      });
    } catch (e) {
      throw new ModelSigningError(
        'SIGNING_SERVICE_FAILED',
        `Keyless signing failed: the certificate authority at ${fulcioURL} could not be reached (${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name})`,
      );
    }
    if (res.status !== 200 && res.status !== 201) {
      // The body may quote the credential: report the status only.
      throw new ModelSigningError('SIGNING_SERVICE_FAILED', `Keyless signing failed: the certificate authority refused the credential (HTTP ${res.status})`, {
        status: res.status,
      });
    }
    const body = (await res.json()) as Record<string, { chain?: { certificates?: string[] } } | undefined>;
    const leaf = (body.signedCertificateEmbeddedSct ?? body.signedCertificateDetachedSct)?.chain?.certificates?.[0];
    if (!leaf) throw new ModelSigningError('SIGNING_SERVICE_FAILED', 'Keyless signing failed: the certificate authority answered without a certificate');
    return { signature: crypto.sign('sha256', data, privateKey), key: { $case: 'x509Certificate', certificate: leaf } };
  }
}

interface ServiceEntry {
  url?: string;
  majorApiVersion?: number;
  validFor?: { start?: string; end?: string };
}

/** The newest service of a signing config list that this client speaks and that is still in use, as @sigstore/sign picks them. */
export function currentService(entries: unknown, maxApiVersion: number, now = new Date()): ServiceEntry | undefined {
  return ((entries ?? []) as ServiceEntry[])
    .filter((e) => typeof e.url === 'string' && (e.majorApiVersion ?? 1) <= maxApiVersion && !(e.validFor?.end && new Date(e.validFor.end) < now))
    .sort((a, b) => Date.parse(b.validFor?.start ?? '0') - Date.parse(a.validFor?.start ?? '0'))[0];
}

/** Rekor and timestamp witnesses for a signing config, as @sigstore/sign would make them. */
export function witnessesFor(signingConfig: Record<string, unknown>, timeoutMs: number): Witness[] {
  const witnesses: Witness[] = [];
  const rekor = currentService(signingConfig.rekorTlogUrls, 2);
  if (rekor && signingConfig.rekorTlogConfig)
    witnesses.push(new RekorWitness({ rekorBaseURL: rekor.url!, majorApiVersion: rekor.majorApiVersion ?? 1, timeout: timeoutMs }));
  const tsa = currentService(signingConfig.tsaUrls, 1);
  if (tsa && signingConfig.tsaConfig) witnesses.push(new TSAWitness({ tsaBaseURL: tsa.url!, timeout: timeoutMs }));
  return witnesses;
}
