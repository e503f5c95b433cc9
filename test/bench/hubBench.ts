// `hub download` of the 2 GiB model from the Hub stand-in on 127.0.0.1 (a process of its own), against
// downloads of the same files with no hashing: what hashing while streaming costs.
//   plain      http.get → fs.createWriteStream, two files at once (Node's streams, nothing of ours)
//   no hash    our transfer (streamVerifiedFile: batched writes, Range resume) with a hash that does nothing
//   sha256     the same with sha256: what `hub download` runs per file
//   CLI        `model-signing hub download` end to end (listing, signature, key check, rename), a child process
// Each run times the four one after another, so a change in the machine's load hits them alike.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { HubClient } from '../../src/core/hub/hubClient';
import { StreamHash, noHash, streamVerifiedFile } from '../../src/core/hub/streamVerifiedFile';

export interface HubBenchRow {
  name: string;
  times: number[];
}

const now = () => performance.now() / 1000;

/** The big model's files linked into a folder of their own with a signature beside them (the bench's other models stay unsigned). */
function signedCopy(bigDir: string, files: readonly string[], benchDir: string, cli: string, key: string): string {
  const dir = path.join(benchDir, 'model-2gib-hub');
  fs.mkdirSync(dir, { recursive: true });
  for (const f of files) {
    const target = path.join(dir, f);
    if (!fs.existsSync(target) || fs.statSync(target).ino !== fs.statSync(path.join(bigDir, f)).ino) {
      fs.rmSync(target, { force: true });
      fs.linkSync(path.join(bigDir, f), target);
    }
  }
  const sig = path.join(dir, 'model.sig');
  if (!fs.existsSync(sig) || fs.statSync(sig).mtimeMs < Math.max(...files.map((f) => fs.statSync(path.join(dir, f)).mtimeMs))) {
    const r = spawnSync(process.execPath, [cli, 'sign', 'key', dir, '--private-key', key, '--signature', sig], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`signing the hub model failed: ${r.stderr}`);
  }
  return dir;
}

function startServer(dir: string): Promise<{ endpoint: string; commit: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'hubServe.ts'), dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let text = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`the Hub stand-in exited (${code})`)));
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
      if (!text.includes('\n')) return;
      const { endpoint, commit } = JSON.parse(text) as { endpoint: string; commit: string };
      child.removeAllListeners('exit');
      resolve({ endpoint, commit, stop: () => child.stdin.end() });
    });
  });
}

function plainGet(url: string, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        if (res.statusCode === 302) {
          res.resume();
          return void plainGet(new URL(res.headers.location!, url).href, dest).then(resolve, reject);
        }
        res.pipe(fs.createWriteStream(dest)).on('finish', resolve).on('error', reject);
      })
      .on('error', reject);
  });
}

export async function hubBench(opts: {
  bigDir: string;
  files: readonly string[];
  fileSize: number;
  benchDir: string;
  cli: string;
  key: string;
  pub: string;
  runs: number;
}): Promise<HubBenchRow[]> {
  const dir = signedCopy(opts.bigDir, opts.files, opts.benchDir, opts.cli, opts.key);
  const server = await startServer(dir);
  const out = path.join(opts.benchDir, 'hub-out');
  const client = new HubClient({ endpoint: server.endpoint });
  const fresh = () => {
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out);
  };
  const ours = (hash: () => StreamHash) =>
    Promise.all(
      opts.files.map((f) =>
        streamVerifiedFile({
          open: (start) => client.openFile('org/bench', server.commit, f, { start }),
          dest: path.join(out, f),
          size: opts.fileSize,
          hash,
          what: f,
        }),
      ),
    );
  const variants: Array<[string, () => Promise<unknown>]> = [
    [
      'plain download, no hashing (http.get → fs.createWriteStream)',
      () => Promise.all(opts.files.map((f) => plainGet(`${server.endpoint}/org/bench/resolve/${server.commit}/${f}`, path.join(out, f)))),
    ],
    ['our transfer, no hashing', () => ours(noHash)],
    ['our transfer, sha256 while streaming', () => ours(() => createHash('sha256'))],
    [
      '`hub download` CLI, end to end',
      () =>
        new Promise<void>((resolve, reject) => {
          fs.rmSync(out, { recursive: true, force: true });
          const c = spawn(process.execPath, [opts.cli, 'hub', 'download', 'key', 'org/bench', '--to', out, '--public-key', opts.pub], {
            env: { ...process.env, HF_ENDPOINT: server.endpoint, HF_TOKEN: '' },
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let stderr = '';
          c.stderr.on('data', (d) => (stderr += d));
          c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`hub download failed: ${stderr}`))));
        }),
    ],
  ];
  const rows: HubBenchRow[] = variants.map(([name]) => ({ name, times: [] }));
  try {
    for (let run = 0; run < opts.runs; run++) {
      for (const [i, [, task]] of variants.entries()) {
        fresh();
        const t0 = now();
        await task();
        rows[i]!.times.push(now() - t0);
      }
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
    server.stop();
  }
  return rows;
}
