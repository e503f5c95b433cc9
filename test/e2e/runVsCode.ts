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
// Environment: E2E_SUITE_TIMEOUT_MS (default 600000), CHROMIUM_PATH (default /usr/bin/chromium).
// How and why: ../shared/docs/vscode-e2e.md.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { format } from 'node:util';
import { clickThrough, type StepCounts } from './clickThrough';
import { INTEGRATION_SCRATCH, START_MARKER } from '../integration/marker';
import {
  CODE_SERVER,
  Server,
  installVsix,
  machineSettingsFile,
  remoteUri,
  sleep,
  startServer,
  startedServers,
  stopServer,
  tail,
  workbenchUrl,
} from './codeServer';
import { launchBrowser } from './playwright';
import { KeylessModel, SIGNED_MODEL, SIGNER, prepareKeylessModel } from './keylessModel';
import { packageFakeGitHubAuth, packageVsix, verifyWithInstalledVsix } from './vsix';
import { createModelWorkspace } from './workspace';
import { prepareForgedModel } from './forgedModel';
import { prepareKeySignedModel } from './keySignedModel';
import { prepareRestrictedWorkspace, restrictedMode } from './restrictedMode';

const ROOT = resolve(__dirname, '..', '..');
const TESTS_ENTRY = join(ROOT, 'dist', 'test', 'integration', 'index.js');
const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');
// Only ends a suite that hangs: a loaded 2-core machine takes minutes, and each test has its own timeout.
const SUITE_TIMEOUT_MS = Number(process.env['E2E_SUITE_TIMEOUT_MS'] ?? 600_000);
// The workbench asks the Open VSX gallery about extensions; offline that fails at once, harmlessly.
const KNOWN_NOISE = /open-vsx\.org|\/gallery\/extensionquery/;

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

let runDir: string | undefined;
const browsers: { close(): Promise<void> }[] = [];

let cleaning: Promise<void> | undefined;

/** Closes the browsers and stops the servers; once, whether called on a signal or at the end. */
function cleanUp(): Promise<void> {
  cleaning ??= Promise.allSettled([...browsers.map((b) => b.close()), ...startedServers.map(stopServer)]).then(() => undefined);
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

/** (c) `vsce package` with no warnings, the .vsix installed (no development copy, no node_modules), Verify Model works. */
async function installedVsix(run: string, workspace: string, keyless: KeylessModel): Promise<StepCounts> {
  const started = Date.now();
  try {
    const vsix = packageVsix(run);
    console.log(`    ${basename(vsix)}: ${(statSync(vsix).size / 1e6).toFixed(2)} MB, packaged with no warnings`);
    const installRun = join(run, 'installed');
    installVsix(installRun, vsix);
    const server = await startServer(installRun, workspace, { settings: { 'modelSigning.sigstore.trustConfig': keyless.trustConfig } });
    const { context, page } = await launchBrowser(join(run, 'chromium-installed'));
    browsers.push(context);
    await verifyWithInstalledVsix(page, workbenchUrl(server, workspace, []), SIGNED_MODEL, SIGNER, join(SCREENSHOTS, 'installed-vsix.png'));
    console.log(`  ✔ the installed .vsix verifies ${SIGNED_MODEL} from the Explorer: Verified · ${SIGNER} (${seconds(started)})`);
    return { passed: 1, failed: 0 };
  } catch (e) {
    console.log(`  ✘ the installed .vsix: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
    return { passed: 0, failed: 1 };
  }
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
  await prepareForgedModel(workspace, SIGNER, keyless.issuer);
  await prepareKeySignedModel(workspace);
  const restricted = prepareRestrictedWorkspace(run, keyless);
  // The extension host inherits it from code-server: the PKCS #11 step makes its SoftHSM2 token there (pkcs11Signing.ts).
  process.env.SOFTHSM2_CONF = join(run, 'softhsm', 'softhsm2.conf');
  const totals: StepCounts = { passed: 0, failed: 0 };
  const add = (c: StepCounts) => {
    totals.passed += c.passed;
    totals.failed += c.failed;
  };
  let server: Server | undefined;
  try {
    let started = Date.now();
    // The GitHub Enterprise sign-in stand-in, installed as users install extensions (ours runs in development mode).
    installVsix(run, packageFakeGitHubAuth(run));
    server = await startServer(run, workspace, {
      settings: {
        'modelSigning.sigstore.trustConfig': keyless.trustConfig,
        // Signing with the editor's GitHub account: the API stand-in, and the session the test sign-in provider hands out.
        'modelSigning.github.apiUrl': keyless.github.apiBase,
        'modelSigningTests.githubSession': keyless.github.session,
      },
    });
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
      machineSettings: machineSettingsFile(run),
    });
    add(clicks);
    console.log(`click-through: ${clicks.passed} passed, ${clicks.failed} failed (${seconds(started)})`);

    started = Date.now();
    console.log('\n(c) the packaged extension: vsce package, installed into a code-server of its own');
    add(await installedVsix(run, workspace, keyless));
    console.log(`(${seconds(started)})`);

    started = Date.now();
    console.log('\n(d) Restricted Mode: an untrusted folder, in a code-server with Workspace Trust on');
    add(await restrictedMode({ folder: restricted, extensionRoot: ROOT, keyless, screenshotDir: SCREENSHOTS }));
    console.log(`(${seconds(started)})`);
  } catch (err) {
    totals.failed++;
    console.error(`\ne2e: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    const stopping = Date.now();
    await cleanUp();
    await keyless.stop();
    console.log(`\nserver and extension hosts stopped (${seconds(stopping)})`);
  }
  if (totals.failed === 0) {
    rmSync(run, { recursive: true, force: true });
  } else {
    if (server) console.log(`code-server log (tail):\n${tail(server.log, 15)}`);
    // The suite's scratch models (gigabytes) go even then: kept runs must not fill /tmp.
    rmSync(join(dirname(workspace), INTEGRATION_SCRATCH), { recursive: true, force: true });
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
