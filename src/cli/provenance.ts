// `model-signing provenance verify|show`, in a bundle of its own (dist/provenance.js):
// it needs the Sigstore stack, which dist/cli.js loads only for the commands that use it.
// Usage errors are handled here (exit 2): this bundle has its own copy of args.ts,
// so main.ts's `instanceof UsageError` would not see them.
import * as path from 'node:path';
import { SafeText, joinText, jsonText, ownText, safeText } from '../core/display';
import { readProvenanceFile } from '../core/provenance/reading/provenanceFile';
import { readCertificateClaims } from '../core/provenance/reading/certificateClaims';
import { summarizeProvenance } from '../core/provenance/reading/summary';
import type { PolicyCheck, ProvenanceDocument, ProvenanceReport, ProvenanceSummary, ReportCheck } from '../core/provenance/types';
import { failedChecks, fileVerdict } from '../core/provenance/verifying/verdict';
import { verifyProvenance } from '../core/provenance/verifying/verifyProvenance';
import { OptionSpecs, UsageError, formatHelp, parseArgs, printHelp, usage } from './args';
import { printFailure } from './report';
import { ProgressLine, err, lines, out, outJson } from './terminal';

const VERIFY_OPTIONS: OptionSpecs = {
  provenance: { kind: 'string', required: true, metavar: 'FILE', help: 'The provenance: a Sigstore bundle (or one per line), a DSSE envelope or .intoto.jsonl, or gcloud --show-provenance JSON.' },
  'model-path': { kind: 'string', metavar: 'PATH', help: 'The model its subjects must match: a folder, each subject by file name and sha256 (every file named) or the OMS root digest; a file, by sha256.' },
  'source-uri': { kind: 'string', metavar: 'URI', help: 'Expected source repository, e.g. github.com/org/repo.' },
  'source-tag': { kind: 'string', metavar: 'TAG', help: 'Expected source tag, e.g. v1.2.3.' },
  'source-versioned-tag': { kind: 'string', metavar: 'TAG', help: 'Expected semantic version of the source tag: v1, v1.2 or v1.2.3.' },
  'source-branch': { kind: 'string', metavar: 'BRANCH', help: 'Expected source branch, e.g. main.' },
  'builder-id': { kind: 'string', metavar: 'ID', help: 'Expected builder id (with or without @ref); for other signers, their certificate identity or key.' },
  'identity-provider': { kind: 'string', metavar: 'URL', help: 'Expected OIDC issuer of the signing certificate, compared exactly.' },
  'trust-config': { kind: 'string', metavar: 'PATH', help: 'A Sigstore ClientTrustConfig JSON (default: the production trusted root, offline).' },
  'public-key': { kind: 'string', metavar: 'PATH', help: 'A PEM public key, for key-signed provenance (Cloud Build\'s KMS key, attest with a key).' },
  'allow-incomplete': { kind: 'flag', help: 'Accept a certificate signature with no log entry or timestamp (its signing time unproven).' },
  'ignore-paths': { kind: 'multi', metavar: 'PATH', help: 'Files of the model to leave out (as for digest).' },
  'ignore-git-paths': { kind: 'switch', default: true, help: 'Leave out .git, .gitattributes, .github, .gitignore at the model root.' },
  json: { kind: 'flag', help: 'Print every report as JSON on stdout.' },
};

const SHOW_OPTIONS: OptionSpecs = {
  json: { kind: 'flag', help: 'Print the statements as JSON on stdout.' },
};

const GROUP_HELP = `Usage: model-signing provenance COMMAND [ARGS]...

  Read and verify SLSA provenance for a model.

Commands:
  verify  Verify provenance: signature, builder and source policy, subjects against the model.
  show    Show what a provenance file says (not verified).
`;

