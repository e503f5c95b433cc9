// code-server 4.96.4 (the VS Code 1.96.4 server, its web workbench and the real Node extension
// host) on 127.0.0.1, for the tests (runVsCode.ts) and for `npm start` (test/demo/vscode.ts): start
// it in a fresh directory, install a .vsix into it, stop its whole process group.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { HARNESS_DIR } from './playwright';

export const CODE_SERVER = join(HARNESS_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

// User settings: no welcome page or walkthrough, nothing that reaches for the network.
export const SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
};

export interface Server {
  baseUrl: string;
  /** The wrapper's pid, which is also the process group of the server, its file watchers and extension hosts. */
  pid: number;
  log: string;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `vscode-remote://remote/<abs path>`: the web workbench's remote authority is literally `remote`. */
export const remoteUri = (absPath: string) => `vscode-remote://remote${absPath.split('/').map(encodeURIComponent).join('/')}`;

export function workbenchUrl(server: Server, workspace: string, payload: [string, string][]): string {
  return `${server.baseUrl}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Every server started, for the clean-up on exit (also one that never answered). */
export const startedServers: Server[] = [];

export interface ServerOptions {
  /**
   * The remote (machine) settings: the workbench is a remote window, whose local user settings never
   * hold a `machine`-scoped setting such as modelSigning.sigstore.trustConfig.
   */
  settings?: Record<string, unknown>;
  /** Workspace Trust on: a folder not trusted yet opens in Restricted Mode, with no prompt. Default off. */
  workspaceTrust?: boolean;
  /** Default: a free one. */
  port?: number;
}

/** The directories of one code-server under `run`. */
export function serverDirs(run: string) {
  return {
    data: join(run, 'user-data'),
    machineSettings: join(run, 'user-data', 'Machine'), // settings.json here: the remote settings
    extensions: join(run, 'extensions'), // empty unless installVsix put ours there; tests load the development copy
    config: join(run, 'xdg', 'config'), // else code-server writes ~/.config/code-server/config.yaml
    data_home: join(run, 'xdg', 'data'),
    cache: join(run, 'xdg', 'cache'),
  };
}

/** The environment code-server runs in: its own XDG dirs, and never the VS Code this was started from. */
function serverEnv(run: string): NodeJS.ProcessEnv {
  const dirs = serverDirs(run);
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: dirs.config, XDG_DATA_HOME: dirs.data_home, XDG_CACHE_HOME: dirs.cache };
  for (const key of Object.keys(env)) if (key.startsWith('VSCODE_')) delete env[key];
  return env;
}

/** The remote settings of the code-server under `run`: where a user puts `machine`-scoped settings. */
export const machineSettingsFile = (run: string) => join(serverDirs(run).machineSettings, 'settings.json');

/** Installs a .vsix into the extensions directory of the code-server under `run`, as a user would. */
export function installVsix(run: string, vsix: string): void {
  const dirs = serverDirs(run);
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const r = spawnSync(process.execPath, [CODE_SERVER, '--extensions-dir', dirs.extensions, '--user-data-dir', dirs.data, '--install-extension', vsix], {
    env: serverEnv(run),
    encoding: 'utf8',
  });
  if (r.status !== 0 || !/was successfully installed/.test(r.stdout))
    throw new Error(`installing ${vsix} failed (exit ${r.status}): ${(r.stdout + r.stderr).trim()}`);
}

export async function startServer(run: string, workspace: string, options: ServerOptions = {}): Promise<Server> {
  const extraSettings = options.settings ?? {};
  const dirs = serverDirs(run);
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  mkdirSync(join(dirs.data, 'User'), { recursive: true });
  const trust = options.workspaceTrust ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' } : {};
  writeFileSync(join(dirs.data, 'User', 'settings.json'), JSON.stringify({ ...SETTINGS, ...trust }, null, 2));
  writeFileSync(machineSettingsFile(run), JSON.stringify(extraSettings, null, 2));

  const env = serverEnv(run);
  const port = options.port ?? (await freePort());
  const log = join(run, 'code-server.log');
  const logFd = openSync(log, 'w');
  const child = spawn(
    process.execPath,
    [
      CODE_SERVER,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--extensions-dir',
      dirs.extensions,
      '--user-data-dir',
      dirs.data,
      '--bind-addr',
      `127.0.0.1:${port}`,
      workspace,
    ],
    { detached: true, stdio: ['ignore', logFd, logFd], env }, // detached: its own process group (setsid)
  );
  if (child.pid === undefined) throw new Error('could not start code-server');
  const server: Server = { baseUrl: `http://127.0.0.1:${port}`, pid: child.pid, log };
  startedServers.push(server);
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
export function groupMembers(pgid: number): number[] {
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
export async function stopServer(server: Server): Promise<void> {
  for (const [signal, waitMs] of [
    ['SIGTERM', 10_000],
    ['SIGKILL', 5_000],
  ] as const) {
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
