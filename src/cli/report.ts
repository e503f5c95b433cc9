import { isModelSigningError } from '../core/errors';
import type { HashProgress } from '../core/manifest/serializer';
import type { TrustConfig } from '../core/sigstore/trustConfig';
import { formatBytes } from '../core/units';
import type { VerificationResult } from '../core/verifying/verifyModel';

/** A one-line progress display on stderr, only when stderr is a terminal and the job is long. */
export class ProgressLine {
  private readonly started = Date.now();
  private last = 0;
  private shown = false;

  constructor(private readonly stream?: NodeJS.WriteStream) {}

  readonly update = (p: HashProgress): void => {
    if (!this.stream?.isTTY) return;
    const now = Date.now();
    // Quiet for the first second, then at most ten updates a second.
    if (now - this.started < 1000 || now - this.last < 100) return;
    this.last = now;
    const seconds = (now - this.started) / 1000;
    const rate = p.bytesDone / seconds;
    const pct = p.bytesTotal > 0 ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 100;
    const eta = rate > 0 ? Math.ceil((p.bytesTotal - p.bytesDone) / rate) : 0;
    const line = `Hashing ${pct}% · ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)} · ${formatBytes(rate)}/s · ${eta}s left${p.currentFile ? ' · ' + p.currentFile : ''}`;
    this.stream.write(`\r\x1b[K${line.slice(0, (this.stream.columns || 100) - 1)}`);
    this.shown = true;
  };

  done(): void {
    if (this.shown) this.stream?.write('\r\x1b[K');
    this.shown = false;
  }
}


/** One line for any failure: the message of our typed errors, never a stack trace. */
export function describeFailure(e: unknown): string {
  if (isModelSigningError(e)) return e.message;
  if (e instanceof Error) return e.message.split('\n')[0]!;
  return String(e);
}

/** Every extra, missing and changed file, one per line, on stderr. */
export function printMismatch(result: VerificationResult): void {
  const { extra, missing, changed } = result.diff;
  const lines = [
    `Verification failed with error: the model does not match its signature (${changed.length} changed, ${missing.length} missing, ${extra.length} extra)`,
    ...changed.map((c) => `changed: ${c.name} (expected ${c.expected.algorithm}:${c.expected.digest}, got ${c.actual.algorithm}:${c.actual.digest})`),
    ...missing.map((n) => `missing: ${n}`),
    ...extra.map((n) => `extra:   ${n}`),
  ];
  process.stderr.write(lines.join('\n') + '\n');
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
    ...(trust ? { trustRoot: { source: trust.source, date: trust.date, ...(trust.path ? { path: trust.path } : {}) } } : {}),
  };
}
