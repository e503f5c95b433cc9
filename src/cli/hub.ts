// `model-signing hub verify|download`: a model on the Hugging Face Hub checked against its signature
// from the Hub's listing, before (or while) anything large is downloaded.
import { SafeText, safeText } from '../core/display';
import { isHubCacheFolder } from '../core/hub/cachePlacement';
import { downloadHubModel } from '../core/hub/downloadHubModel';
import { HubClient } from '../core/hub/hubClient';
import { parseHubRepo } from '../core/hub/hubRepo';
import { hubSettingsFromEnv } from '../core/hub/hubSettings';
import { DEFAULT_HUB_SIGNATURE, HubStep, HubVerificationResult, VerifyHubModelOptions, verifyHubModel } from '../core/hub/verifyHubModel';
import { isMethodId } from '../core/methods/registry';
import type { TrustConfig } from '../core/sigstore/trustConfig';
import { formatBytes } from '../core/units';
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
  download  Verify as above, then download it, hashing every file as it arrives; the folder appears only if all of it verified.
`;

/** The verify flags of a method, with the signature's path in the repository (default model.sig) and no local-only flags. */
function hubVerifyOptions(method: Parameters<typeof makeVerifier>[0]): OptionSpecs {
  const specs: OptionSpecs = {
    ...VERIFY_OPTIONS[method],
    signature: { kind: 'string', metavar: 'PATH_IN_REPO', default: DEFAULT_HUB_SIGNATURE, help: 'The signature file, as a path in the repository.' },
    'ignore-paths': { kind: 'multi', metavar: 'PATH_IN_REPO', help: 'Repository paths to leave out.' },
  };
  // Local-only: no links on the Hub, and the revision is the argument's @REVISION.
  delete specs['allow-symlinks'];
  delete specs.revision;
  return specs;
}

export async function hubCommand(argv: string[], run: CommandRunner): Promise<number> {
  const sub = argv.shift();
  try {
    if (sub === 'verify') return await hubVerifyCommand(argv, run);
    if (sub === 'download') return await hubDownloadCommand(argv, run);
    if (sub === undefined || sub === '-h' || sub === '--help') return printHelp(HUB_HELP);
    return usage(HUB_HELP, `No such command '${sub}'.`, 'model-signing hub');
  } catch (e) {
    if (e instanceof UsageError) return usage(HUB_HELP, e.message, 'model-signing hub');
    throw e;
  }
}

const VERIFY_HELP =
  "Resolve the revision to a commit (printed), read the signature from it, and compare the signed files with the Hub's listing: files in LFS/Xet storage by the sha256 it lists, small files kept in git by their bytes. Nothing large is downloaded.";

const DOWNLOAD_HELP =
  'Verify as hub verify does and stop if the listing disagrees; then download every signed file (and the signature), several at once, hashing each as it arrives and resuming a broken transfer with a Range request. The files go to a folder beside DIR, which takes its name only when every file matched: a mismatch leaves nothing in DIR and names the file.';

async function hubVerifyCommand(argv: string[], run: CommandRunner): Promise<number> {
  const parsed = parseHubArgs(argv, 'verify', VERIFY_HELP, {});
  if (typeof parsed === 'number') return parsed;
  const { method, p, repo, json } = parsed;
  return run(
    'Verification failed with error: ',
    async () => {
      const { value: verifier, trust, warnings, afterVerify } = await makeVerifier(method, p);
      const { result } = await verifyHubModel({ ...hubOptions(p, parseHubRepo(repo)), verifier, onStep: json ? undefined : printStep });
      return report(result, json, trust, [...warnings, ...(afterVerify?.(result, json) ?? [])]);
    },
    json,
  );
}

async function hubDownloadCommand(argv: string[], run: CommandRunner): Promise<number> {
  const parsed = parseHubArgs(argv, 'download', DOWNLOAD_HELP, {
    to: {
      kind: 'string',
      required: true,
      metavar: 'DIR',
      help: "The folder to create (or an empty one): it appears only when the whole model verified. The Hugging Face cache folder (HF_HUB_CACHE, ~/.cache/huggingface/hub) is written in the cache's layout.",
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { method, p, repo, json } = parsed;
  return run(
    'Verification failed with error: ',
    async (pool, progress) => {
      const { value: verifier, trust, warnings, afterVerify } = await makeVerifier(method, p);
      progress.label = 'Downloading';
      const to = p.strings.to!;
      const d = await downloadHubModel({
        ...hubOptions(p, parseHubRepo(repo)),
        verifier,
        to,
        hfCache: isHubCacheFolder(to),
        pool,
        onStep: json ? undefined : printStep,
        onProgress: progress.update,
      });
      progress.done();
      const code = report(d.result, json, trust, [...warnings, ...(afterVerify?.(d.result, json) ?? [])], d.downloaded ? d.to : undefined);
      if (!d.downloaded) err(safeText`Nothing was written to ${d.to}\n`);
      else if (!json) out(safeText`Downloaded ${d.files} file(s), ${formatBytes(d.bytes)}, to ${d.to}\n`);
      return code;
    },
    json,
  );
}

/** The method, the options and the repository argument of a hub command, or the exit code of its help or refusal. */
function parseHubArgs(argv: string[], command: string, help: string, extra: OptionSpecs) {
  const method = isMethodId(argv[0]) || REFERENCE_METHODS.includes(argv[0] ?? '') ? argv.shift()! : 'sigstore';
  if (!isMethodId(method)) {
    err(safeText`Verification failed with error: PKCS#11 tokens are not supported; use the key, certificate or sigstore method\n`);
    return 1;
  }
  const specs = { ...extra, ...hubVerifyOptions(method) };
  const p = parseArgs(argv, specs);
  if (p.help) return printHelp(formatHelp(`model-signing hub ${command} ${method} [OPTIONS] ORG/NAME[@REVISION]`, help, specs));
  return { method, p, repo: oneRepo(p), json: p.flags.json! };
}

/** What verify prints, with the commit and how each file was checked (and, after a download, where it went). */
function report(result: HubVerificationResult, json: boolean, trust: TrustConfig | undefined, extraWarnings: string[], to?: string): number {
  const warnings = [...extraWarnings, ...result.warnings];
  for (const w of warnings) err(safeText`WARNING: ${w}\n`);
  if (json) outJson({ ...toJson({ ...result, warnings }, trust), hub: { ...hubJson(result), ...(to ? { downloadedTo: to } : {}) } });
  else out(checkedLines(result));
  if (!result.ok) {
    printMismatch(result);
    return 1;
  }
  if (!json) out(safeText`Verification succeeded\n`);
  return 0;
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