/** Runs `provenance …` and returns the exit code: 0 ok, 1 failed or bad input, 2 usage error. */
export async function provenanceCommand(argv: string[]): Promise<number> {
  const sub = argv[0];
  try {
    if (sub === 'verify') return await verifyCommand(argv.slice(1));
    if (sub === 'show') return await showCommand(argv.slice(1));
    if (sub === '-h' || sub === '--help') {
      out(ownText(GROUP_HELP));
      return 0;
    }
    return usage(GROUP_HELP, sub === undefined ? 'Missing command.' : `No such command '${sub}'.`, 'model-signing provenance');
  } catch (e) {
    if (e instanceof UsageError) return usage(sub === 'verify' ? verifyHelp() : sub === 'show' ? showHelp() : GROUP_HELP, e.message, 'model-signing provenance');
    throw e;
  }
}

const verifyHelp = () => formatHelp('model-signing provenance verify [OPTIONS]', 'Verify SLSA provenance: its signature (offline), the builder and source as slsa-verifier\'s flags mean them, and its subjects against the model.', VERIFY_OPTIONS);
const showHelp = () => formatHelp('model-signing provenance show [OPTIONS] FILE', 'Show the statements of a provenance file: builder, source, run, subjects, signer (not verified).', SHOW_OPTIONS);

async function verifyCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, VERIFY_OPTIONS);
  if (p.help) return printHelp(verifyHelp());
  if (p.args.length > 0) throw new UsageError(`Got unexpected extra argument (${p.args.join(' ')})`);
  for (const name of ['provenance', 'model-path', 'source-uri', 'source-tag', 'source-versioned-tag', 'source-branch', 'builder-id', 'identity-provider', 'trust-config', 'public-key']) {
    if (p.strings[name] === '') throw new UsageError(`Invalid value for '--${name}': it is empty.`);
  }
  const json = p.flags.json!;
  const allowIncomplete = p.flags['allow-incomplete']!;
  const progress = new ProgressLine(json ? undefined : process.stderr);
  let reports: ProvenanceReport[];
  try {
    reports = await verifyProvenance(p.strings.provenance!, {
      modelPath: p.strings['model-path'],
      policy: {
        sourceUri: p.strings['source-uri'],
        sourceTag: p.strings['source-tag'],
        sourceVersionedTag: p.strings['source-versioned-tag'],
        sourceBranch: p.strings['source-branch'],
        builderId: p.strings['builder-id'],
        issuer: p.strings['identity-provider'],
      },
      trustConfigPath: p.strings['trust-config'],
      publicKeyPath: p.strings['public-key'],
      allowIncomplete: p.flags['allow-incomplete'],
      ignorePaths: p.multis['ignore-paths']!.map((x) => path.resolve(x)),
      ignoreGitPaths: p.flags['ignore-git-paths'],
      onProgress: (done, total) => progress.update({ bytesDone: done, bytesTotal: total, filesTotal: 0 }),
    });
  } catch (e) {
    progress.done();
    return fail('Provenance verification failed with error: ', e);
  }
  progress.done();
  const result = verifyOutput(reports, { json, allowIncomplete });
  err(result.stderr);
  out(result.stdout);
  return result.code;
}

/** What `provenance verify` prints for its reports, and its exit code; the verdict is the core's (fileVerdict). */
export function verifyOutput(reports: readonly ProvenanceReport[], { json, allowIncomplete }: { json: boolean; allowIncomplete: boolean }): { stdout: SafeText; stderr: SafeText; code: number } {
  const warnings = [...new Set(reports.flatMap((r) => r.warnings ?? []))].map((w) => safeText`WARNING: ${w}\n`);
  const ok = fileVerdict(reports) === 'ok';
  const report = json
    ? safeText`${jsonText({ verified: ok, reports: reports.map(reportJson) }, 2)}\n`
    : joinText(reports.map((r) => formatReport(r, reports.length, allowIncomplete)), '\n');
  if (ok) return { stdout: json ? report : safeText`${report}Provenance verification succeeded\n`, stderr: joinText(warnings, ''), code: 0 };
  const failedReports = reports.filter((r) => r.verdict === 'failed');
  const why = joinText(failedReports.map((r) => safeText`statement ${r.document.index + 1}: ${listSome(failedChecks(r.checks), 10)}`), ' | ');
  const failure = safeText`Provenance verification failed: ${failedReports.length > 0 ? why : 'no statement verified'}\n`;
  return { stdout: report, stderr: joinText([...warnings, failure], ''), code: 1 };
}

