import * as path from 'node:path';
// Core modules by file, not the barrel: the Sigstore stack loads only for the sigstore method.
import { ownText, safeText } from '../core/display';
import { HASH_ALGORITHMS, HashAlgorithm, isHashAlgorithm } from '../core/hashing/algorithm';
import { WorkerHashPool } from '../core/hashing/hashPool';
import { requireLazily } from '../core/lazyModule';
import type { SerializationMethod } from '../core/manifest/manifest';
import { serializeListing } from '../core/manifest/serializer';
import { listModelFiles } from '../core/hashing/walk';
import { findSignatureFiles, manifestWithout } from '../core/signing/signatureFiles';
import { PKCS11_METHODS, isPkcs11MethodId, pkcs11Method } from '../core/methods/pkcs11Methods';
import { METHOD_IDS, MethodId, isMethodId } from '../core/methods/registry';
import { signModel } from '../core/signing/signModel';
import type { TrustConfig } from '../core/sigstore/trustConfig';
import { VerificationResult, verifyModel } from '../core/verifying/verifyModel';
import { Parsed, UsageError, formatHelp, oneArgument, parseArgs, printHelp, usage } from './args';
import { attestCommand } from './attest';
import { withCommandPool } from './cache';
import { hubCommand } from './hub';
import { makePkcs11Signer, makeSigner, makeVerifier, timestamperFor, timestampVerifierFor } from './methods';
import { modelPathOf } from './modelPath';
import { DIGEST_OPTIONS, METHOD_HELP, PKCS11_SIGN_OPTIONS, REFERENCE_METHODS, SIGN_OPTIONS, VERIFY_OPTIONS } from './options';
import { describeFailure, printFailure, printMismatch, toJson } from './report';
import { ProgressLine, Terminal, err, out, outJson, terminal, withTerminal } from './terminal';

declare const __VERSION__: string;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';

/** The reference's default method first. */
const METHOD_LIST = METHOD_IDS.map((m, i) => (i === 0 ? `${m} (default)` : m)).join(', ');
const SIGN_METHOD_LIST = [METHOD_LIST, ...PKCS11_METHODS.map((m) => m.id)].join(', ');

const TOP_HELP = `Usage: model-signing [OPTIONS] COMMAND [ARGS]...

  Sign ML models and verify them, in the OpenSSF Model Signing (OMS) format.

Options:
  --log-level [DEBUG|INFO|WARNING|ERROR|CRITICAL]
                                  Logging level.  [default: INFO]
  --version                       Show the version and exit.
  -h, --help                      Show this message and exit.

Commands:
  digest      Compute the digest of a model.
  sign        Sign a model (methods: ${SIGN_METHOD_LIST}).
  verify      Verify a model (methods: ${METHOD_LIST}).
  attest      Write signed SLSA provenance for a model (in CI or locally).
  provenance  Verify or show SLSA provenance (verify, show).
  hub         Verify a model on the Hugging Face Hub before downloading it.
`;

/**
 * Runs the CLI and returns its exit code: 0 success, 1 failure, 2 usage error. It writes to
 * `io` (default: the process's streams) and never exits the process, except on Ctrl-C.
 */
export function main(argv: readonly string[], io?: Terminal): Promise<number> {
  const guarded = async () => {
    try {
      return await dispatch(argv);
    } catch (e) {
      err(safeText`model-signing: internal error: ${describeFailure(e)}\n`);
      return 1;
    }
  };
  return io ? withTerminal(io, guarded) : guarded();
}

async function dispatch(argv: readonly string[]): Promise<number> {
  const rest = [...argv];
  // Global options come before the command, as with click groups.
  while (rest[0]?.startsWith('-')) {
    const opt = rest.shift()!.replace(/_/g, '-');
    if (opt === '--version') {
      out(safeText`model-signing, version ${VERSION}\n`);
      return 0;
    }
    if (opt === '-h' || opt === '--help') {
      out(ownText(TOP_HELP));
      return 0;
    }
    if (opt === '--log-level' || opt.startsWith('--log-level=')) {
      const level = opt.includes('=') ? opt.split('=')[1] : rest.shift();
      if (!level || !/^(debug|info|warning|error|critical)$/i.test(level))
        return usage(TOP_HELP, `Invalid value for '--log-level': ${JSON.stringify(level ?? '')}`);
      continue;
    }
    return usage(TOP_HELP, `No such option: ${opt}`);
  }
  const command = rest.shift();
  try {
    switch (command) {
      case 'digest':
        return await digestCommand(rest);
      case 'sign':
        return await signCommand(rest);
      case 'verify':
        return await verifyCommand(rest);
      case 'attest':
        return await attestCommand(rest, run);
      case 'provenance':
        return await provenanceModule().provenanceCommand(rest);
      case 'hub':
        return await hubCommand(rest, run);
      case undefined:
        out(ownText(TOP_HELP));
        return 2;
      default:
        return usage(TOP_HELP, `No such command '${command}'.`);
    }
  } catch (e) {
    if (e instanceof UsageError) return usage(TOP_HELP, e.message);
    throw e;
  }
}

