import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import {
  CertificateSigner, CertificateVerifier, DEFAULT_SHARD_SIZE, HASH_ALGORITHMS, HashAlgorithm, KeySigner, KeyVerifier,
  ModelSigningError, SerializationMethod, Signer, VerificationResult, Verifier, WorkerHashPool,
  fingerprint, isHashAlgorithm, isModelSigningError, loadPrivateKey, loadPublicKey, parsePemCertificates,
  serializeModel, signModel, verifyModel,
} from '../core';
import { OptionSpecs, Parsed, UsageError, formatHelp, parseArgs } from './args';
import { ProgressLine, describeFailure, printMismatch, toJson } from './report';

declare const __VERSION__: string;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';

const PKI_METHODS = ['sigstore', 'key', 'certificate', 'pkcs11-key', 'pkcs11-certificate'] as const;
type PkiMethod = (typeof PKI_METHODS)[number];

const COMMON: OptionSpecs = {
  'ignore-paths': { kind: 'multi', metavar: 'PATH', help: 'File paths to ignore when signing or verifying.' },
  'ignore-git-paths': { kind: 'switch', default: true, help: 'Ignore git-related files (.git, .gitattributes, .github, .gitignore).' },
  'allow-symlinks': { kind: 'flag', help: 'Follow symbolic links that stay inside the model.' },
};
const SERIALIZATION: OptionSpecs = {
  'hash-algorithm': { kind: 'string', metavar: '[sha256|blake2b|blake3]', default: 'sha256', help: 'Hash for the files.' },
  serialization: { kind: 'string', metavar: '[files|shards]', default: 'files', help: 'One digest per file, or per shard of a file.' },
  'shard-size': { kind: 'string', metavar: 'BYTES', default: String(DEFAULT_SHARD_SIZE), help: 'Shard size for --serialization shards.' },
};
const SIGN_OPTIONS: Record<'key' | 'certificate', OptionSpecs> = {
  key: {
    signature: { kind: 'string', metavar: 'PATH', default: 'model.sig', help: 'Location of the signature file to generate.' },
    ...COMMON,
    ...SERIALIZATION,
    'private-key': { kind: 'string', required: true, metavar: 'PATH', help: 'Path to the private key, as a PEM-encoded file.' },
    password: { kind: 'string', metavar: 'TEXT', help: 'Password for the key encryption, if any.' },
  },
  certificate: {
    signature: { kind: 'string', metavar: 'PATH', default: 'model.sig', help: 'Location of the signature file to generate.' },
    ...COMMON,
    ...SERIALIZATION,
    'private-key': { kind: 'string', required: true, metavar: 'PATH', help: 'Path to the private key, as a PEM-encoded file.' },
    password: { kind: 'string', metavar: 'TEXT', help: 'Password for the key encryption, if any.' },
    'signing-certificate': { kind: 'string', required: true, metavar: 'PATH', help: 'Path to the signing certificate, as a PEM-encoded file.' },
    'certificate-chain': { kind: 'multi', metavar: 'PATH', help: 'Certificate chain to embed, as PEM files (leaf issuer first).' },
  },
};
const VERIFY_COMMON: OptionSpecs = {
  signature: { kind: 'string', required: true, metavar: 'PATH', help: 'Location of the signature file to verify.' },
  ...COMMON,
  'ignore-unsigned-files': { kind: 'switch', default: false, help: 'Check only the signed files; files not in the signature are not reported.' },
  json: { kind: 'flag', help: 'Print the full result as JSON on stdout.' },
};
const VERIFY_OPTIONS: Record<'key' | 'certificate', OptionSpecs> = {
  key: { ...VERIFY_COMMON, 'public-key': { kind: 'string', required: true, metavar: 'PATH', help: 'Path to the public key used for verification.' } },
  certificate: {
    ...VERIFY_COMMON,
    'certificate-chain': { kind: 'multi', metavar: 'PATH', help: 'Trust anchors, as PEM files (default: the Mozilla CA store built into Node.js).' },
    'log-fingerprints': { kind: 'flag', help: 'Log the SHA-256 fingerprints of the anchors and the signature\'s certificates.' },
  },
};
const DIGEST_OPTIONS: OptionSpecs = { ...COMMON, ...SERIALIZATION };

const TOP_HELP = `Usage: model-signing [OPTIONS] COMMAND [ARGS]...

  Sign ML models and verify them, in the OpenSSF Model Signing (OMS) format.

Options:
  --log-level [DEBUG|INFO|WARNING|ERROR|CRITICAL]
                                  Logging level.  [default: INFO]
  --version                       Show the version and exit.
  -h, --help                      Show this message and exit.

Commands:
  digest  Compute the digest of a model.
  sign    Sign a model (methods: key, certificate).
  verify  Verify a model (methods: key, certificate).
`;