async function showCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, SHOW_OPTIONS);
  if (p.help) return printHelp(showHelp());
  if (p.args.length === 0) throw new UsageError("Missing argument 'FILE'.");
  if (p.args.length > 1) throw new UsageError(`Got unexpected extra argument (${p.args.slice(1).join(' ')})`);
  let docs: ProvenanceDocument[];
  try {
    docs = await readProvenanceFile(p.args[0]!);
  } catch (e) {
    return fail('Reading provenance failed with error: ', e);
  }
  const shown = docs.map((d) => ({ document: d, summary: summarizeProvenance(d.statement), signer: signerOf(d) }));
  if (p.flags.json) {
    outJson({
      statements: shown.map(({ document, summary, signer }) => ({ ...documentJson(document), summary, ...(signer ? { signer } : {}), verified: false })),
    });
    return 0;
  }
  for (const { document, summary, signer } of shown) {
    out(safeText`${header(document, docs.length)}\n`);
    out(safeText`${lines(summaryLines(summary, signer ? safeText`${signer} (not verified)` : safeText`not verified`, undefined))}\n`);
    for (const s of document.statement.subject) out(safeText`  subject:     ${s.name || '(no name)'}  ${digestText(s.digest)}\n`);
    if (summary.unknownPredicate) out(safeText`  predicate (raw):\n${indent(jsonText(document.statement.predicate, 2), 4)}\n`);
    out(safeText`\n`);
  }
  out(safeText`Not verified: use \`model-signing provenance verify\` to check the signature, builder, source and subjects.\n`);
  return 0;
}

// ---------------------------------------------------------------------------
// Human output: one line per fact, check and subject
// ---------------------------------------------------------------------------

function formatReport(r: ProvenanceReport, count: number, allowIncomplete: boolean): SafeText {
  const lines: SafeText[] = [header(r.document, count)];
  const builder = r.verifiedBuilderId ? safeText`${r.verifiedBuilderId} (verified)` : r.summary.builderId ? safeText`${r.summary.builderId} (claimed by the predicate, not verified)` : undefined;
  lines.push(...summaryLines(r.summary, r.signer === undefined ? undefined : safeText`${r.signer}`, builder, r.sourceFrom));
  // Every mark comes from the report's checks, the verdict's only input: no FAIL line under an OK.
  const sigCheck = r.checks.find((c) => c.kind === 'signature')!;
  const sig = r.signature;
  const sigText = sigCheck.status === 'skip'
    ? safeText`${sigCheck.message}`
    : sig.status === 'verified'
      ? safeText`verified (${sig.method}${sig.signedAt ? safeText`, signed at ${sig.signedAt}` : ''}${sig.transparencyLog === 'present' ? ', logged in Rekor' : ''})`
      : sig.status === 'incomplete'
        ? safeText`incomplete: signature and certificate chain hold, but no log entry or timestamp proves when it was signed${allowIncomplete ? ' (accepted: --allow-incomplete)' : ' (pass --allow-incomplete to accept)'}`
        : safeText`FAILED: ${sig.error?.message ?? 'unknown error'}`;
  lines.push(safeText`  signature:   ${sigText}`);
  for (const s of sig.steps ?? []) lines.push(safeText`    ${mark(s.status === 'ok' ? 'pass' : s.status === 'absent' ? 'info' : sigCheck.status)} ${s.name}${s.detail ? safeText`: ${s.detail}` : ''}`);
  for (const c of r.checks) if (c.kind === 'policy') lines.push(safeText`  ${mark(c.status)} ${c.name}: ${c.message}`);
  if (r.verdict !== 'skipped') {
    if (r.modelRootDigest) lines.push(safeText`  model:       root digest ${r.modelRootDigest}`);
    else lines.push(safeText`  model:       not given: the ${r.document.statement.subject.length} subject(s) were not checked against any files (--model-path)`);
  }
  const subjectChecks = r.checks.filter((c) => c.kind === 'subject');
  r.subjects.forEach((s, i) => {
    const c = subjectChecks[i]!;
    lines.push(safeText`  ${mark(c.status)} subject ${s.subject.name || '(no name)'}: ${digestText(s.subject.digest)}${c.status === 'pass' ? ' ' : ': '}${c.message}${s.format ? safeText` [${s.format.label}]` : ''}`);
  });
  for (const c of r.checks) if (c.kind === 'file') lines.push(safeText`  ${mark(c.status)} file ${c.name}: ${c.message}`);
  const result = r.verdict === 'ok' ? 'OK' : r.verdict === 'skipped' ? 'SKIPPED (its signature does not verify; another item of the file does)' : safeText`FAILED (${listSome(failedChecks(r.checks), 10)})`;
  lines.push(safeText`  result:      ${result}`);
  return safeText`${joinText(lines, '\n')}\n`;
}

