// RFC 3161 timestamps for key and certificate signatures, exactly as Sigstore
// bundles carry them: requested with @sigstore/sign's TSAWitness (its message
// imprint is the SHA-256 of the DSSE signature's bytes) and checked with
// @sigstore/verify's timestamp verification, so other Sigstore verifiers accept them.
import * as crypto from 'node:crypto';
import { RFC3161Timestamp, X509Certificate } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { TSAWitness } from '@sigstore/sign';
// Not in the package's index, which exposes it only inside Verifier.verify (that also wants a
// Sigstore signing key or Fulcio chain); the package has no exports map, and the version is locked.
import { getTSATimestamp } from '@sigstore/verify/dist/timestamp';
import { raceSignal, settle, throwIfCancelled } from '../abort';
import { FormatError, ModelSigningError, VerificationError } from '../errors';
import { distinguishedName } from '../signing/certificates';
import { Timestamper } from '../signing/timestamps';
import { TimestampVerifier, VerifiedTimestamp } from '../verifying/signingTime';
import { TrustConfig } from './trustConfig';

/** A timestamp authority the user trusts: its certificate chain (DER, the signing certificate first) and when it may be used. */
export interface TimestampAuthority {
  chain: readonly Buffer[];
  validFor?: { start?: Date; end?: Date };
}

/** Asks a Sigstore timestamp authority (its JSON API, `POST …/api/v1/timestamp`) for a timestamp over a signature. */
export class TsaTimestamper implements Timestamper {
  constructor(
    readonly url: string,
    private readonly timeoutMs = 30_000,
  ) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (parsed?.protocol !== 'https:' && parsed?.protocol !== 'http:') {
      throw new FormatError('INVALID_OPTION', `The timestamp authority URL '${url}' is not an http(s) URL`, { url });
    }
  }

  async timestamp(signature: Buffer, { signal }: { signal?: AbortSignal } = {}): Promise<Buffer> {
    throwIfCancelled(signal);
    const witness = new TSAWitness({ tsaBaseURL: this.url, timeout: this.timeoutMs, retry: { retries: 2 } });
    const content = {
      $case: 'dsseEnvelope' as const,
      dsseEnvelope: { payload: Buffer.alloc(0), payloadType: '', signatures: [{ sig: signature, keyid: '' }] },
    };
    try {
      const { rfc3161Timestamps } = await raceSignal(witness.testify(content), signal);
      const stamp = rfc3161Timestamps[0]?.signedTimestamp;
      if (!stamp || stamp.length === 0) throw new Error('the answer holds no timestamp');
      return Buffer.from(stamp);
    } catch (e) {
      if (e instanceof ModelSigningError) throw e;
      const why = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      throw new ModelSigningError('TIMESTAMP_FAILED', `Could not get a timestamp from ${this.url}: ${why}`, { url: this.url }, e);
    }
  }
}

/**
 * Checks timestamps as @sigstore/verify does: the message imprint against the
 * signature, the authority among the trusted ones by the signer's serial and
 * issuer, its chain at the timestamp's time, and the timestamp's signature.
 */
export class Rfc3161TimestampVerifier implements TimestampVerifier {
  constructor(private readonly authorities: readonly TimestampAuthority[]) {}

  verify(signature: Buffer, timestamps: readonly Buffer[]): Promise<VerifiedTimestamp[]> {
    return settle(() => timestamps.map((der, i) => this.check(signature, der, timestamps.length > 1 ? `timestamp ${i + 1}` : 'timestamp')));
  }

  private check(signature: Buffer, der: Buffer, what: string): VerifiedTimestamp {
    let stamp: RFC3161Timestamp;
    let time: Date;
    try {
      stamp = RFC3161Timestamp.parse(Buffer.from(der));
      time = stamp.signingTime;
    } catch (e) {
      throw new VerificationError('TIMESTAMP_INVALID', `The signature's ${what} cannot be read as an RFC 3161 timestamp`, {}, e);
    }
    try {
      stamp.tstInfo.verify(signature);
    } catch (e) {
      throw new VerificationError('TIMESTAMP_INVALID', `The signature's ${what} is over another signature: its message imprint does not match`, {}, e);
    }
    const signers = this.authorities.filter(
      (a) =>
        a.chain[0] &&
        sameBytes(leafField(a.chain[0], 'serialNumber'), stamp.signerSerialNumber) &&
        sameBytes(leafField(a.chain[0], 'issuer'), stamp.signerIssuer),
    );
    if (signers.length === 0) {
      throw new VerificationError(
        'TIMESTAMP_UNTRUSTED',
        `The signature's ${what} (${time.toISOString()}) was issued by a timestamp authority that is not trusted: give its certificate chain (--tsa-certificate-chain) or a trust config that lists it`,
        { time: time.toISOString(), trusted: this.authorities.map((a) => subjectOf(a.chain[0])) },
      );
    }
    for (const authority of signers) {
      try {
        getTSATimestamp(stamp, signature, [toCertAuthority(authority)]);
        return { time, tsa: subjectOf(authority.chain[0]) };
      } catch {
        // Another trusted authority with the same signer names may still verify it.
      }
    }
    // Named like a trusted authority, but not signed by it (another TSA reusing the names), or outside its chain's validity.
    const tsa = subjectOf(signers[0]!.chain[0]);
    throw new VerificationError(
      'TIMESTAMP_UNTRUSTED',
      `The signature's ${what} (${time.toISOString()}) is not from a trusted timestamp authority: it does not verify with the trusted '${tsa}' and its certificate chain at that time`,
      { time: time.toISOString(), tsa },
    );
  }
}

/** The timestamp authorities a Sigstore trusted root lists. */
export function timestampAuthoritiesOf(config: TrustConfig): TimestampAuthority[] {
  return TrustedRoot.fromJSON(config.trustedRoot).timestampAuthorities.map((ca) => ({
    chain: (ca.certChain?.certificates ?? []).map((c) => Buffer.from(c.rawBytes)),
    validFor: { start: ca.validFor?.start, end: ca.validFor?.end },
  }));
}

const BEGINNING = new Date(0);
const END = new Date(8_640_000_000_000_000);

function toCertAuthority(a: TimestampAuthority) {
  return {
    certChain: a.chain.map((der) => X509Certificate.parse(Buffer.from(der))),
    validFor: { start: a.validFor?.start ?? BEGINNING, end: a.validFor?.end ?? END },
  };
}

function leafField(der: Buffer, field: 'serialNumber' | 'issuer'): Buffer | undefined {
  try {
    return X509Certificate.parse(Buffer.from(der))[field];
  } catch {
    return undefined;
  }
}

function sameBytes(a: Buffer | undefined, b: Buffer): boolean {
  return a !== undefined && a.length === b.length && crypto.timingSafeEqual(a, b);
}

function subjectOf(der: Buffer | undefined): string {
  try {
    return der ? distinguishedName(new crypto.X509Certificate(der).subject) : '';
  } catch {
    return '';
  }
}
