// `model-signing provenance verify`: the signature, the builder and source
// policy, and the subjects against the model; the verdict is the core's.
import * as path from 'node:path';
import { SafeText, joinText, jsonText, safeText } from '../core/display';
import type { ProvenanceReport } from '../core/provenance/types';
import { failedChecks, fileVerdict } from '../core/provenance/verifying/verdict';
import { verifyProvenance } from '../core/provenance/verifying/verifyProvenance';
import { OptionSpecs, UsageError, formatHelp, parseArgs, printHelp } from './args';
import { REVISION, modelPathOf } from './modelPath';
import { fail, formatReport, hintFlags, listSome, reportJson } from './provenanceReport';
import { SIGNER_CLAIM_OPTIONS, hasClaimFlags, signerRuleFromFlags } from './signerFlags';
import { ProgressLine, err, out, terminal } from './terminal';

const VERIFY_OPTIONS: OptionSpecs = {
  provenance: {
    kind: 'string',
    required: true,
    metavar: 'FILE',
    help: 'The provenance: a Sigstore bundle (or one per line), a DSSE envelope or .intoto.jsonl, or gcloud --show-provenance JSON.',
  },
  'model-path': {
    kind: 'string',
    metavar: 'PATH',
    help: 'The model its subjects must match: a folder (an OMS signature of it inside left out), each subject by file name and sha256 (every file named) or the OMS root digest; a file, by sha256.',
  },
  'source-uri': { kind: 'string', metavar: 'URI', help: 'Expected source repository, e.g. github.com/org/repo.' },
  'source-tag': { kind: 'string', metavar: 'TAG', help: 'Expected source tag, e.g. v1.2.3.' },
  'source-versioned-tag': { kind: 'string', metavar: 'TAG', help: 'Expected semantic version of the source tag: v1, v1.2 or v1.2.3.' },
  'source-branch': { kind: 'string', metavar: 'BRANCH', help: 'Expected source branch, e.g. main.' },
  'builder-id': { kind: 'string', metavar: 'ID', help: 'Expected builder id (with or without @ref); for other signers, their certificate identity or key.' },
  'identity-provider': { kind: 'string', metavar: 'URL', help: 'Expected OIDC issuer of the signing certificate, compared exactly.' },
  ...SIGNER_CLAIM_OPTIONS,
  'trust-config': { kind: 'string', metavar: 'PATH', help: 'A Sigstore ClientTrustConfig JSON (default: the production trusted root, offline).' },
  'public-key': { kind: 'string', metavar: 'PATH', help: "A PEM public key, for key-signed provenance (Cloud Build's KMS key, attest with a key)." },
  'allow-incomplete': { kind: 'flag', help: 'Accept a certificate signature with no log entry or timestamp (its signing time unproven).' },
  'ignore-paths': { kind: 'multi', metavar: 'PATH', help: 'Files of the model to leave out (as for digest).' },
  'ignore-git-paths': { kind: 'switch', default: true, help: 'Leave out .git, .gitattributes, .github, .gitignore at the model root.' },
  ...REVISION,
  json: { kind: 'flag', help: 'Print every report as JSON on stdout.' },
};

export const verifyHelp = () =>
  formatHelp(
    'model-signing provenance verify [OPTIONS]',
    "Verify SLSA provenance: its signature (offline), the builder and source as slsa-verifier's flags mean them, and its subjects against the model.",
    VERIFY_OPTIONS,
  );

export async function verifyCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, VERIFY_OPTIONS);
  if (p.help) return printHelp(verifyHelp());
  if (p.args.length > 0) throw new UsageError(`Got unexpected extra argument (${p.args.join(' ')})`);
  for (const name of [
    'provenance',
    'model-path',
    'source-uri',
    'source-tag',
    'source-versioned-tag',
    'source-branch',
    'builder-id',
    'identity-provider',
    'trust-config',
    'public-key',
  ]) {
    if (p.strings[name] === '') throw new UsageError(`Invalid value for '--${name}': it is empty.`);
  }
  // The claim flags describe a keyless signer, whose issuer is always given.
  const signer = hasClaimFlags(p) ? signerRuleFromFlags(p, false) : undefined;
  const json = p.flags.json!;
  const allowIncomplete = p.flags['allow-incomplete']!;
  const progress = new ProgressLine(json ? undefined : terminal().stderr);
  let reports: ProvenanceReport[];
  try {
    reports = await verifyProvenance(p.strings.provenance!, {
      modelPath: p.strings['model-path'] === undefined ? undefined : modelPathOf(p.strings['model-path'], p),
      policy: {
        sourceUri: p.strings['source-uri'],
        sourceTag: p.strings['source-tag'],
        sourceVersionedTag: p.strings['source-versioned-tag'],
        sourceBranch: p.strings['source-branch'],
        builderId: p.strings['builder-id'],
        issuer: p.strings['identity-provider'],
        ...(signer ? { signer } : {}),
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
export function verifyOutput(
  reports: readonly ProvenanceReport[],
  { json, allowIncomplete }: { json: boolean; allowIncomplete: boolean },
): { stdout: SafeText; stderr: SafeText; code: number } {
  const warnings = [...new Set(reports.flatMap((r) => r.warnings ?? []))].map((w) => safeText`WARNING: ${w}\n`);
  const ok = fileVerdict(reports) === 'ok';
  const report = json
    ? safeText`${jsonText({ verified: ok, reports: reports.map(reportJson) }, 2)}\n`
    : joinText(
        reports.map((r) => formatReport(r, reports.length, allowIncomplete)),
        '\n',
      );
  if (ok) return { stdout: json ? report : safeText`${report}Provenance verification succeeded\n`, stderr: joinText(warnings, ''), code: 0 };
  const failedReports = reports.filter((r) => r.verdict === 'failed');
  const why = joinText(
    failedReports.map((r) => safeText`statement ${r.document.index + 1}: ${listSome(failedChecks(r.checks, hintFlags), 10)}`),
    ' | ',
  );
  const failure = safeText`Provenance verification failed: ${failedReports.length > 0 ? why : 'no statement verified'}\n`;
  return { stdout: report, stderr: joinText([...warnings, failure], ''), code: 1 };
}