function header(d: ProvenanceDocument, count: number): SafeText {
  const form = d.form === 'sigstore-bundle' ? safeText`Sigstore bundle ${d.bundle?.mediaType ?? ''}` : d.form === 'gcb' ? 'Cloud Build (gcloud --show-provenance)' : 'DSSE envelope';
  return safeText`Provenance ${d.file}${count > 1 ? ` [statement ${d.index + 1} of ${count}]` : ''}: ${form}`;
}

function summaryLines(s: ProvenanceSummary, signer: SafeText | undefined, builder: SafeText | undefined, sourceFrom?: 'certificate' | 'predicate'): SafeText[] {
  const lines = [safeText`  predicate:   ${s.predicateType}${s.unknownPredicate ? ' (not SLSA provenance: shown raw)' : ''}${s.buildType ? safeText` · buildType ${s.buildType}` : ''}`];
  const b = builder ?? s.builderId;
  if (b) lines.push(safeText`  builder:     ${b}`);
  if (s.sourceUri) lines.push(safeText`  source:      ${s.sourceUri}${s.sourceCommit ? safeText` @ ${s.sourceCommit}` : ''}${sourceFrom === 'predicate' ? ' (as the predicate claims)' : ''}`);
  if (s.workflow) lines.push(safeText`  workflow:    ${[s.workflow.repository, s.workflow.path].filter(Boolean).join(' ')}${s.workflow.ref ? safeText` @ ${s.workflow.ref}` : ''}`);
  if (s.run) lines.push(safeText`  run:         ${s.run.url ?? s.run.id ?? ''}${s.trigger ? safeText` (${s.trigger})` : ''}`);
  else if (s.trigger) lines.push(safeText`  trigger:     ${s.trigger}`);
  if (signer) lines.push(safeText`  signer:      ${signer}`);
  return lines;
}

function signerOf(d: ProvenanceDocument): string | undefined {
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

function mark(status: ReportCheck['status']): string {
  return { pass: 'ok  ', fail: 'FAIL', skip: 'skip', info: '--  ' }[status];
}

function digestText(d: Record<string, string>): SafeText {
  return d.sha256 ? safeText`sha256:${d.sha256}` : joinText(Object.entries(d).map(([k, v]) => safeText`${k}:${v}`), ' ');
}

/** Pretty-printed JSON (our newlines, no raw control character in it), indented. */
function indent(json: SafeText, n: number): SafeText {
  return lines(String(json).split('\n').map((l) => ownText(' '.repeat(n) + l)));
}

// ---------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------

function documentJson(d: ProvenanceDocument): Record<string, unknown> {
  return {
    file: d.file,
    index: d.index,
    form: d.form,
    ...(d.bundle ? { mediaType: d.bundle.mediaType } : {}),
    ...(d.gcb ? { gcb: d.gcb } : {}),
    statement: d.statement,
  };
}

function reportJson(r: ProvenanceReport): Record<string, unknown> {
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

// ---------------------------------------------------------------------------

function fail(prefix: string, e: unknown): number {
  printFailure(prefix, e);
  return 1;
}

/** The first few names of a list, and how many more. */
function listSome(names: readonly string[], shown = 5): string {
  return names.length <= shown ? names.join(', ') : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}
