// `model-signing hub verify|download`: a model on the Hugging Face Hub checked against its signature
// from the Hub's listing, before (or while) anything large is downloaded.
import { SafeText, safeText } from '../core/display';
import { HubClient } from '../core/hub/hubClient';
import { parseHubRepo } from '../core/hub/hubRepo';
import { hubSettingsFromEnv } from '../core/hub/hubSettings';
import { DEFAULT_HUB_SIGNATURE, HubStep, HubVerificationResult, VerifyHubModelOptions, verifyHubModel } from '../core/hub/verifyHubModel';
import { isMethodId } from '../core/methods/registry';
import { OptionSpecs, Parsed, UsageError, formatHelp, parseArgs, printHelp, usage } from './args';
import type { CommandRunner } from './attest';
import { makeVerifier } from './methods';
import { REFERENCE_METHODS, VERIFY_OPTIONS } from './options';
import { printMismatch, toJson } from './report';
import { err, lines, out, outJson } from './terminal';

const HUB_HELP = `Usage: model-signing hub COMMAND [ARGS]...

  Check a model on the Hugging Face Hub against its signature (model.sig in the same repository).
  The endpoint and token are found as huggingface_hub finds them: HF_ENDPOINT, HF_TOKEN, the token file of \`hf auth login\`.

Commands:
  verify    Check a model from the Hub's listing, without downloading its large files.
`;

/** The verify flags of a method, with the signature's path in the repository (default model.sig) and no local-only flags. */
function hubVerifyOptions(method: Parameters<typeof makeVerifier>[0]): OptionSpecs {
  const specs: OptionSpecs = {
    ...VERIFY_OPTIONS[method],
    signature: { kind: 'string', metavar: 'PATH_IN_REPO', default: DEFAULT_HUB_SIGNATURE, help: 'The signature file, as a path in the repository.' },
    'ignore-paths': { kind: 'multi', metavar: 'PATH_IN_REPO', help: 'Repository paths to leave out.' },
  };
  delete specs['allow-symlinks'];
  return specs;
}

export async function hubCommand(argv: string[], run: CommandRunner): Promise<number> {
  const sub = argv.shift();
  try {
    if (sub === 'verify') return await hubVerifyCommand(argv, run);
    if (sub === undefined || sub === '-h' || sub === '--help') return printHelp(HUB_HELP);
    return usage(HUB_HELP, `No such command '${sub}'.`, 'model-signing hub');
  } catch (e) {
    if (e instanceof UsageError) return usage(HUB_HELP, e.message, 'model-signing hub');
    throw e;
  }
}

async function hubVerifyCommand(argv: string[], run: CommandRunner): Promise<number> {
  const method = isMethodId(argv[0]) || REFERENCE_METHODS.includes(argv[0] ?? '') ? argv.shift()! : 'sigstore';
  if (!isMethodId(method)) {
    err(safeText`Verification failed with error: PKCS#11 tokens are not supported; use the key, certificate or sigstore method\n`);
    return 1;
  }
  const specs = hubVerifyOptions(method);
  const p = parseArgs(argv, specs);
  if (p.help) {
    return printHelp(
      formatHelp(
        `model-signing hub verify ${method} [OPTIONS] ORG/NAME[@REVISION]`,
        "Resolve the revision to a commit (printed), read the signature from it, and compare the signed files with the Hub's listing: files in LFS/Xet storage by the sha256 it lists, small files kept in git by their bytes. Nothing large is downloaded.",
        specs,
      ),
    );
  }
  const repo = oneRepo(p);
  const json = p.flags.json!;
  return run(
    'Verification failed with error: ',
    async () => {
      const { value: verifier, trust, warnings, afterVerify } = await makeVerifier(method, p);
      const { result } = await verifyHubModel({ ...hubOptions(p, parseHubRepo(repo)), verifier, onStep: json ? undefined : printStep });
      const more = afterVerify?.(result, json) ?? [];
      const all = [...warnings, ...result.warnings, ...more];
      for (const w of all) err(safeText`WARNING: ${w}\n`);
      if (json) outJson({ ...toJson({ ...result, warnings: all }, trust), hub: hubJson(result) });
      else out(checkedLines(result));
      if (!result.ok) {
        printMismatch(result);
        return 1;
      }
      if (!json) out(safeText`Verification succeeded\n`);
      return 0;
    },
    json,
  );
}

/** The repository argument, read (and refused with exit code 1) inside the command's run. */
function oneRepo(p: Parsed): string {
  if (p.args.length === 0) throw new UsageError("Missing argument 'ORG/NAME[@REVISION]'.");
  if (p.args.length > 1) throw new UsageError(`Got unexpected extra argument (${p.args.slice(1).join(' ')})`);
  return p.args[0]!;
}

/** The options every hub command shares; the client's settings come from the environment, as huggingface_hub's do. */
function hubOptions(p: Parsed, ref: ReturnType<typeof parseHubRepo>): Omit<VerifyHubModelOptions, 'verifier'> {
  return {
    client: new HubClient(hubSettingsFromEnv()),
    ref,
    signaturePath: p.strings.signature!,
    ignorePaths: p.multis['ignore-paths'],
    ignoreGitPaths: p.flags['ignore-git-paths'],
    ignoreUnsignedFiles: p.flags['ignore-unsigned-files'],
  };
}

/** The pinned commit as soon as it is known: whatever happens next, the user knows what was looked at. */
function printStep(step: HubStep): void {
  if (step.kind === 'commit') out(safeText`Commit: ${step.commit}\n`);
}

/** Which files the Hub's metadata vouched for and which were fetched and hashed. */
function checkedLines(r: HubVerificationResult): SafeText {
  const list = (names: string[]) => (names.length === 0 ? safeText`none` : safeText`${names.join(', ')}`);
  return safeText`${lines([
    safeText`Checked by the Hub's metadata (sha256 of LFS/Xet storage): ${r.checkedByMetadata.length} file(s): ${list(r.checkedByMetadata)}`,
    safeText`Checked by their bytes (kept in git, fetched and hashed): ${r.checkedByBytes.length} file(s): ${list(r.checkedByBytes)}`,
  ])}\n`;
}

function hubJson(r: HubVerificationResult) {
  return {
    repo: r.repoId,
    revision: r.revision,
    commit: r.commit,
    signature: r.signaturePath,
    checkedByMetadata: r.checkedByMetadata,
    checkedByBytes: r.checkedByBytes,
  };
}
