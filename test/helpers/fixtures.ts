// Shared test support: temp folders with real files, the CLI run in process or as a
// child process, the worker pool from dist/, and keys made on the fly.
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import { Bundle, InTotoStatement, ResourceDescriptor, SlsaProvenanceV1, Statement, WorkerHashPool } from '../../src/core';

export const REPO = path.resolve(__dirname, '../..');
/** The reference vectors, beside the clone as in CI; MODEL_SIGNING_TEST_VECTORS points elsewhere (a git worktree of the clone). */
export const VECTORS = path.resolve(process.env.MODEL_SIGNING_TEST_VECTORS || path.join(REPO, '../shared/vectors'));
export const MT = path.join(VECTORS, 'model-transparency');
export const MT_TESTS = path.join(MT, 'scripts/tests');
export const TEST_PKI = path.join(MT_TESTS, 'keys/certificate');
export const CLI = path.join(REPO, 'dist/cli.js');
export const WORKER = path.join(REPO, 'dist/hashWorker.js');

const temps: string[] = [];
after(() => {
  for (const t of temps.splice(0)) fs.rmSync(t, { recursive: true, force: true });
});

/** A fresh temp folder, removed when the test file ends. */
export function tempDir(prefix = 'ms-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** For a CLI run that may touch neither the user's TUF cache nor the network: a fresh cache, refreshes to a closed port. */
export function offlineTufEnv(): { MODEL_SIGNING_TUF_CACHE: string; MODEL_SIGNING_TUF_MIRROR: string } {
  return { MODEL_SIGNING_TUF_CACHE: tempDir('ms-tuf-'), MODEL_SIGNING_TUF_MIRROR: 'http://127.0.0.1:9' };
}

/** Writes a tree of files (name → content) under a new folder and returns its path. */
export function makeModel(files: Record<string, string | Buffer>, name = 'model'): string {
  const root = path.join(tempDir(), name);
  fs.mkdirSync(root, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  return root;
}

/** The conftest.py `sample_model_folder`: d0/f00 … d1/f12 and f0 … f3. */
export function sampleModel(name = 'sample_model'): string {
  const files: Record<string, string> = {};
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) files[`d${i}/f${i}${j}`] = `This is file f${i}${j} in d${i}.`;
  for (let i = 0; i < 4; i++) files[`f${i}`] = `This is file f${i} in root.`;
  return makeModel(files, name);
}

export function pool(size?: number): WorkerHashPool {
  const p = new WorkerHashPool({ workerScript: WORKER, size });
  after(() => p.dispose());
  return p;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run dist/cli.js as a child process, as a user would (a terminal, the bundles, the exit code), not `main` in process. */
  spawn?: boolean;
}

/**
 * Runs the CLI with real arguments: `main` from the sources in this process (fast), or with
 * `spawn: true` the built dist/cli.js as a child. Either way the same exit code and output.
 */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  // Hashing workers inherit `--import tsx`, which Node resolves from the working directory:
  // outside the clone they could not start, so such a run is spawned.
  const outside = options.cwd !== undefined && path.relative(REPO, options.cwd).startsWith('..');
  return options.spawn || outside ? spawnCli(args, options) : inProcess(() => runMain(args, options));
}

function spawnCli(args: readonly string[], options: RunCliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The working directory and environment are the process's: one in-process run at a time sets them. */
let inProcessQueue: Promise<unknown> = Promise.resolve();

function inProcess<T>(task: () => Promise<T>): Promise<T> {
  const result = inProcessQueue.then(task);
  inProcessQueue = result.catch(() => undefined);
  return result;
}

async function runMain(args: readonly string[], options: RunCliOptions): Promise<CliResult> {
  const { main } = await import('../../src/cli/main');
  const saved = { cwd: process.cwd(), env: { ...process.env } };
  let stdout = '';
  let stderr = '';
  try {
    process.chdir(options.cwd ?? REPO);
    // As spawn does: an undefined value leaves the variable out.
    for (const [k, v] of Object.entries(options.env ?? {})) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    const code = await main(args, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
    return { code, stdout, stderr };
  } finally {
    process.chdir(saved.cwd);
    for (const k of Object.keys(process.env)) if (!(k in saved.env)) delete process.env[k];
    Object.assign(process.env, saved.env);
  }
}

export type Curve = 'P-256' | 'P-384' | 'P-521';

/** A new EC key pair as PEM files in a temp folder. */
export function makeKeyPair(curve: Curve = 'P-256', password?: string): { privateKey: string; publicKey: string; dir: string } {
  const dir = tempDir('ms-key-');
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: curve });
  const priv = password
    ? privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: password })
    : privateKey.export({ type: 'sec1', format: 'pem' });
  fs.writeFileSync(path.join(dir, 'key.pem'), priv);
  fs.writeFileSync(path.join(dir, 'key.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKey: path.join(dir, 'key.pem'), publicKey: path.join(dir, 'key.pub'), dir };
}

/** The predicate of a model signature as written (src/core's Statement leaves it unknown until it checks it). */
export interface SignaturePredicate {
  serialization: { method: string; hash_type: string; allow_symlinks: boolean; shard_size?: number; ignore_paths?: string[] };
  resources: ResourceDescriptor[];
}

/** The statement of a model signature, its predicate typed. */
export type SignedStatement = Omit<Statement, 'predicate'> & { predicate: SignaturePredicate };

/** Reads a signature file as JSON, unchecked: tests read the bundles they wrote (and break). */
export function readJson(file: string): Bundle {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Bundle;
}

/** The statement of a provenance file `attest` wrote. */
export type ProvenanceStatement = Omit<InTotoStatement, 'predicate'> & { predicate: SlsaProvenanceV1 };

/** The statement inside a signature file. */
export function readStatement(sigFile: string): SignedStatement {
  return payloadJson(sigFile) as SignedStatement;
}

/** The statement inside a provenance file `attest` wrote. */
export function readProvenanceStatement(file: string): ProvenanceStatement {
  return payloadJson(file) as ProvenanceStatement;
}

function payloadJson(file: string): unknown {
  return JSON.parse(Buffer.from(readJson(file).dsseEnvelope.payload, 'base64').toString('utf8'));
}

/** Gives a field a value its type does not allow: the defect a test feeds in on purpose. */
export function setField<T extends object>(target: T, key: keyof T & string, value: unknown): void {
  Reflect.set(target, key, value);
}

/** Deletes a field its type requires: the defect a test feeds in on purpose. */
export function dropField<T extends object>(target: T, key: keyof T & string): void {
  Reflect.deleteProperty(target, key);
}
