// Runs the extension's tests in a real VS Code: code-server 4.96.4 (the VS Code 1.96.4 server, its
// web workbench and the real Node extension host), driven by headless Debian Chromium.
//   (a) the mocha suite of test/integration inside the extension host, through the workbench
//       URL's `payload` (extensionDevelopmentPath + extensionTestsPath); its output comes back
//       through window.codeAutomationLog, its result through window.codeAutomationExit;
//   (b) the click-through in clickThrough.ts, with the extension in development mode.
// Prints `N passed, N failed` last and exits 1 on any failure. Everything runs in a fresh temporary
// directory (user data, extensions, XDG dirs, workspace), kept when something failed.
//
//   npm run test:vscode     # setup.sh (once), build, then this file
// Environment: E2E_SUITE_TIMEOUT_MS (default 120000), CHROMIUM_PATH (default /usr/bin/chromium).
// How and why: /work/shared/docs/vscode-e2e.md.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { format } from 'node:util';
import { clickThrough, type StepCounts } from './clickThrough';
import { START_MARKER } from '../integration/marker';
import { HARNESS_DIR, launchBrowser } from './playwright';
import { prepareKeylessModel } from './keylessModel';
import { createModelWorkspace } from './workspace';

const ROOT = resolve(__dirname, '..', '..');
const CODE_SERVER = join(HARNESS_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const TESTS_ENTRY = join(ROOT, 'dist', 'test', 'integration', 'index.js');
const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');
const SUITE_TIMEOUT_MS = Number(process.env['E2E_SUITE_TIMEOUT_MS'] ?? 120_000);
// The workbench asks the Open VSX gallery about extensions; offline that fails at once, harmlessly.
const KNOWN_NOISE = /open-vsx\.org|\/gallery\/extensionquery/;

// User settings: no welcome page or walkthrough, nothing that reaches for the network.
const SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
};

interface Server {
  baseUrl: string;
  /** The wrapper's pid, which is also the process group of the server, its file watchers and extension hosts. */
  pid: number;
  log: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** `vscode-remote://remote/<abs path>`: the web workbench's remote authority is literally `remote`. */
const remoteUri = (absPath: string) => `vscode-remote://remote${absPath.split('/').map(encodeURIComponent).join('/')}`;

function workbenchUrl(server: Server, workspace: string, payload: [string, string][]): string {
  return `${server.baseUrl}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function startServer(run: string, workspace: string, extraSettings: Record<string, unknown> = {}): Promise<Server> {
  const dirs = {
    data: join(run, 'user-data'),
    extensions: join(run, 'extensions'), // empty: the development copy is the only extension of ours
    config: join(run, 'xdg', 'config'), // else code-server writes ~/.config/code-server/config.yaml
    data_home: join(run, 'xdg', 'data'),
    cache: join(run, 'xdg', 'cache'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  mkdirSync(join(dirs.data, 'User'), { recursive: true });
  writeFileSync(join(dirs.data, 'User', 'settings.json'), JSON.stringify({ ...SETTINGS, ...extraSettings }, null, 2));

  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: dirs.config, XDG_DATA_HOME: dirs.data_home, XDG_CACHE_HOME: dirs.cache };
  // Started from a VS Code terminal, code-server would otherwise talk to that VS Code.
  for (const key of Object.keys(env)) if (key.startsWith('VSCODE_')) delete env[key];

  const port = await freePort();
  const log = join(run, 'code-server.log');
  const logFd = openSync(log, 'w');
  const child = spawn(
    process.execPath,
    [
      CODE_SERVER,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--extensions-dir', dirs.extensions,
      '--user-data-dir', dirs.data,
      '--bind-addr', `127.0.0.1:${port}`,
      workspace,
    ],
    { detached: true, stdio: ['ignore', logFd, logFd], env }, // detached: its own process group (setsid)
  );
  if (child.pid === undefined) throw new Error('could not start code-server');
  const server: Server = { baseUrl: `http://127.0.0.1:${port}`, pid: child.pid, log };
  servers.push(server);
  let exitCode: number | null | undefined;
  child.on('exit', (code) => (exitCode = code));

  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`code-server exited with ${exitCode}:\n${tail(log)}`);
    try {
      if ((await fetch(`${server.baseUrl}/healthz`)).ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`code-server did not answer /healthz within 30 s:\n${tail(log)}`);
}

/** Live (non-zombie) processes in a process group, from /proc. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

/** Stops the whole process group, waiting for the extension hosts that outlive the browser pages. */
async function stopServer(server: Server): Promise<void> {
  for (const [signal, waitMs] of [['SIGTERM', 10_000], ['SIGKILL', 5_000]] as const) {
    try {
      process.kill(-server.pid, signal);
    } catch {
      return; // the group is gone
    }
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      if (groupMembers(server.pid).length === 0) return;
      await sleep(100);
    }
    if (signal === 'SIGKILL') console.error(`e2e: processes of group ${server.pid} still alive: ${groupMembers(server.pid).join(' ')}`);
  }
}

let runDir: string | undefined;
const servers: Server[] = [];
const browsers: { close(): Promise<void> }[] = [];

let cleaning: Promise<void> | undefined;

/** Closes the browsers and stops the servers; once, whether called on a signal or at the end. */
function cleanUp(): Promise<void> {
  cleaning ??= Promise.allSettled([...browsers.map((b) => b.close()), ...servers.map(stopServer)]).then(() => undefined);
  return cleaning;
}

