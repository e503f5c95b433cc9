// The digest cache on a large model (`npm run bench`, or alone: `node --import tsx test/bench/cacheBench.ts`
// after `npm run build`). Makes an 8 GiB model of 200 files (real data: sparse files hash differently) in a
// temporary folder, deleted after; then times the CLI end to end (the process, as a user runs it):
// `sign key` without the cache (a full hash), the first `sign key --cache`, and `sign key --cache` again
// after one 4 KiB file changed. Prints numbers and PASS/MISS against the target; fails nothing.
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

const REPO = path.resolve(__dirname, '../..');
const CLI = path.join(REPO, 'dist/cli.js');

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const MODEL_BYTES = 8 * GiB;
const FILES = 200;
const CONFIG_BYTES = 4 * KiB;
/** 199 weight files of equal size (a multiple of 4 KiB) and the 4 KiB config.json: 8 GiB in all, less a few KiB. */
const WEIGHT_BYTES = Math.floor((MODEL_BYTES - CONFIG_BYTES) / (FILES - 1) / (4 * KiB)) * 4 * KiB;
const TOTAL_BYTES = WEIGHT_BYTES * (FILES - 1) + CONFIG_BYTES;
const RUNS = 3;
const TARGET_SECONDS = 0.5;
/** Free space kept beside the model, for the others on this disk. */
const SPARE_BYTES = 4 * GiB;

const now = () => performance.now() / 1000;
const s3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

interface Timed {
  seconds: number;
  /** User + system CPU time of the process and its threads (GNU time), which the machine's load does not inflate. */
  cpu: number;
  code: number;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';
const hasGnuTime = spawnSync(GNU_TIME, ['-f', '%U %S', 'true']).status === 0;

function runCli(args: readonly string[], dir: string): Promise<Timed> {
  const cmd = [process.execPath, CLI, ...args];
  const cpuFile = path.join(dir, 'cpu.txt');
  const [file, ...argv] = hasGnuTime ? [GNU_TIME, '-f', '%U %S', '-o', cpuFile, ...cmd] : cmd;
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(file!, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = now() - t0;
      const [user, sys] = hasGnuTime ? fs.readFileSync(cpuFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) : [NaN, NaN];
      resolve({ seconds, cpu: user! + sys!, code: code ?? -1, stderr });
    });
  });
}

/** 199 files of random-ish data (a 64 MiB random block, its head changed for every block) and config.json. */
function makeModel(dir: string): void {
  const block = crypto.randomBytes(64 * MiB);
  for (let f = 0; f < FILES - 1; f++) {
    const fd = fs.openSync(path.join(dir, `model-${String(f + 1).padStart(5, '0')}-of-00199.safetensors`), 'w');
    try {
      for (let off = 0; off < WEIGHT_BYTES; off += block.length) {
        block.writeUInt32LE(f, 0);
        block.writeUInt32LE(off / block.length, 4);
        crypto.randomFillSync(block, 8, 4088);
        const n = Math.min(block.length, WEIGHT_BYTES - off);
        for (let w = 0; w < n;) w += fs.writeSync(fd, block, w, n - w);
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  fs.writeFileSync(path.join(dir, 'config.json'), crypto.randomBytes(CONFIG_BYTES));
}

/** What one run reused and hashed, from its "Digest cache:" line. */
function cacheLine(r: Timed): string {
  return /^Digest cache: .*$/m.exec(r.stderr)?.[0] ?? `no cache line (exit ${r.code}: ${r.stderr.trim().slice(0, 200)})`;
}

export async function cacheBench(log: (s?: string) => void): Promise<void> {
  const free = (() => {
    const st = fs.statfsSync(os.tmpdir());
    return st.bavail * st.bsize;
  })();
  if (free < TOTAL_BYTES + SPARE_BYTES) {
    log(`  skipped: ${(free / GiB).toFixed(1)} GiB free in ${os.tmpdir()}, ${((TOTAL_BYTES + SPARE_BYTES) / GiB).toFixed(0)} GiB needed`);
    return;
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'model-signing-cache-bench-'));
  try {
    const model = path.join(root, 'model');
    const cache = path.join(root, 'cache');
    const signature = path.join(root, 'model.sig');
    const key = path.join(root, 'key.pem');
    fs.mkdirSync(model);
    fs.writeFileSync(key, crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const t0 = now();
    makeModel(model);
    // Dirty pages written out now, so the kernel's write-back does not run during the measurements.
    spawnSync('sync', [], { stdio: 'ignore' });
    log(`  ${FILES} files, ${(TOTAL_BYTES / GiB).toFixed(2)} GiB, written in ${(now() - t0).toFixed(1)} s to ${root} (deleted at the end)`);
    log(`  load average ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} CPUs`);
    const sign = (...more: string[]) => runCli(['sign', 'key', model, '--private-key', key, '--signature', signature, ...more], root);

    // The first run also reads the model into the page cache, as the other benches warm theirs.
    await sign();
    const full: Timed[] = [];
    for (let i = 0; i < RUNS; i++) full.push(await sign());
    const first = await sign(`--cache=${cache}`);
    const again: Timed[] = [];
    const start: Timed[] = [];
    for (let i = 0; i < RUNS; i++) {
      fs.writeFileSync(path.join(model, 'config.json'), crypto.randomBytes(CONFIG_BYTES));
      again.push(await sign(`--cache=${cache}`));
      start.push(await runCli(['--version'], root));
    }
    const row = (what: string, runs: readonly Timed[], note = '') => {
      const best = runs.reduce((b, r) => (r.seconds < b.seconds ? r : b));
      log(`  ${what.padEnd(58)} ${s3(best.seconds)} s wall, ${s3(best.cpu)} s CPU${note}`);
      return best.seconds;
    };
    row(`sign key, no cache (a full hash), best of ${RUNS}`, full);
    row('sign key --cache, first run (empty cache)', [first], `   ${cacheLine(first)}`);
    const cachedBest = row(`sign key --cache, one 4 KiB file changed, best of ${RUNS}`, again, `   ${cacheLine(again[again.length - 1]!)}`);
    row(`(floor) model-signing --version, best of ${RUNS}`, start);
    log(`  load average ${os.loadavg()[0]!.toFixed(2)} at the end`);
    const ok = again.every((r) => r.code === 0 && / 199 of 200 digests reused .* 1 computed \(4\.1 KB\)$/m.test(r.stderr));
    log(
      `  ${ok && cachedBest < TARGET_SECONDS ? 'PASS' : 'MISS'}  re-sign with the cache after one 4 KiB file changed < ${TARGET_SECONDS} s, hashing only that file`,
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  cacheBench((s = '') => process.stdout.write(s + '\n')).catch((e) => {
    process.stderr.write(`cache bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
