// `model-signing attest`: SLSA v1 provenance for a model, signed as `sign`
// signs (the same method flags), written atomically. The Sigstore stack stays
// in dist/sigstore.js: methods.ts loads it only for --method sigstore.
import * as path from 'node:path';
import { safeText } from '../core/display';
import { ModelSigningError, isModelSigningError } from '../core/errors';
import type { WorkerHashPool } from '../core/hashing/hashPool';
import { METHOD_IDS, MethodId, isMethodId } from '../core/methods/registry';
import { attestModel } from '../core/provenance/attesting/attest';
import type { ProvenanceOverrides } from '../core/provenance/attesting/attestStatement';
import { isGitHubActions } from '../core/provenance/attesting/githubEnvironment';
import { OptionSpecs, Parsed, UsageError, formatHelp, oneArgument, parseArgs, printHelp } from './args';
import { withCommandPool } from './cache';
import { makeSigner } from './methods';
import { modelPathOf } from './modelPath';
import { COMMON, SERIALIZATION, SIGN_OPTIONS } from './options';
import { type ProgressLine, err, out, outJson } from './terminal';

/** main.ts's one place where failures become a line on stderr and exit code 1. */
export type CommandRunner = (prefix: string, task: (pool: WorkerHashPool, progress: ProgressLine) => Promise<number>, quiet?: boolean) => Promise<number>;

const ATTEST_OPTIONS: OptionSpecs = {
  output: { kind: 'string', required: true, metavar: 'PATH', help: 'Where to write the provenance (a Sigstore bundle, DSSE, in-toto Statement v1, SLSA v1).' },
  overwrite: { kind: 'flag', help: 'Replace the output file if it exists (default: refuse).' },
  'per-file': { kind: 'flag', help: "Add one subject per file (path and sha256) besides the model's root digest." },
  method: {
    kind: 'string',
    metavar: `[${METHOD_IDS.join('|')}]`,
    default: 'sigstore',
    help: "How to sign: keyless (in GitHub Actions with the job's token), a key, or a certificate.",
  },
  'source-uri': { kind: 'string', metavar: 'URI', help: 'The source repository (github.com/org/repo); outside GitHub Actions, or to override it.' },
  'source-ref': { kind: 'string', metavar: 'REF', help: 'The git ref built, in full (refs/heads/main, refs/tags/v1).' },
  'source-commit': { kind: 'string', metavar: 'SHA', help: 'The git commit built.' },
  'builder-id': { kind: 'string', metavar: 'URI', help: "The builder id (default: the workflow in GitHub Actions, this tool's local builder elsewhere)." },
  'build-type': { kind: 'string', metavar: 'URI', help: "The build type (default: GitHub's workflow/v1 in Actions, this tool's local/v1 elsewhere)." },
  json: { kind: 'flag', help: 'Print the statement and the output path as JSON on stdout.' },
  ...COMMON,
};

/**
 * The signing flags of a method, as `sign` takes them, without what attest fixes (signature path, serialization)
 * or does not do yet (a timestamp on a key or certificate signature: refused rather than silently dropped).
 */
function signingOptions(method: MethodId): OptionSpecs {
  const fixed = new Set(['signature', 'tsa-url', ...Object.keys(SERIALIZATION), ...Object.keys(COMMON)]);
  return Object.fromEntries(Object.entries(SIGN_OPTIONS[method]).filter(([name]) => !fixed.has(name)));
}

const HELP =
  'Write SLSA v1 provenance for a model: its root digest (and each file with --per-file) as subjects, the build ' +
  'facts from the GitHub Actions environment or from flags, signed into a Sigstore bundle. An OMS signature of the ' +
  'model inside its folder is not part of the model.';

export async function attestCommand(argv: string[], run: CommandRunner): Promise<number> {
  const method = methodOf(argv);
  const specs = { ...ATTEST_OPTIONS, ...signingOptions(method) };
  const p = parseArgs(argv, specs);
  if (p.help) {
    return printHelp(formatHelp('model-signing attest [OPTIONS] MODEL_PATH', HELP, specs));
  }
  const modelArg = oneArgument(p, 'MODEL_PATH');
  const output = p.strings.output!;
  const json = p.flags.json!;
  const env = process.env;
  return run(
    'Attestation failed with error: ',
    async (pool, progress) => {
      if (method === 'sigstore') useAmbientTokenInActions(p, env);
      const { value: signer, warnings } = await makeSigner(method, p);
      warnings.forEach((w) => err(safeText`WARNING: ${w}\n`));
      let result;
      try {
        const modelPath = modelPathOf(modelArg, p);
        result = await withCommandPool(p, modelPath, pool, progress, (pool) =>
          attestModel(modelPath, {
            signer,
            pool,
            output,
            overwrite: p.flags.overwrite,
            perFile: p.flags['per-file'],
            environment: env,
            overrides: overrides(p),
            ignorePaths: p.multis['ignore-paths']!.map((x) => path.resolve(x)),
            ignoreGitPaths: p.flags['ignore-git-paths'],
            allowSymlinks: p.flags['allow-symlinks'],
            onProgress: progress.update,
          }),
        );
      } catch (e) {
        if (isModelSigningError(e) && e.code === 'OUTPUT_EXISTS') {
          throw new ModelSigningError('OUTPUT_EXISTS', `'${output}' already exists; pass --overwrite to replace it`, e.data, e);
        }
        throw e;
      }
      progress.done();
      const root = result.statement.subject[0]!;
      if (json) {
        outJson({ output, origin: result.origin, statement: result.statement });
      } else {
        const n = result.statement.subject.length;
        out(safeText`Provenance written to ${output}: ${n} subject${n === 1 ? '' : 's'}, model ${root.name} sha256:${root.digest.sha256}\n`);
      }
      return 0;
    },
    json,
  );
}

/** `--method X` / `--method=X` (also `--method_`…), read before parsing: the method decides which flags exist. */
function methodOf(argv: readonly string[]): MethodId {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') break;
    const name = token.split('=')[0]!.replace(/_/g, '-');
    if (name !== '--method') continue;
    value = token.includes('=') ? token.slice(token.indexOf('=') + 1) : argv[i + 1];
  }
  if (value === undefined) return 'sigstore';
  if (!isMethodId(value)) {
    throw new UsageError(`Invalid value for '--method': '${value}' is not one of ${METHOD_IDS.map((m) => `'${m}'`).join(', ')}.`);
  }
  return value;
}

function overrides(p: Parsed): ProvenanceOverrides {
  return {
    sourceUri: p.strings['source-uri'],
    sourceRef: p.strings['source-ref'],
    sourceCommit: p.strings['source-commit'],
    builderId: p.strings['builder-id'],
    buildType: p.strings['build-type'],
  };
}

/**
 * In GitHub Actions, keyless with the job's own token is the natural way: no
 * flag needed. Without `id-token: write` there is no token, and a browser
 * login cannot happen in CI, so say what is missing instead of waiting.
 */
function useAmbientTokenInActions(p: Parsed, env: NodeJS.ProcessEnv): void {
  if (!isGitHubActions(env) || p.strings['identity-token']) return;
  p.flags['use-ambient-credentials'] = true;
  const hasToken = (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) || env.SIGSTORE_ID_TOKEN;
  if (!hasToken) {
    throw new ModelSigningError(
      'IDENTITY_TOKEN_UNAVAILABLE',
      'No identity token in this GitHub Actions job: give the job `permissions: id-token: write`, or pass --identity-token, or sign with --method key',
      { sources: [] },
    );
  }
}
