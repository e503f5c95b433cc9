// What `provenance verify` and `provenance show` print: the human lines of a
// report or a statement, and their JSON.
import { SafeText, joinText, ownText, safeText } from '../core/display';
import { readCertificateClaims } from '../core/provenance/reading/certificateClaims';
import type { PolicyCheck, PolicyHint, ProvenanceDocument, ProvenanceReport, ProvenanceSummary, ReportCheck } from '../core/provenance/types';
import { failedChecks } from '../core/provenance/verifying/verdict';
import { printFailure } from './report';
import { lines } from './terminal';

// Human output: one line per fact, check and subject.

export function formatReport(r: ProvenanceReport, count: number, allowIncomplete: boolean): SafeText {
  const lines: SafeText[] = [header(r.document, count)];
  const builder = r.verifiedBuilderId
    ? safeText`${r.verifiedBuilderId} (verified)`
    : r.summary.builderId
      ? safeText`${r.summary.builderId} (claimed by the predicate, not verified)`
      : undefined;
  lines.push(...summaryLines(r.summary, r.signer === undefined ? undefined : safeText`${r.signer}`, builder, r.sourceFrom));
  // Every mark comes from the report's checks, the verdict's only input: no FAIL line under an OK.
  const sigCheck = r.checks.find((c) => c.kind === 'signature')!;
  const sig = r.signature;
  const sigText =
    sigCheck.status === 'skip'
      ? safeText`${sigCheck.message}`
      : sig.status === 'verified'
        ? safeText`verified (${sig.method}${sig.signedAt ? safeText`, signed at ${sig.signedAt}` : ''}${sig.transparencyLog === 'present' ? ', logged in Rekor' : ''})`
        : sig.status === 'incomplete'
          ? safeText`incomplete: signature and certificate chain hold, but no log entry or timestamp proves when it was signed${allowIncomplete ? ' (accepted: --allow-incomplete)' : ' (pass --allow-incomplete to accept)'}`
          : safeText`FAILED: ${sig.error?.message ?? 'unknown error'}${withHint(sigCheck)}`;
  lines.push(safeText`  signature:   ${sigText}`);
  for (const s of sig.steps ?? [])
    lines.push(
      safeText`    ${mark(s.status === 'ok' ? 'pass' : s.status === 'absent' ? 'info' : sigCheck.status)} ${s.name}${s.detail ? safeText`: ${s.detail}` : ''}`,
    );
  for (const c of r.checks) if (c.kind === 'policy') lines.push(safeText`  ${mark(c.status)} ${c.name}: ${c.message}${withHint(c)}`);
  if (r.verdict !== 'skipped') {
    if (r.modelRootDigest) lines.push(safeText`  model:       root digest ${r.modelRootDigest}`);
    else
      lines.push(safeText`  model:       not given: the ${r.document.statement.subject.length} subject(s) were not checked against any files (--model-path)`);
  }
  const subjectChecks = r.checks.filter((c) => c.kind === 'subject');
  r.subjects.forEach((s, i) => {
    const c = subjectChecks[i]!;
    lines.push(
      safeText`  ${mark(c.status)} subject ${s.subject.name || '(no name)'}: ${digestText(s.subject.digest)}${c.status === 'pass' ? ' ' : ': '}${c.message}${s.format ? safeText` [${s.format.label}]` : ''}`,
    );
  });
  for (const c of r.checks) if (c.kind === 'file') lines.push(safeText`  ${mark(c.status)} file ${c.name}: ${c.message}`);
  const result =
    r.verdict === 'ok'
      ? 'OK'
      : r.verdict === 'skipped'
        ? 'SKIPPED (its signature does not verify; another item of the file does)'
        : safeText`FAILED (${listSome(failedChecks(r.checks, hintFlags), 10)})`;
  lines.push(safeText`  result:      ${result}`);
  return safeText`${joinText(lines, '\n')}\n`;
}

const HINT_METAVARS: Record<PolicyHint['expect'], string> = { 'source-uri': 'URI', 'builder-id': 'ID', 'public-key': 'PATH' };

/** A check's hint as the flags that would make it pass: `give --builder-id X (or --source-uri Y)`. */
export function hintFlags(hint: PolicyHint): string {
  const flag = (h: PolicyHint) => `--${h.expect} ${h.value ?? HINT_METAVARS[h.expect]}`;
  return `give ${flag(hint)}${hint.or ? ` (or ${flag(hint.or)})` : ''}`;
}