async function digestCommand(argv: string[]): Promise<number> {
  const help = formatHelp(
    'model-signing digest [OPTIONS] MODEL_PATH',
    'Compute the root digest of a model, as `sha256:<hex>`. Every file counts, as in the reference, a signature of the model inside it too: stderr then says so and gives the digest without it.',
    DIGEST_OPTIONS,
  );
  const p = parseArgs(argv, DIGEST_OPTIONS);
  if (p.help) return printHelp(help);
  const modelArg = oneArgument(p, 'MODEL_PATH');
  const settings = serializationSettings(p);
  return run('Computing digest failed: ', async (workers, progress) => {
    const modelPath = modelPathOf(modelArg, p);
    return withCommandPool(p, modelPath, workers, progress, async (pool) => {
      const options = { ...walkSettings(p), ...settings, pool, onProgress: progress.update };
      const listing = await listModelFiles(modelPath, options);
      // The signatures inside are looked for while the workers hash.
      const [signatures, manifest] = await Promise.all([findSignatureFiles(listing), serializeListing(modelPath, listing, options)]);
      progress.done();
      out(safeText`sha256:${manifest.rootDigest()}\n`);
      if (signatures.length > 0) err(signatureNote(listing.root, signatures, manifestWithout(manifest, signatures).rootDigest()));
      return 0;
    });
  });
}

/**
 * The reference's `digest` counts every file, a signature inside the model too, and scripts compare its output:
 * stdout stays the same, and stderr says why it differs from the signature's digest and how to match it.
 */
function signatureNote(root: string, signatures: readonly string[], without: string) {
  const shortest = (file: string) => (path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file));
  const flags = signatures.map((s) => `--ignore-paths ${shortest(path.join(root, s))}`).join(' ');
  const [what, it] = signatures.length === 1 ? ['is an OMS signature', 'it'] : ['are OMS signatures', 'them'];
  return safeText`Note: ${signatures.join(', ')} ${what} of this model, counted in this digest as the reference counts ${it}. Signatures, attest and provenance leave ${it} out: sha256:${without} (${flags}).\n`;
}

async function signCommand(argv: string[]): Promise<number> {
  const method = pkiMethod(argv);
  // pkiMethod gives a registered method or a reference name, which for sign is a PKCS #11 one.
  const pkcs11 = isPkcs11MethodId(method) ? method : undefined;
  const specs = pkcs11 ? PKCS11_SIGN_OPTIONS[pkcs11] : SIGN_OPTIONS[method as MethodId];
  const p = parseArgs(argv, specs);
  const help = pkcs11 ? pkcs11Method(pkcs11).help : METHOD_HELP.sign[method as MethodId];
  if (p.help) return printHelp(formatHelp(`model-signing sign ${method} [OPTIONS] MODEL_PATH`, help, specs));
  const modelArg = oneArgument(p, 'MODEL_PATH');
  const settings = serializationSettings(p);
  return run('Signing failed with error: ', async (pool, progress) => {
    const modelPath = modelPathOf(modelArg, p);
    const { value: signer, warnings } = await (pkcs11 ? makePkcs11Signer(pkcs11, p) : makeSigner(method as MethodId, p));
    warnings.forEach((w) => err(safeText`WARNING: ${w}\n`));
    const timestamper = timestamperFor(p);
    await withCommandPool(p, modelPath, pool, progress, (pool) =>
      signModel(modelPath, {
        ...walkSettings(p),
        ...settings,
        signer,
        timestamper,
        signaturePath: p.strings.signature!,
        pool,
        onProgress: progress.update,
      }),
    );
    progress.done();
    out(safeText`Signing succeeded\n`);
    return 0;
  });
}

