// The extension as users get it: `vsce package` into a .vsix (no warnings allowed), installed into
// a code-server of its own with no development copy, so it runs from its bundles alone.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Page } from './playwright';
import { badgeIncludes, explorerMenu } from './workbench';

const ROOT = resolve(__dirname, '..', '..');

/**
 * Runs `vsce package` (its prepublish step makes the production bundles) and returns the .vsix path.
 * Throws on a failure or on any warning vsce prints.
 */
export function packageVsix(
  outDir: string,
  extension: { dir: string; name: string; vsceArgs: string[] } = { dir: ROOT, name: 'model-signing-vscode', vsceArgs: [] },
): string {
  const file = join(outDir, `${extension.name}.vsix`);
  const vsce = join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'package', '--out', file, ...extension.vsceArgs], { cwd: extension.dir, encoding: 'utf8' });
  const output = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`vsce package failed (exit ${r.status}): ${output.trim()}`);
  const warnings = output.split('\n').filter((l) => /\bWARNING\b/i.test(l));
  if (warnings.length > 0) throw new Error(`vsce package warned: ${warnings.join(' | ')}`);
  return file;
}

/**
 * In a workbench with only the installed .vsix: Verify Model from the Explorer shows the signer on the badge,
 * Verified as the click-through pinned it in the workspace's policy.
 */
export async function verifyWithInstalledVsix(page: Page, workbenchUrl: string, model: string, signer: string, screenshot: string): Promise<void> {
  await page.goto(workbenchUrl);
  await page.locator('.monaco-workbench').waitFor();
  // The title names the workspace, without the development host's mark: the .vsix is what runs.
  await page.waitForFunction(`document.title.includes('model-workspace') && !document.title.includes('[Extension Development Host]')`, undefined, {
    timeout: 30_000,
  });
  await explorerMenu(page, model, 'Verify Model');
  await page.waitForFunction(badgeIncludes(`Verified · ${signer}`), undefined, { timeout: 60_000 });
  await page.screenshot({ path: screenshot });
}

/**
 * The GitHub Enterprise sign-in stand-in (test/e2e/fakeGitHubAuth) as a .vsix: the web workbench loads one
 * development extension only, so the tests install this one as users install extensions.
 */
export function packageFakeGitHubAuth(outDir: string): string {
  return packageVsix(outDir, {
    dir: join(__dirname, 'fakeGitHubAuth'),
    name: 'fake-github-enterprise-auth',
    vsceArgs: ['--allow-missing-repository', '--skip-license'],
  });
}