/** Runs the CLI and returns its exit code: 0 success, 1 failure, 2 usage error. */
export async function main(argv: readonly string[]): Promise<number> {
  let rest = [...argv];
  // Global options come before the command, as with click groups.
  while (rest[0]?.startsWith('-')) {
    const opt = rest.shift()!.replace(/_/g, '-');
    if (opt === '--version') {
      process.stdout.write(`model-signing, version ${VERSION}\n`);
      return 0;
    }
    if (opt === '-h' || opt === '--help') {
      process.stdout.write(TOP_HELP);
      return 0;
    }
    if (opt === '--log-level' || opt.startsWith('--log-level=')) {
      const level = opt.includes('=') ? opt.split('=')[1] : rest.shift();
      if (!level || !/^(debug|info|warning|error|critical)$/i.test(level)) return usage(TOP_HELP, `Invalid value for '--log-level': ${JSON.stringify(level ?? '')}`);
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
      case undefined:
        process.stdout.write(TOP_HELP);
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
  const help = formatHelp('model-signing digest [OPTIONS] MODEL_PATH', 'Compute the root digest of a model, as `sha256:<hex>`.', DIGEST_OPTIONS);
  const p = parseArgs(argv, DIGEST_OPTIONS);
  if (p.help) return printHelp(help);
  const modelPath = oneArgument(p, 'MODEL_PATH');
  const settings = serializationSettings(p);
  return run('Computing digest failed: ', async (pool, progress) => {
    const manifest = await serializeModel(modelPath, { ...walkSettings(p), ...settings, pool, onProgress: progress.update });
    progress.done();
    process.stdout.write(`sha256:${manifest.rootDigest()}\n`);
    return 0;
  });
}

async function signCommand(argv: string[]): Promise<number> {
  const method = pkiMethod(argv);
  if (method !== 'key' && method !== 'certificate') return unsupported('Signing', method);
  const specs = SIGN_OPTIONS[method];
  const help = formatHelp(`model-signing sign ${method} [OPTIONS] MODEL_PATH`, method === 'key' ? 'Sign a model with an elliptic-curve private key.' : 'Sign a model with a private key and its X.509 certificate chain.', specs);
  const p = parseArgs(argv, specs);
  if (p.help) return printHelp(help);
  const modelPath = oneArgument(p, 'MODEL_PATH');
  const settings = serializationSettings(p);
  return run('Signing failed with error: ', async (pool, progress) => {
    const privateKey = loadPrivateKey(readInput(p.strings['private-key']!, 'private key'), p.strings.password);
    const signer: Signer = method === 'key'
      ? new KeySigner(privateKey)
      : new CertificateSigner(
          privateKey,
          parsePemCertificates(readInput(p.strings['signing-certificate']!, 'signing certificate'), p.strings['signing-certificate'])[0]!,
          p.multis['certificate-chain']!.flatMap((f) => parsePemCertificates(readInput(f, 'certificate chain'), f)),
        );
    await signModel(modelPath, { ...walkSettings(p), ...settings, signer, signaturePath: p.strings.signature!, pool, onProgress: progress.update });
    progress.done();
    process.stdout.write('Signing succeeded\n');
    return 0;
  });
}

async function verifyCommand(argv: string[]): Promise<number> {
  const method = pkiMethod(argv);
  if (method !== 'key' && method !== 'certificate') return unsupported('Verification', method);
  const specs = VERIFY_OPTIONS[method];
  const help = formatHelp(`model-signing verify ${method} [OPTIONS] MODEL_PATH`, method === 'key' ? 'Verify a model signed with a private key.' : 'Verify a model signed with an X.509 certificate chain.', specs);
  const p = parseArgs(argv, specs);
  if (p.help) return printHelp(help);
  const modelPath = oneArgument(p, 'MODEL_PATH');
  const json = p.flags.json!;
  return run('Verification failed with error: ', async (pool, progress) => {
    let verifier: Verifier;
    if (method === 'key') {
      verifier = new KeyVerifier(loadPublicKey(readInput(p.strings['public-key']!, 'public key')));
    } else {
      const files = p.multis['certificate-chain']!;
      const roots = files.length > 0
        ? files.flatMap((f) => parsePemCertificates(readInput(f, 'certificate chain'), f))
        : tls.rootCertificates.flatMap((pem) => parsePemCertificates(pem, 'the Node.js CA store'));
      if (p.flags['log-fingerprints']) roots.forEach((r) => process.stderr.write(`[  init  ] sha256 Fingerprint: ${fingerprint(r)}\n`));
      verifier = new CertificateVerifier({ roots });
    }
    const result = await verifyModel(modelPath, {
      ...walkSettings(p),
      verifier,
      pool,
      signaturePath: p.strings.signature!,
      ignoreUnsignedFiles: p.flags['ignore-unsigned-files'],
      onProgress: progress.update,
    });
    progress.done();
    if (p.flags['log-fingerprints'] && result.signer.method === 'certificate') {
      process.stderr.write(`[ verify ] sha256 Fingerprint: ${result.signer.fingerprint}\n`);
    }
    return report(result, json);
  }, json);
}

function report(result: VerificationResult, json: boolean): number {
  for (const w of result.warnings) process.stderr.write(`WARNING: ${w}\n`);
  if (json) process.stdout.write(JSON.stringify(toJson(result), null, 2) + '\n');
  if (result.ok) {
    if (!json) process.stdout.write('Verification succeeded\n');
    return 0;
  }
  printMismatch(result);
  return 1;
}

/** The PKI method named right after the command (as click resolves it), or the reference's default: sigstore. */
function pkiMethod(argv: string[]): PkiMethod {
  return (PKI_METHODS as readonly string[]).includes(argv[0] ?? '') ? (argv.shift() as PkiMethod) : 'sigstore';
}

function unsupported(what: string, method: PkiMethod): number {
  const why = method === 'sigstore'
    ? 'Sigstore keyless signatures are not supported by this version yet; use the key or certificate method'
    : 'PKCS#11 tokens are not supported; sign with the key or certificate method';
  process.stderr.write(`${what} failed with error: ${why}\n`);
  return 1;
}

function serializationSettings(p: Parsed): { method: SerializationMethod; hashAlgorithm: HashAlgorithm; shardSize: number } {
  const method = p.strings.serialization;
  const hash = p.strings['hash-algorithm'];
  const shard = p.strings['shard-size']!;
  if (method !== 'files' && method !== 'shards') throw new UsageError(`Invalid value for '--serialization': '${method}' is not one of 'files', 'shards'.`);
  if (!isHashAlgorithm(hash)) throw new UsageError(`Invalid value for '--hash-algorithm': '${hash}' is not one of ${HASH_ALGORITHMS.map((h) => `'${h}'`).join(', ')}.`);
  if (!/^[1-9][0-9]*$/.test(shard) || !Number.isSafeInteger(Number(shard))) throw new UsageError(`Invalid value for '--shard-size': '${shard}' is not a positive integer.`);
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

function oneArgument(p: Parsed, name: string): string {
  if (p.args.length === 0) throw new UsageError(`Missing argument '${name}'.`);
  if (p.args.length > 1) throw new UsageError(`Got unexpected extra argument (${p.args.slice(1).join(' ')})`);
  return p.args[0]!;
}

function readInput(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ModelSigningError('FILE_READ_ERROR', `Cannot read the ${what} '${file}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { path: file }, e);
  }
}

/** One place where failures become a line on stderr and exit code 1. */
async function run(prefix: string, task: (pool: WorkerHashPool, progress: ProgressLine) => Promise<number>, quiet = false): Promise<number> {
  const pool = new WorkerHashPool({ workerScript: path.join(__dirname, 'hashWorker.js'), eager: true });
  const progress = new ProgressLine(quiet ? undefined : process.stderr);
  const abort = () => {
    progress.done();
    process.stderr.write(`${prefix}Cancelled\n`);
    process.exit(130);
  };
  process.once('SIGINT', abort);
  try {
    return await task(pool, progress);
  } catch (e) {
    progress.done();
    if (e instanceof UsageError) throw e;
    process.stderr.write(`${prefix}${describeFailure(e)}\n`);
    if (process.env.MODEL_SIGNING_DEBUG && !isModelSigningError(e)) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  } finally {
    process.off('SIGINT', abort);
    await pool.dispose();
  }
}

function usage(help: string, message: string): number {
  process.stderr.write(`${help.split('\n')[0]}\nTry 'model-signing --help' for help.\n\nError: ${message}\n`);
  return 2;
}

function printHelp(help: string): number {
  process.stdout.write(help);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`model-signing: internal error: ${describeFailure(e)}\n`);
      process.exitCode = 1;
    },
  );
}
