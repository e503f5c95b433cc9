// The verdict on a provenance statement, and on a whole file, made in this one
// place from the list of checks that the CLI (human and --json) and the
// provenance viewer show: no line can say FAIL while the verdict says OK.
import type { PolicyCheck, PolicyHint, ProvenanceSignatureCheck, ReportCheck, ReportVerdict, SubjectMatch } from '../types';

export interface CheckInputs {
  signature: ProvenanceSignatureCheck;
  /** Accept a signature with no proof of its time ('incomplete'). */
  allowIncomplete?: boolean;
  /** A Cloud Build item whose signature did not verify while another item's did: left out, not failed. */
  skipped?: boolean;
  policy: readonly PolicyCheck[];
  subjects: readonly SubjectMatch[];
  uncoveredFiles: readonly string[];
  /** The model is one file: subjects match it by digest alone. */
  singleFile?: boolean;
  /** The model's files and their sha256, to say which subject an uncovered file's content is. */
  fileDigests?: ReadonlyMap<string, string>;
}

/** Every check of one statement, in the order they are shown. */
export function reportChecks(input: CheckInputs): ReportCheck[] {
  const signature = signatureCheck(input);
  // A skipped item's statement is not trusted, so nothing in it is checked.
  if (input.skipped) return [signature];
  const checks: ReportCheck[] = [signature];
  for (const c of input.policy)
    checks.push({ kind: 'policy', name: c.name, status: c.ok ? 'pass' : 'fail', message: c.message, ...(c.hint ? { hint: c.hint } : {}) });
  for (const s of input.subjects) checks.push({ kind: 'subject', name: s.subject.name, status: subjectStatus(s), message: subjectMessage(s) });
  const subjectsByDigest = new Map<string, Set<string>>();
  for (const { subject } of input.subjects) {
    const sha256 = subject.digest.sha256?.toLowerCase();
    if (sha256 === undefined) continue;
    const names = subjectsByDigest.get(sha256) ?? new Set<string>();
    subjectsByDigest.set(sha256, names.add(subject.name));
  }
  for (const f of input.uncoveredFiles) {
    const same = input.singleFile ? [] : [...(subjectsByDigest.get(input.fileDigests?.get(f) ?? '') ?? [])];
    checks.push({ kind: 'file', name: f, status: 'fail', message: uncoveredMessage(same, input.singleFile) });
  }
  return checks;
}

/** 'failed' when any check fails (or none passes), 'skipped' when the statement was left out, else 'ok'. */
export function verdictOf(checks: readonly ReportCheck[]): ReportVerdict {
  if (checks.some((c) => c.status === 'fail')) return 'failed';
  if (checks.some((c) => c.status === 'skip')) return 'skipped';
  return checks.some((c) => c.status === 'pass') ? 'ok' : 'failed';
}

/** A file's verdict: no statement failed and at least one is ok (skipped ones count for neither). */
export function fileVerdict(reports: ReadonlyArray<{ verdict: ReportVerdict }>): 'ok' | 'failed' {
  return reports.some((r) => r.verdict === 'ok') && !reports.some((r) => r.verdict === 'failed') ? 'ok' : 'failed';
}

/** How a shell names what a hint asks for: the CLI as its flags, the viewer as its controls. */
export type HintText = (hint: PolicyHint) => string;

/** Why a statement does not pass: each failed check, in one line, with its hint as `hintText` words it. */
export function failedChecks(checks: readonly ReportCheck[], hintText: HintText): string[] {
  return checks.filter((c) => c.status === 'fail').map((c) => describeCheck(c, hintText));
}

/** A check in one line: "signature: …", "builder-id: …", "subject config.json: …", "file x.json: …". */
export function describeCheck(c: ReportCheck, hintText: HintText): string {
  const text = `${c.message}${c.hint ? `; ${hintText(c.hint)}` : ''}`;
  return c.kind === 'signature' || c.kind === 'policy' ? `${c.name}: ${text}` : `${c.kind} ${c.name}: ${text}`;
}

function signatureCheck({ signature: s, allowIncomplete, skipped }: CheckInputs): ReportCheck {
  const base = { kind: 'signature' as const, name: 'signature' };
  if (skipped)
    return { ...base, status: 'skip', message: `skipped: ${s.error?.message ?? 'it did not verify'} (another provenance item of the file verifies)` };
  if (s.status === 'verified') return { ...base, status: 'pass', message: 'verified' };
  if (s.status === 'incomplete') {
    return allowIncomplete
      ? { ...base, status: 'pass', message: 'incomplete (no log entry or timestamp proves when it was signed), accepted as asked' }
      : { ...base, status: 'fail', message: 'incomplete: no log entry or timestamp proves when it was signed' };
  }
  const hint: PolicyHint | undefined = s.error?.code === 'PUBLIC_KEY_REQUIRED' ? { expect: 'public-key' } : undefined;
  return { ...base, status: 'fail', message: s.error?.message ?? 'it did not verify', ...(hint ? { hint } : {}) };
}

function subjectStatus(s: SubjectMatch): ReportCheck['status'] {
  return s.status === 'ok' ? 'pass' : s.status === 'failed' ? 'fail' : 'info';
}

function subjectMessage(s: SubjectMatch): string {
  if (s.matchedBy === 'root-digest') return "is the model's root digest (the whole model)";
  if (s.matchedBy === 'file') return `matches ${s.files.join(', ')}`;
  const elsewhere = s.sameContent?.length ? `; its content is at ${s.sameContent.join(', ')} (renamed or copied)` : '';
  if (s.changedFile !== undefined) return `the model's ${s.changedFile} has another digest (changed file)${elsewhere}`;
  if (s.status === 'other-artifact') return 'another artifact: the model file has another digest';
  if (s.changedModel) return 'names the model, but the model changed: its root digest is now another (files added, removed or changed)';
  if (s.subject.digest.sha256 === undefined) return 'no sha256 digest to check it by';
  return s.sameContent?.length ? `no file of this name${elsewhere}` : "no file of this name, and it is not the model's root digest (missing)";
}

function uncoveredMessage(same: readonly string[], singleFile?: boolean): string {
  if (singleFile) return 'no subject has its digest';
  return same.length > 0 ? `named by no subject; it has the content of ${same.join(', ')}` : 'covered by no subject (added after the build?)';
}
