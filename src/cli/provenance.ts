// `model-signing provenance verify|show`, in a bundle of its own (dist/provenance.js):
// it needs the Sigstore stack, which dist/cli.js loads only for the commands that use it.
// Usage errors are handled here (exit 2): this bundle has its own copy of args.ts,
// so main.ts's `instanceof UsageError` would not see them.
import * as path from 'node:path';
import { SafeText, joinText, jsonText, ownText, safeText } from '../core/display';
import { readProvenanceFile } from '../core/provenance/provenanceFile';
import { readCertificateClaims } from '../core/provenance/certificateClaims';
import { summarizeProvenance } from '../core/provenance/summary';
import type { PolicyCheck, ProvenanceDocument, ProvenanceReport, ProvenanceSummary, SubjectMatch } from '../core/provenance/types';
import { verifyProvenance } from '../core/provenance/verifyProvenance';
import { OptionSpecs, UsageError, formatHelp, parseArgs, printHelp, usage } from './args';
import { printFailure } from './report';
import { ProgressLine, err, lines, out, outJson } from './terminal';

const VERIFY_OPTIONS: OptionSpecs = {
  provenance: { kind: 'string', required: true, metavar: 'FILE', help: 'The provenance: a Sigstore bundle (or one per line), a DSSE envelope or .intoto.jsonl, or gcloud --show-provenance JSON.' },
  'model-path': { kind: 'string', metavar: 'PATH', help: 'The model folder or file its subjects must match (by file sha256, or the OMS root digest).' },
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
  const warnings = [...new Set(reports.flatMap((r) => r.warnings ?? []))];
  warnings.forEach((w) => err(safeText`WARNING: ${w}\n`));
  const ok = reports.every((r) => r.ok);
  if (json) {
    outJson({ verified: ok, reports: reports.map(reportJson) });
  } else {
    out(joinText(reports.map((r) => formatReport(r, reports.length, allowIncomplete)), '\n'));
  }
  if (ok) {
    if (!json) out(safeText`Provenance verification succeeded\n`);
    return 0;
  }
  const failedReports = reports.filter((r) => !r.ok);
  err(safeText`Provenance verification failed: ${joinText(failedReports.map((r) => safeText`statement ${r.document.index + 1}: ${joinText(problems(r, allowIncomplete), '; ')}`), ' | ')}\n`);
  return 1;
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
  const sig = r.signature;
  const sigText = sig.status === 'verified'
    ? safeText`verified (${sig.method}${sig.signedAt ? safeText`, signed at ${sig.signedAt}` : ''}${sig.transparencyLog === 'present' ? ', logged in Rekor' : ''})`
    : sig.status === 'incomplete'
      ? safeText`incomplete: signature and certificate chain hold, but no log entry or timestamp proves when it was signed${allowIncomplete ? ' (accepted: --allow-incomplete)' : ' (pass --allow-incomplete to accept)'}`
      : safeText`FAILED: ${sig.error?.message ?? 'unknown error'}`;
  lines.push(safeText`  signature:   ${sigText}`);
  for (const s of sig.steps ?? []) lines.push(safeText`    ${mark(s.status === 'ok', s.status)} ${s.name}${s.detail ? safeText`: ${s.detail}` : ''}`);
  for (const c of r.policy) lines.push(safeText`  ${mark(c.ok)} ${c.name}: ${c.message}`);
  if (r.modelRootDigest) lines.push(safeText`  model:       root digest ${r.modelRootDigest}`);
  else lines.push(safeText`  model:       not given: the ${r.document.statement.subject.length} subject(s) were not checked against any files (--model-path)`);
  for (const s of r.subjects) lines.push(safeText`  ${mark(s.matchedBy !== 'none' && !s.changedFile && !s.changedModel)} subject ${s.subject.name || '(no name)'}: ${subjectText(s)}`);
  lines.push(safeText`  result:      ${r.ok ? 'OK' : safeText`FAILED (${joinText(problems(r, allowIncomplete), '; ')})`}`);
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

function subjectText(s: SubjectMatch): SafeText {
  const digest = digestText(s.subject.digest);
  const format = s.format ? safeText` [${s.format.label}]` : '';
  if (s.matchedBy === 'root-digest') return safeText`${digest} is the model's root digest (the whole model)`;
  if (s.matchedBy === 'file') return safeText`${digest} matches ${s.files.join(', ')}${format}`;
  if (s.changedFile) return safeText`${digest}: the model's ${s.changedFile} has another digest (changed file)${format}`;
  if (s.changedModel) return safeText`${digest}: names the model, whose root digest is now another (files added, removed or changed)`;
  return safeText`${digest}: no file of the model has this digest`;
}

function problems(r: ProvenanceReport, allowIncomplete: boolean): SafeText[] {
  const out: SafeText[] = [];
  if (r.signature.status === 'failed') out.push(safeText`signature: ${r.signature.error?.message ?? 'failed'}`);
  if (r.signature.status === 'incomplete' && !allowIncomplete) out.push(safeText`signature incomplete: no log entry or timestamp proves when it was signed`);
  for (const c of r.policy) if (!c.ok) out.push(safeText`${c.name}: ${c.message}`);
  if (r.modelRootDigest !== undefined) {
    for (const s of r.subjects) if (s.changedFile) out.push(safeText`changed file ${s.changedFile}`);
    if (r.subjects.some((s) => s.changedModel)) out.push(safeText`the model changed: its root digest is not the one in the provenance`);
    if (!r.subjects.some((s) => s.matchedBy !== 'none')) out.push(safeText`no subject matches the model`);
    const uncovered = r.uncoveredFiles ?? [];
    if (uncovered.length > 0) out.push(safeText`not covered by any subject: ${listSome(uncovered)}`);
  }
  return out;
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

function mark(ok: boolean, status?: string): string {
  if (status === 'absent') return '--  ';
  return ok ? 'ok  ' : 'FAIL';
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
    ...documentJson(r.document),
    summary: r.summary,
    signer: r.signer,
    ...(r.verifiedBuilderId ? { verifiedBuilderId: r.verifiedBuilderId } : {}),
    ...(r.sourceFrom ? { sourceFrom: r.sourceFrom } : {}),
    signature: r.signature,
    policy: r.policy satisfies PolicyCheck[],
    ...(r.modelRootDigest ? { modelRootDigest: r.modelRootDigest } : {}),
    subjects: r.subjects,
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
