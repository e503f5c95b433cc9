// What the provenance panel shows, as plain JSON: the extension turns the core's reports into
// this and posts it to the webview, whose script (src/webview/provenance) only lays it out.
// Every decision about what may be a link is made here, and checked again by the script.
// Pure (no vscode), so it is unit-tested in plain Node.
import * as path from 'node:path';
import { displayDeep, jsonText } from '../core/display';
import type { ModelFormat } from '../core/formats/types';
import type { PolicyCheck, PolicyHint, ProvenanceReport, ReportCheck, SubjectMatch } from '../core/provenance/types';
import { failedChecks, fileVerdict } from '../core/provenance/verifying/verdict';
import type { LinkView, PolicyCheckView, ProvenanceView, SignatureView, StatementView, SubjectMark, SubjectView } from './provenanceMessages';

export type { LinkView, ProvenanceView, SignatureView, StatementView, SubjectMark, SubjectView };

export interface ViewContext {
  file: string;
  modelPath?: string;
  trust: string;
  checkedAt?: Date;
}

/** The URL itself when it is http(s), else nothing: `javascript:`, `data:`, `file:` stay text. */
export function safeUrl(candidate: string | undefined): string | undefined {
  if (!candidate) return undefined;
  try {
    const url = new URL(candidate);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export function link(text: string, url?: string): LinkView {
  const safe = safeUrl(url);
  return safe ? { text, url: safe } : { text };
}

/**
 * A repository page from how provenance names a source: `git+https://github.com/o/r@refs/tags/v1`,
 * `https://github.com/o/r`, `github.com/o/r`.
 */
export function repositoryUrl(sourceUri: string): string | undefined {
  let uri = sourceUri.trim().replace(/^git\+/, '');
  if (/^github\.com\//i.test(uri)) uri = `https://${uri}`;
  const at = uri.indexOf('@', uri.indexOf('://') + 3);
  if (at > 0) uri = uri.slice(0, at);
  return safeUrl(uri.replace(/\.git$/, ''));
}

/** GitHub's page for a commit of a repository page, when the repository is on GitHub. */
function commitUrl(repoUrl: string | undefined, commit: string): string | undefined {
  if (!repoUrl || !/^[0-9a-f]{7,64}$/i.test(commit)) return undefined;
  const url = new URL(repoUrl);
  return url.hostname === 'github.com' ? `${url.href.replace(/\/$/, '')}/commit/${commit}` : undefined;
}

const digestsOf = (digest: Record<string, string> | undefined) => Object.entries(digest ?? {}).map(([alg, hex]) => `${alg}:${hex}`);

/** "TorchScript, 3 tensors": the label and the facts that say most. */
export function formatSummary(format: ModelFormat): string {
  const f = format.facts;
  const parts = [format.label];
  for (const key of ['tensors', 'parameters', 'layers', 'nodes']) {
    const v = f[key];
    if (v !== undefined) parts.push(`${typeof v === 'number' ? v.toLocaleString('en-US') : v} ${v === 1 ? key.slice(0, -1) : key}`);
  }
  for (const key of ['model_class', 'class_name', 'architecture', 'dtypes']) {
    const v = f[key];
    if (v !== undefined && parts.length < 4) parts.push(String(v));
  }
  return parts.join(', ');
}

function subjectView(match: SubjectMatch, check: ReportCheck | undefined): SubjectView {
  const base = { name: match.subject.name, digests: digestsOf(match.subject.digest), files: match.files };
  const format =
    match.format && match.format.kind !== 'unknown'
      ? {
          label: match.format.label,
          summary: formatSummary(match.format),
          facts: Object.entries(match.format.facts).map(([k, v]): [string, string] => [k, String(v)]),
        }
      : undefined;
  const withFormat = format ? { ...base, format } : base;
  if (!check) return { ...withFormat, mark: 'unchecked', detail: 'Not checked against a model' };
  // The mark follows the check the verdict is made from; the detail is the core's own message.
  const detail = check.message.charAt(0).toUpperCase() + check.message.slice(1);
  if (check.status === 'pass') return { ...withFormat, mark: match.matchedBy === 'root-digest' ? 'root-digest' : 'file', detail };
  if (check.status !== 'fail') return { ...withFormat, mark: 'other-artifact', detail };
  return { ...withFormat, mark: match.changedFile !== undefined || match.changedModel ? 'changed' : 'none', detail };
}

function signatureView(report: ProvenanceReport): SignatureView {
  const s = report.signature;
  const label =
    s.status === 'verified'
      ? s.transparencyLog === 'present'
        ? 'Verified (logged in the transparency log)'
        : 'Verified'
      : s.status === 'incomplete'
        ? 'Incomplete: no transparency-log evidence'
        : `Failed: ${s.error?.message ?? 'the signature did not verify'}${withHint(report.checks.find((c) => c.kind === 'signature'))}`;
  const view: SignatureView = { status: s.status, label, method: s.method, claims: [], transparencyLog: s.transparencyLog };
  if (s.signedAt) view.signedAt = s.signedAt;
  if (s.keyId) view.keyId = s.keyId;
  const cert = s.certificate;
  if (cert) {
    view.identity = cert.subjectAlternativeName;
    if (cert.issuer) view.issuer = cert.issuer;
    view.validity = `${cert.notBefore} – ${cert.notAfter}`;
    view.claims = Object.entries(cert.claims)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]): [string, LinkView] => [k, link(v, /Uri$/.test(k) ? v : undefined)]);
  }
  return view;
}

