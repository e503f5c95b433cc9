import { Bundle } from './bundle';

/**
 * An RFC 3161 timestamp authority, as Sigstore uses one: it stamps the bytes of a
 * signature (the TSA's message imprint is their SHA-256) and answers with a
 * TimeStampResp, DER, which the bundle keeps as it is.
 */
export interface Timestamper {
  /** Where the timestamps come from, for messages. */
  readonly url: string;
  timestamp(signature: Buffer, options?: { signal?: AbortSignal }): Promise<Buffer>;
}

/** The raw bytes of the envelope's signature: what Sigstore's timestamps cover. */
export function bundleSignature(bundle: Bundle): Buffer {
  return Buffer.from(bundle.dsseEnvelope.signatures[0]!.sig, 'base64');
}

/** The bundle's RFC 3161 timestamps (TimeStampResp, DER), in order; none for most key and certificate signatures. */
export function bundleTimestamps(bundle: Bundle): Buffer[] {
  return (bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).map((t) => Buffer.from(t.signedTimestamp, 'base64'));
}

/** The bundle with a timestamp added where Sigstore bundles keep them: `verificationMaterial.timestampVerificationData`. */
export function withTimestamp(bundle: Bundle, timestamp: Buffer): Bundle {
  const vm = bundle.verificationMaterial;
  const rfc3161Timestamps = [...(vm.timestampVerificationData?.rfc3161Timestamps ?? []), { signedTimestamp: timestamp.toString('base64') }];
  return { ...bundle, verificationMaterial: { ...vm, timestampVerificationData: { rfc3161Timestamps } } };
}