function withHint(c: ReportCheck): string {
  return c.hint && c.status === 'fail' ? `; ${hintFlags(c.hint)}` : '';
}

export function header(d: ProvenanceDocument, count: number): SafeText {
  return safeText`Provenance ${d.file}${count > 1 ? ` [statement ${d.index + 1} of ${count}]` : ''}: ${d.label.formDetail}`;
}

export function summaryLines(
  s: ProvenanceSummary,
  signer: SafeText | undefined,
  builder: SafeText | undefined,
  sourceFrom?: 'certificate' | 'predicate',
): SafeText[] {
  const lines = [
    safeText`  predicate:   ${s.predicateType}${s.unknownPredicate ? ' (not SLSA provenance: shown raw)' : ''}${s.buildType ? safeText` · buildType ${s.buildType}` : ''}`,
  ];
  const b = builder ?? s.builderId;
  if (b) lines.push(safeText`  builder:     ${b}`);
  if (s.sourceUri)
    lines.push(
      safeText`  source:      ${s.sourceUri}${s.sourceCommit ? safeText` @ ${s.sourceCommit}` : ''}${sourceFrom === 'predicate' ? ' (as the predicate claims)' : ''}`,
    );
  if (s.workflow)
    lines.push(
      safeText`  workflow:    ${[s.workflow.repository, s.workflow.path].filter(Boolean).join(' ')}${s.workflow.ref ? safeText` @ ${s.workflow.ref}` : ''}`,
    );
  if (s.run) lines.push(safeText`  run:         ${s.run.url ?? s.run.id ?? ''}${s.trigger ? safeText` (${s.trigger})` : ''}`);
  else if (s.trigger) lines.push(safeText`  trigger:     ${s.trigger}`);
  if (signer) lines.push(safeText`  signer:      ${signer}`);
  return lines;
}

export function signerOf(d: ProvenanceDocument): string | undefined {
  if (d.certificatePem) {
    try {
      const c = readCertificateClaims(d.certificatePem);
      return `${c.subjectAlternativeName}${c.issuer ? ` (${c.issuer})` : ''}`;
    } catch {
      return undefined;
    }
  }
  if (d.gcb?.keyId) return `key ${d.gcb.keyId}`;
  const hint = d.bundle?.verificationMaterial.publicKey?.hint;
  return hint ? `key ${hint}` : undefined;
}

export function mark(status: ReportCheck['status']): string {
  return { pass: 'ok  ', fail: 'FAIL', skip: 'skip', info: '--  ' }[status];
}

export function digestText(d: Record<string, string>): SafeText {
  return d.sha256
    ? safeText`sha256:${d.sha256}`
    : joinText(
        Object.entries(d).map(([k, v]) => safeText`${k}:${v}`),
        ' ',
      );
}

/** Pretty-printed JSON (our newlines, no raw control character in it), indented. */
export function indent(json: SafeText, n: number): SafeText {
  return lines(
    String(json)
      .split('\n')
      .map((l) => ownText(' '.repeat(n) + l)),
  );
}

// JSON.

export function documentJson(d: ProvenanceDocument): Record<string, unknown> {
  return {
    file: d.file,
    index: d.index,
    form: d.form,
    ...(d.bundle ? { mediaType: d.bundle.mediaType } : {}),
    ...(d.gcb ? { gcb: d.gcb } : {}),
    statement: d.statement,
  };
}

export function reportJson(r: ProvenanceReport): Record<string, unknown> {
  return {
    ok: r.ok,
    verdict: r.verdict,
    ...documentJson(r.document),
    summary: r.summary,
    signer: r.signer,
    ...(r.verifiedBuilderId ? { verifiedBuilderId: r.verifiedBuilderId } : {}),
    ...(r.sourceFrom ? { sourceFrom: r.sourceFrom } : {}),
    signature: r.signature,
    policy: r.policy satisfies PolicyCheck[],
    ...(r.modelRootDigest ? { modelRootDigest: r.modelRootDigest } : {}),
    subjects: r.subjects,
    ...(r.uncoveredFiles ? { uncoveredFiles: r.uncoveredFiles } : {}),
    checks: r.checks,
    ...(r.trustRoot ? { trustRoot: r.trustRoot } : {}),
    ...(r.warnings ? { warnings: r.warnings } : {}),
  };
}

export function fail(prefix: string, e: unknown): number {
  printFailure(prefix, e);
  return 1;
}

/** The first few names of a list, and how many more. */
export function listSome(names: readonly string[], shown = 5): string {
  return names.length <= shown ? names.join(', ') : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}