function statementView(report: ProvenanceReport, position: number, total: number, modelChecked: boolean): StatementView {
  const subjectChecks = report.checks.filter((c) => c.kind === 'subject');
  const doc = report.document;
  const sum = report.summary;
  const place = doc.label.position;
  const where = place.always || total > 1 ? ` (${place.noun} ${doc.index + 1})` : '';
  const view: StatementView = {
    heading: total > 1 ? `Statement ${position + 1} of ${total}${where}` : `Statement${where}`,
    verdict: report.verdict,
    ok: report.verdict === 'ok',
    problems: failedChecks(report.checks, hintControls),
    warnings: report.warnings ?? [],
    form: doc.label.form,
    predicateType: sum.predicateType,
    statementType: doc.statement._type,
    unknownPredicate: sum.unknownPredicate === true,
    dependencies: sum.dependencies.map((d) => ({
      label: d.uri ? link(d.name ? `${d.name} (${d.uri})` : d.uri, d.uri.startsWith('git+') ? repositoryUrl(d.uri) : d.uri) : { text: d.name ?? '(unnamed)' },
      digests: digestsOf(d.digest),
    })),
    // Without a model the core matches nothing: list the statement's subjects, unchecked.
    subjects:
      report.subjects.length > 0 && modelChecked
        ? report.subjects.map((m, i) => subjectView(m, subjectChecks[i]))
        : doc.statement.subject.map((subject) => subjectView({ subject, matchedBy: 'none', files: [], status: 'failed' }, undefined)),
    signature: signatureView(report),
    policy: report.policy.map(policyCheckView),
    rawStatement: String(jsonText(doc.statement, 2)),
  };
  if (report.verdict === 'skipped') view.skippedReason = report.checks.find((c) => c.kind === 'signature')!.message;
  if (sum.buildType) view.buildType = sum.buildType;
  if (sum.builderId) view.builderId = sum.builderId;
  if (report.verifiedBuilderId) view.verifiedBuilderId = report.verifiedBuilderId;
  if (sum.sourceUri) {
    const repo = repositoryUrl(sum.sourceUri);
    view.source = { repository: link(sum.sourceUri, repo) };
    if (sum.sourceCommit) view.source.commit = link(sum.sourceCommit, commitUrl(repo, sum.sourceCommit));
    if (sum.sourceRef) view.source.ref = sum.sourceRef;
  }
  const wf = sum.workflow;
  if (wf?.path) {
    const repoUrl = wf.repository ? repositoryUrl(wf.repository) : undefined;
    const ghRepo = repoUrl && new URL(repoUrl).hostname === 'github.com' ? repoUrl : undefined;
    const text = `${wf.path}${wf.ref ? ` @ ${wf.ref}` : ''}`;
    view.workflow = link(text, ghRepo && wf.ref ? `${ghRepo}/blob/${wf.ref.replace(/^refs\/(heads|tags)\//, '')}/${wf.path.replace(/^\//, '')}` : undefined);
  }
  const run = sum.run;
  if (run?.id || run?.url) {
    const text = [run.id ? `run ${run.id}` : undefined, run.attempt ? `attempt ${run.attempt}` : undefined].filter(Boolean).join(', ') || (run.url ?? '');
    view.run = link(text, run.url);
  }
  if (sum.trigger) view.trigger = sum.trigger;
  if (sum.startedOn) view.startedOn = sum.startedOn;
  if (sum.finishedOn) view.finishedOn = sum.finishedOn;
  if (sum.parameters !== undefined) view.parameters = sum.parameters;
  if (sum.internalParameters !== undefined) view.internalParameters = sum.internalParameters;
  return view;
}

