import { isModelSigningError } from '../core/errors';
import { safeText } from '../core/display';
import type { TrustConfig } from '../core/sigstore/trustConfig';
import type { VerificationResult } from '../core/verifying/verifyModel';
import { err, lines } from './terminal';

/** One line for any failure: the message of our typed errors, never a stack trace (escaped where it is printed). */
export function describeFailure(e: unknown): string {
  if (isModelSigningError(e)) return e.message;
  if (e instanceof Error) return e.message.split('\n')[0]!;
  return String(e);
}

/** A failure as one line on stderr, after our prefix; with MODEL_SIGNING_DEBUG, an untyped error's stack too. */
export function printFailure(prefix: string, e: unknown): void {
  err(safeText`${prefix}${describeFailure(e)}\n`);
  if (process.env.MODEL_SIGNING_DEBUG && !isModelSigningError(e)) {
    err(
      safeText`${lines(
        String((e as Error).stack)
          .split('\n')
          .map((l) => safeText`${l}`),
      )}\n`,
    );
  }
}

/** Every extra, missing and changed file, one per line, on stderr. */
export function printMismatch(result: VerificationResult): void {
  const { extra, missing, changed } = result.diff;
  err(
    safeText`${lines([
      safeText`Verification failed with error: the model does not match its signature (${changed.length} changed, ${missing.length} missing, ${extra.length} extra)`,
      ...changed.map((c) => safeText`changed: ${c.name} (expected ${c.expected.algorithm}:${c.expected.digest}, got ${c.actual.algorithm}:${c.actual.digest})`),
      ...missing.map((n) => safeText`missing: ${n}`),
      ...extra.map((n) => safeText`extra:   ${n}`),
    ])}\n`,
  );
}

/** The verification result as plain JSON, for `verify --json`; keyless results say which trusted root was used. */
export function toJson(result: VerificationResult, trust?: TrustConfig): Record<string, unknown> {
  const s = result.serialization;
  return {
    verified: result.ok,
    signer: result.signer,
    model: { name: result.modelName, rootDigest: `sha256:${result.rootDigest}` },
    serialization: {
      method: s.method,
      hashType: s.hashType,
      allowSymlinks: s.allowSymlinks,
      ...(s.shardSize !== undefined ? { shardSize: s.shardSize } : {}),
      ignorePaths: s.ignorePaths,
    },
    resources: result.manifest.resources,
    diff: result.diff,
    warnings: result.warnings,
    // Key and certificate signatures: the time the certificate was validated at, and why.
    ...(result.signingTime ? { validatedAt: result.signingTime } : {}),
    ...(result.signerChecks ? { signerChecks: result.signerChecks } : {}),
    ...(trust ? { trustRoot: { source: trust.source, date: trust.date, ...(trust.path ? { path: trust.path } : {}) } } : {}),
  };
}
