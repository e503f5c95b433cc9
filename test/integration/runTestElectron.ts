// Runs the integration suite in a desktop VS Code downloaded by @vscode/test-electron
// (`npm run test:electron`). It needs to download VS Code, so it cannot run on the offline CI
// machine; there `npm test` runs the same suite in code-server (test/e2e/runVsCode.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { createModelWorkspace } from '../e2e/workspace';

async function main(): Promise<void> {
  const extensionDevelopmentPath = resolve(__dirname, '..', '..');
  const extensionTestsPath = join(extensionDevelopmentPath, 'dist', 'test', 'integration', 'index.js');
  const run = mkdtempSync(join(tmpdir(), 'model-signing-electron-'));
  try {
    const workspace = createModelWorkspace(run);
    await runTests({
      version: process.env['VSCODE_TEST_VERSION'] ?? 'stable',
      extensionDevelopmentPath,
      extensionTestsPath,
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--disable-workspace-trust',
        `--user-data-dir=${join(run, 'data')}`,
        `--extensions-dir=${join(run, 'ext')}`,
      ],
    });
  } finally {
    rmSync(run, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(message);
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT/.test(message)) {
    console.error('could not download VS Code; offline, `npm run test:vscode` runs the same suite in code-server');
  }
  process.exit(1);
});