async function verifyCommand(argv: string[]): Promise<number> {
  const method = pkiMethod(argv);
  if (!isMethodId(method)) return unsupported();
  const specs = VERIFY_OPTIONS[method];
  const p = parseArgs(argv, specs);
  if (p.help) return printHelp(formatHelp(`model-signing verify ${method} [OPTIONS] MODEL_PATH`, METHOD_HELP.verify[method], specs));
  const modelArg = oneArgument(p, 'MODEL_PATH');
  const json = p.flags.json!;
  return run(
    'Verification failed with error: ',
    async (pool, progress) => {
      const modelPath = modelPathOf(modelArg, p);
      const { value: verifier, trust, warnings, afterVerify } = await makeVerifier(method, p);
      const result = await withCommandPool(p, modelPath, pool, progress, (pool) =>
        verifyModel(modelPath, {
          ...walkSettings(p),
          verifier,
          pool,
          signaturePath: p.strings.signature!,
          ignoreUnsignedFiles: p.flags['ignore-unsigned-files'],
          timestamps: timestampVerifierFor(method, p),
          onProgress: progress.update,
        }),
      );
      progress.done();
      const more = afterVerify?.(result, json) ?? [];
      return report({ ...result, warnings: [...warnings, ...result.warnings, ...more] }, json, trust);
    },
    json,
  );
}

function report(result: VerificationResult, json: boolean, trust?: TrustConfig): number {
  for (const w of result.warnings) err(safeText`WARNING: ${w}\n`);
  if (json) outJson(toJson(result, trust));
  if (result.ok) {
    if (!json) out(safeText`Verification succeeded\n`);
    return 0;
  }
  printMismatch(result);
  return 1;
}

/** The PKI method named right after the command (as click resolves it), or the reference's default: sigstore. */
function pkiMethod(argv: string[]): string {
  return isMethodId(argv[0]) || REFERENCE_METHODS.includes(argv[0] ?? '') ? argv.shift()! : 'sigstore';
}

/** `verify pkcs11-key|pkcs11-certificate`: what they sign is a key or certificate signature. */
function unsupported(): number {
  err(safeText`Verification failed with error: a PKCS #11 signature is a key or certificate signature: verify it with 'verify key' or 'verify certificate'\n`);
  return 1;
}

function serializationSettings(p: Parsed): { method: SerializationMethod; hashAlgorithm: HashAlgorithm; shardSize: number } {
  const method = p.strings.serialization;
  const hash = p.strings['hash-algorithm'];
  const shard = p.strings['shard-size']!;
  if (method !== 'files' && method !== 'shards') throw new UsageError(`Invalid value for '--serialization': '${method}' is not one of 'files', 'shards'.`);
  if (!isHashAlgorithm(hash))
    throw new UsageError(`Invalid value for '--hash-algorithm': '${hash}' is not one of ${HASH_ALGORITHMS.map((h) => `'${h}'`).join(', ')}.`);
  if (!/^[1-9][0-9]*$/.test(shard) || !Number.isSafeInteger(Number(shard)))
    throw new UsageError(`Invalid value for '--shard-size': '${shard}' is not a positive integer.`);
  return { method, hashAlgorithm: hash, shardSize: Number(shard) };
}

/** Ignore paths are relative to the working directory, as in the reference. */
function walkSettings(p: Parsed) {
  return {
    ignorePaths: p.multis['ignore-paths']!.map((x) => path.resolve(x)),
    ignoreGitPaths: p.flags['ignore-git-paths'],
    allowSymlinks: p.flags['allow-symlinks'],
  };
}

/** One place where failures become a line on stderr and exit code 1. */
async function run(prefix: string, task: (pool: WorkerHashPool, progress: ProgressLine) => Promise<number>, quiet = false): Promise<number> {
  // Workers start when the command knows it will hash: at once, or with --cache for what the cache misses.
  const pool = new WorkerHashPool({ workerScript: bundled('hashWorker.js') });
  const progress = new ProgressLine(quiet ? undefined : terminal().stderr);
  const abort = () => {
    progress.done();
    err(safeText`${prefix}Cancelled\n`);
    process.exit(130);
  };
  process.once('SIGINT', abort);
  try {
    return await task(pool, progress);
  } catch (e) {
    progress.done();
    if (e instanceof UsageError) throw e;
    printFailure(prefix, e);
    return 1;
  } finally {
    process.off('SIGINT', abort);
    await pool.dispose();
  }
}

/** dist/provenance.js (it needs the Sigstore stack), loaded on first use by a path esbuild leaves alone; the sources under tsx. */
function provenanceModule(): typeof import('./provenance') {
  return requireLazily(__filename, 'provenance.js', 'provenance');
}

/** A file of dist/: beside this bundle, or (the sources run in process by the tests) in the built dist/. */
function bundled(name: string): string {
  return __filename.endsWith('cli.js') ? path.join(__dirname, name) : path.join(__dirname, '../../dist', name);
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
