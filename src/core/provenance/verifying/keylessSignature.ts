// Keyless provenance, checked offline:
//  - a Sigstore bundle with a log entry: @sigstore/verify with our trusted root
//    (Fulcio chain at the log or timestamp time, SCT, Rekor SET/proof and body,
//    DSSE signature), as sigstoreVerifier.ts does for model signatures;
//  - a Fulcio certificate with no log entry (`.intoto.jsonl`'s `signatures[].cert`):
//    the DSSE signature with the certificate's key and its chain to the trusted
//    root's Fulcio CAs at a moment inside the certificate's own validity. Nothing
//    proves when the signature was made, so the status is 'incomplete', never
//    'verified': slsa-verifier looks the entry up in Rekor for that, online.
import * as crypto from 'node:crypto';
import { ValidationError as BundleValidationError, bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { PolicyError, VerificationError as SigstoreVerificationError, Verifier as SigstoreJsVerifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { ErrorCode, ModelSigningError } from '../../errors';
import { verifyCertificateChain } from '../../signing/certificates';
import { pae } from '../../signing/dsse';
import { hashForKey, verifyBytes } from '../../signing/keys';
import { classifySigstoreError } from '../../sigstore/sigstoreVerifier';
import type { TrustConfig } from '../../sigstore/trustConfig';
import { pemToDer } from '../reading/certificateClaims';
import { CertificateClaims, ProvenanceDocument, ProvenanceSignatureCheck, SignatureStep } from '../types';
import { ProvenanceSignatureOptions, decodeSigOrEmpty, failed, missingTrust } from './signatureResult';

/** A keyless bundle: everything @sigstore/verify checks, against our trusted root. */
export function checkSigstoreBundle(doc: ProvenanceDocument, certificate: CertificateClaims, options: ProvenanceSignatureOptions): ProvenanceSignatureCheck {
  const transparencyLog = (doc.bundle!.verificationMaterial.tlogEntries?.length ?? 0) > 0 ? 'present' : 'absent';
  if (!options.trustConfig) return failed('sigstore', missingTrust(), [], certificate, transparencyLog);
  try {
    const bundle = bundleFromJSON(doc.bundle);
    const entity = toSignedEntity(bundle);
    verifierFor(options.trustConfig).verify(entity);
    // The claims the policy reads must be those of the certificate Sigstore just verified.
    if (entity.key.$case !== 'certificate' || !entity.key.certificate.root.toDER().equals(pemToDer(doc.certificatePem ?? ''))) {
      throw new ModelSigningError('CERTIFICATE_INVALID', 'The certificate read for the signer is not the one the signature was verified with');
    }
    const times: Date[] = [];
    for (const t of entity.timestamps) {
      if (t.$case === 'timestamp-authority') times.push(t.timestamp.signingTime);
      else if (t.tlogEntry.inclusionPromise) times.push(new Date(Number(t.tlogEntry.integratedTime) * 1000));
    }
    const signedAt = times.sort((a, b) => a.getTime() - b.getTime())[0]?.toISOString();
    const tsa = entity.timestamps.filter((t) => t.$case === 'timestamp-authority').length;
    const logDetail = bundle.verificationMaterial.tlogEntries
      .map((e) => {
        const evidence = [e.inclusionPromise ? 'inclusion promise' : '', e.inclusionProof ? 'inclusion proof' : ''].filter(Boolean).join(' and ');
        return `Rekor entry ${e.logIndex ?? '?'} (${evidence || 'no inclusion evidence'})`;
      })
      .join('; ');
    return {
      status: 'verified',
      method: 'sigstore',
      certificate,
      transparencyLog,
      ...(signedAt ? { signedAt } : {}),
      steps: [
        { name: 'dsse-signature', status: 'ok' },
        { name: 'certificate-chain', status: 'ok', detail: `chains to the trusted root at ${signedAt ?? 'the log time'}` },
        { name: 'transparency-log', status: transparencyLog === 'present' ? 'ok' : 'absent', ...(logDetail ? { detail: logDetail } : {}) },
        { name: 'timestamp', status: tsa > 0 ? 'ok' : 'absent', ...(tsa > 0 ? { detail: `${tsa} RFC 3161 timestamp(s)` } : {}) },
        {
          name: 'signing-time',
          status: 'ok',
          detail: `signed at ${signedAt ?? '?'}, inside the certificate's validity ${certificate.notBefore} – ${certificate.notAfter}`,
        },
      ],
    };
  } catch (e) {
    const error = sigstoreError(e);
    return {
      status: 'failed',
      method: 'sigstore',
      certificate,
      transparencyLog,
      error,
      steps: [{ name: stepOf(error.code), status: 'failed', detail: error.message }],
    };
  }
}

/**
 * A Fulcio certificate with no log entry and no timestamp. The signature and
 * the chain are checked; the time is not provable, so at best 'incomplete'.
 */
export async function checkCertificateWithoutLog(
  doc: ProvenanceDocument,
  certificate: CertificateClaims,
  options: ProvenanceSignatureOptions,
): Promise<ProvenanceSignatureCheck> {
  const steps: SignatureStep[] = [];
  const base = { method: 'sigstore' as const, certificate, transparencyLog: 'absent' as const };
  const leafDer = pemToDer(doc.certificatePem!);
  const leaf = new crypto.X509Certificate(leafDer);
  const signed = pae(doc.envelope.payloadType, doc.payload);
  if (!doc.envelope.signatures.some((s) => verifyBytes(leaf.publicKey, signed, decodeSigOrEmpty(s.sig), hashForKey(leaf.publicKey)))) {
    const error = { code: 'SIGNATURE_INVALID', message: "The DSSE signature does not verify with the signing certificate's key" };
    return { status: 'failed', ...base, error, steps: [{ name: 'dsse-signature', status: 'failed', detail: error.message }] };
  }
  steps.push({ name: 'dsse-signature', status: 'ok', detail: "over the DSSE PAE, with the certificate's key" });
  if (!options.trustConfig) return failed('sigstore', missingTrust(), steps, certificate);
  const chain = await chainToFulcio(leafDer, leaf, options.trustConfig);
  if ('error' in chain) {
    steps.push({ name: 'certificate-chain', status: 'failed', detail: chain.error.message });
    return { status: 'failed', ...base, error: chain.error, steps };
  }
  steps.push({
    name: 'certificate-chain',
    status: 'ok',
    detail: `chains to the trusted root's Fulcio CA at ${chain.at}, inside the certificate's validity ${certificate.notBefore} – ${certificate.notAfter}`,
  });
  steps.push({ name: 'transparency-log', status: 'absent', detail: 'no log entry in the file' });
  steps.push({ name: 'timestamp', status: 'absent' });
  steps.push({
    name: 'signing-time',
    status: 'absent',
    detail: 'nothing proves the signature was made while the certificate was valid (an online Rekor lookup would)',
  });
  return { status: 'incomplete', ...base, chainCheckedAt: chain.at, steps };
}

/**
 * The path leaf → a Fulcio CA of the trusted root, validated with PKI.js at
 * the earliest moment when the leaf, the CA's certificates and its validFor
 * range are all valid: the certificate's own time, not today.
 */
async function chainToFulcio(
  leafDer: Buffer,
  leaf: crypto.X509Certificate,
  trust: TrustConfig,
): Promise<{ at: string } | { error: { code: string; message: string } }> {
  const cas = (trust.trustedRoot.certificateAuthorities ?? []) as Array<{
    certChain?: { certificates?: Array<{ rawBytes?: string }> };
    validFor?: { start?: string; end?: string };
  }>;
  const reasons: string[] = [];
  for (const ca of cas) {
    const ders = (ca.certChain?.certificates ?? []).map((c) => Buffer.from(c.rawBytes ?? '', 'base64')).filter((d) => d.length > 0);
    if (ders.length === 0) continue;
    let certs: crypto.X509Certificate[];
    try {
      certs = ders.map((d) => new crypto.X509Certificate(d));
    } catch {
      continue;
    }
    if (!certs.some((c) => leaf.checkIssued(c))) continue;
    const starts = [Date.parse(leaf.validFrom), ...certs.map((c) => Date.parse(c.validFrom)), Date.parse(ca.validFor?.start ?? '') || -Infinity];
    const ends = [Date.parse(leaf.validTo), ...certs.map((c) => Date.parse(c.validTo)), Date.parse(ca.validFor?.end ?? '') || Infinity];
    const at = Math.max(...starts);
    if (at > Math.min(...ends)) {
      reasons.push('the CA was not valid while the certificate was');
      continue;
    }
    try {
      // The trusted root lists a CA's chain intermediate first, root last.
      await verifyCertificateChain(leafDer, ders.slice(0, -1), ders.slice(-1), { at: new Date(at) });
      return { at: new Date(at).toISOString() };
    } catch (e) {
      reasons.push(e instanceof Error ? e.message : String(e));
    }
  }
  return {
    error: {
      code: 'CERTIFICATE_CHAIN_INVALID',
      message: `The signing certificate does not chain to a Fulcio CA of the trusted root${reasons.length ? `: ${reasons[0]}` : ''}`,
    },
  };
}

const verifiers = new WeakMap<TrustConfig, SigstoreJsVerifier>();

function verifierFor(trust: TrustConfig): SigstoreJsVerifier {
  let v = verifiers.get(trust);
  if (!v) {
    v = new SigstoreJsVerifier(toTrustMaterial(TrustedRoot.fromJSON(trust.trustedRoot)));
    verifiers.set(trust, v);
  }
  return v;
}

function sigstoreError(e: unknown): { code: ErrorCode; message: string } {
  if (e instanceof SigstoreVerificationError) {
    const { code, detail } = classifySigstoreError(e);
    return { code, message: `Sigstore verification failed (${e.code}): ${e.message}${detail}` };
  }
  if (e instanceof PolicyError) return { code: 'IDENTITY_MISMATCH', message: e.message };
  if (e instanceof ModelSigningError) return { code: e.code, message: e.message };
  if (e instanceof BundleValidationError) return { code: 'BUNDLE_INVALID', message: `Invalid Sigstore bundle: ${e.message}` };
  return { code: 'SIGNATURE_INVALID', message: `Sigstore verification failed: ${e instanceof Error ? e.message : String(e)}` };
}

function stepOf(code: string): SignatureStep['name'] {
  if (code === 'TLOG_INVALID') return 'transparency-log';
  if (code === 'TIMESTAMP_INVALID') return 'timestamp';
  if (code === 'CERTIFICATE_CHAIN_INVALID') return 'certificate-chain';
  return 'dsse-signature';
}
