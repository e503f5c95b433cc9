// The click-through: drives the web workbench (code-server) with the extension loaded in
// development mode, the way a user would. Each step counts as passed or failed; a failed step
// leaves a screenshot. Selectors and pitfalls: /work/shared/docs/vscode-e2e.md §4.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from './playwright';
import { MODEL_DIR, WORKSPACE_NAME } from './workspace';

export interface ClickThroughOptions {
  page: Page;
  /** The workbench URL with the workspace folder and the extensionDevelopmentPath payload. */
  workbenchUrl: string;
  screenshotDir: string;
}

export interface StepCounts {
  passed: number;
  failed: number;
}

const explorerRow = (name: string) => `.explorer-folders-view .monaco-list-row[aria-label="${name}"]`;

export async function clickThrough({ page, workbenchUrl, screenshotDir }: ClickThroughOptions): Promise<StepCounts> {
  const counts: StepCounts = { passed: 0, failed: 0 };
  let workbenchLoaded = false;

  async function step(name: string, body: () => Promise<void>): Promise<void> {
    const started = Date.now();
    if (!workbenchLoaded && counts.passed + counts.failed > 0) {
      counts.failed++;
      console.log(`  ✘ ${name}: skipped, the workbench did not load`);
      return;
    }
    try {
      await body();
      counts.passed++;
      console.log(`  ✔ ${name} (${Date.now() - started} ms)`);
    } catch (err) {
      counts.failed++;
      console.log(`  ✘ ${name}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
      const shot = join(screenshotDir, `failed-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
      await page.screenshot({ path: shot }).then(
        () => console.log(`    screenshot: ${shot}`),
        () => undefined,
      );
    }
  }

  await step('the workbench loads in development mode', async () => {
    await page.goto(workbenchUrl);
    await page.locator('.monaco-workbench').waitFor();
    // The title says so when the payload's extensionDevelopmentPath was taken.
    await page.waitForFunction(`document.title.includes('[Extension Development Host]')`, undefined, { timeout: 30_000 });
    workbenchLoaded = true;
  });

  await step(`the explorer shows the workspace ${WORKSPACE_NAME}`, async () => {
    await page.locator(`.pane-header[aria-label="Explorer Section: ${WORKSPACE_NAME}"]`).waitFor();
  });

  await step(`the explorer shows ${MODEL_DIR}, which expands to its files`, async () => {
    const row = page.locator(explorerRow(MODEL_DIR));
    await row.waitFor();
    if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
    await page.locator(explorerRow('config.json')).waitFor();
    await page.locator(explorerRow('weights.bin')).waitFor();
  });

  await step('a screenshot of the workbench is saved', async () => {
    const shot = join(screenshotDir, 'workbench.png');
    await page.screenshot({ path: shot });
    if (statSync(shot).size === 0) throw new Error(`${shot} is empty`);
    console.log(`    screenshot: ${shot}`);
  });

  return counts;
}
