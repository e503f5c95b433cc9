import { Bundle } from '../signing/bundle';
import { bundleSignature, bundleTimestamps } from '../signing/timestamps';

/**
 * The time a key or certificate signature was checked at, and why: the time an
 * RFC 3161 timestamp proves the signature existed, or the current time (the OMS
 * spec's rule) when nothing proves when it was made.
 */
export type SigningTime = { source: 'rfc3161-timestamp'; time: string; tsa: string } | { source: 'current-time'; time: string; reason: string };

/** A timestamp the verifier accepted: when, and the subject of the authority that signed it. */
export interface VerifiedTimestamp {
  time: Date;
  tsa: string;
}

/**
 * Checks RFC 3161 timestamps over a signature against the timestamp authorities
 * the user trusts; throws a typed error for any timestamp that does not hold.
 */
export interface TimestampVerifier {
  verify(signature: Buffer, timestamps: readonly Buffer[]): Promise<VerifiedTimestamp[]>;
}

/**
 * When the bundle's signature was made, as far as it can be proven. Every
 * timestamp must verify: a present but bad timestamp is an attack signal, never
 * a reason to fall back to the current time. The earliest one is the signing time.
 */
export async function signingTime(bundle: Bundle, timestamps: TimestampVerifier | undefined, now = new Date()): Promise<SigningTime> {
  const stamps = bundleTimestamps(bundle);
  const current = (reason: string): SigningTime => ({ source: 'current-time', time: now.toISOString(), reason });
  if (stamps.length === 0) return current('the signature has no timestamp');
  if (!timestamps) return current('the signature has a timestamp, but no timestamp authority was given to check it with');
  const verified = await timestamps.verify(bundleSignature(bundle), stamps);
  const first = [...verified].sort((a, b) => a.time.getTime() - b.time.getTime())[0];
  if (!first) return current('no timestamp was accepted');
  return { source: 'rfc3161-timestamp', time: first.time.toISOString(), tsa: first.tsa };
}