/** (a) The mocha suite inside the extension host. */
async function runSuite(server: Server, workspace: string, profileDir: string): Promise<StepCounts> {
  const { context, page } = await launchBrowser(profileDir);
  browsers.push(context);
  const output: string[] = [];
  const preamble: string[] = []; // the workbench's start-up chatter, shown only if the suite goes wrong
  let started = false;
  let settle!: (code: number) => void;
  const exited = new Promise<number>((r) => (settle = r));
  // Defined before the workbench loads: it forwards the workbench's and the extension host's console here.
  await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => {
    const text = format(...(Array.isArray(args) ? args : [args]));
    started ||= text.startsWith(START_MARKER);
    if (started && !KNOWN_NOISE.test(text)) {
      output.push(text);
      console.log(text);
    } else {
      preamble.push(text);
    }
  });
  await page.exposeFunction('codeAutomationExit', (code: number) => settle(code));
  await page.goto(
    workbenchUrl(server, workspace, [
      ['extensionDevelopmentPath', remoteUri(ROOT)],
      ['extensionTestsPath', remoteUri(TESTS_ENTRY)],
    ]),
  );
  const code = await Promise.race([exited, sleep(SUITE_TIMEOUT_MS).then(() => 'timeout' as const)]);
  await context.close();

  if (code !== 0 && !started) console.log(`workbench console (the suite never started):\n${preamble.join('\n')}`);
  const all = output.join('\n');
  const passing = Number(/(\d+) passing/.exec(all)?.[1] ?? 0);
  const failing = Number(/(\d+) failing/.exec(all)?.[1] ?? 0);
  if (code === 'timeout') {
    console.log(`  ✘ the suite did not finish within ${SUITE_TIMEOUT_MS / 1000} s`);
    return { passed: passing, failed: Math.max(failing, 1) };
  }
  if (code !== 0) {
    if (failing === 0) console.log(`  ✘ the suite's run() failed (exit code ${code})`);
    return { passed: passing, failed: Math.max(failing, 1) };
  }
  if (passing === 0) {
    console.log('  ✘ the suite ran no tests');
    return { passed: 0, failed: 1 };
  }
  return { passed: passing, failed: failing };
}

async function main(): Promise<number> {
  const prerequisites: [file: string, fix: string][] = [
    [CODE_SERVER, 'bash test/e2e/setup.sh'],
    [join(ROOT, 'dist', 'extension.js'), 'npm run build'],
    [TESTS_ENTRY, 'npm run build'],
  ];
  for (const [file, fix] of prerequisites) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`${fix}\` (or npm run test:vscode)`);
  }
  const stale = readdirSync(join(ROOT, 'test', 'integration')).filter((f) => {
    const built = join(ROOT, 'dist', 'test', 'integration', f.replace(/\.ts$/, '.js'));
    return f.endsWith('.test.ts') && (!existsSync(built) || statSync(built).mtimeMs < statSync(join(ROOT, 'test', 'integration', f)).mtimeMs);
  });
  if (stale.length > 0) console.warn(`e2e: warning: dist/test/integration is older than ${stale.join(', ')}; run npm run build`);
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  const run = mkdtempSync(join(tmpdir(), 'model-signing-vscode-e2e-'));
  runDir = run;
  const workspace = createModelWorkspace(join(run, 'workspace'));
  const keyless = await prepareKeylessModel(workspace, run);
  const totals: StepCounts = { passed: 0, failed: 0 };
  const add = (c: StepCounts) => {
    totals.passed += c.passed;
    totals.failed += c.failed;
  };
  let server: Server | undefined;
  try {
    let started = Date.now();
    server = await startServer(run, workspace, { 'modelSigning.sigstore.trustConfig': keyless.trustConfig });
    console.log(`code-server 4.96.4 at ${server.baseUrl} (${seconds(started)}); workspace ${workspace}`);

    started = Date.now();
    console.log('\n(a) mocha suite in the extension host (test/integration)');
    const suite = await runSuite(server, workspace, join(run, 'chromium-suite'));
    add(suite);
    console.log(`suite: ${suite.passed} passed, ${suite.failed} failed (${seconds(started)})`);

    started = Date.now();
    console.log('\n(b) click-through (test/e2e/clickThrough.ts)');
    const { context, page } = await launchBrowser(join(run, 'chromium-click'));
    browsers.push(context);
    const clicks = await clickThrough({
      page,
      workbenchUrl: workbenchUrl(server, workspace, [['extensionDevelopmentPath', remoteUri(ROOT)]]),
      screenshotDir: SCREENSHOTS,
      keyless,
    });
    add(clicks);
    console.log(`click-through: ${clicks.passed} passed, ${clicks.failed} failed (${seconds(started)})`);
  } catch (err) {
    totals.failed++;
    console.error(`\ne2e: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    const stopping = Date.now();
    await cleanUp();
    console.log(`\nserver and extension hosts stopped (${seconds(stopping)})`);
  }
  if (totals.failed === 0) {
    rmSync(run, { recursive: true, force: true });
  } else {
    if (server) console.log(`code-server log (tail):\n${tail(server.log, 15)}`);
    console.log(`kept ${run} (code-server.log, user data) for a look`);
  }
  console.log(`${totals.passed} passed, ${totals.failed} failed`);
  return totals.failed === 0 ? 0 : 1;
}

// Stop code-server before exiting on a signal. Playwright's own handlers are off (launchBrowser):
// they exit right after closing the browsers. `on`, not `once`: tsx's hidden handler exits at once
// when no other listener is left.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (cleaning) return;
    console.error(`\ne2e: ${signal}, stopping code-server`);
    void cleanUp().finally(() => {
      if (runDir) console.error(`kept ${runDir}`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  });
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    await cleanUp();
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