/**
 * What the page may show: every string of the view, keys of raw parameters included, escaped
 * with displayText (a bidi override or control character in a builder, a subject or a file name
 * would reorder or hide text even as textContent). The raw statement keeps its own newlines: it
 * is pretty-printed JSON with every such character written as an escape (jsonText).
 */
function displayView(view: ProvenanceView): ProvenanceView {
  return { ...displayDeep(view), statements: view.statements.map((st) => ({ ...displayDeep(st), rawStatement: st.rawStatement })) };
}

/** The panel's content for the reports of one provenance file. */
export function toProvenanceView(reports: ProvenanceReport[], ctx: ViewContext): ProvenanceView {
  const view: ProvenanceView = {
    file: ctx.file,
    fileName: path.basename(ctx.file),
    trust: ctx.trust,
    checkedAt: (ctx.checkedAt ?? new Date()).toISOString(),
    verdict: fileVerdict(reports),
    statements: reports.map((r, i) => statementView(r, i, reports.length, ctx.modelPath !== undefined)),
  };
  if (ctx.modelPath) view.modelPath = ctx.modelPath;
  const root = reports.find((r) => r.modelRootDigest)?.modelRootDigest;
  if (root) view.modelRootDigest = root;
  return displayView(view);
}

/** The panel's content when the file is not readable provenance. */
export function errorView(message: string, ctx: ViewContext): ProvenanceView {
  const view: ProvenanceView = {
    file: ctx.file,
    fileName: path.basename(ctx.file),
    trust: ctx.trust,
    checkedAt: (ctx.checkedAt ?? new Date()).toISOString(),
    error: message,
    verdict: 'failed',
    statements: [],
  };
  if (ctx.modelPath) view.modelPath = ctx.modelPath;
  return displayView(view);
}

const HINT_SETTINGS: Record<PolicyHint['expect'], string> = {
  'source-uri': 'the expected source',
  'builder-id': 'the expected builder',
  'public-key': 'its public key',
};

/**
 * A check's hint as this panel's own controls, never as CLI flags: the person reading it has the buttons, not a
 * terminal. "set the expected builder to X with Expected Source and Builder… (or the expected source to Y)".
 */
export function hintControls(hint: PolicyHint): string {
  const setting = (h: PolicyHint) => `${HINT_SETTINGS[h.expect]}${h.value ? ` to ${h.value}` : ''}`;
  const control = hint.expect === 'public-key' ? 'Verify With a Public Key…' : 'Expected Source and Builder…';
  return `${hint.expect === 'public-key' ? 'choose' : 'set'} ${setting(hint)} with ${control}${hint.or ? ` (or ${setting(hint.or)})` : ''}`;
}

function withHint(c: Pick<ReportCheck, 'hint'> | undefined): string {
  return c?.hint ? `; ${hintControls(c.hint)}` : '';
}

function policyCheckView({ hint, ...c }: PolicyCheck): PolicyCheckView {
  return { ...c, message: `${c.message}${c.ok ? '' : withHint({ hint })}` };
}
