// Page helpers for the web workbench, shared by the click-through and the installed-.vsix check.
// Selectors and pitfalls: ../shared/docs/vscode-e2e.md §4.
import { basename } from 'node:path';
import type { Page } from './playwright';

export const explorerRow = (name: string) => `.explorer-folders-view .monaco-list-row[aria-label="${name}"]`;

/**
 * The Signed Model view, alone in its own container in the panel: its pane header is merged into the panel's title
 * (hidden, but there to find the pane by).
 */
export const signedModelView = (page: Page) => page.locator('.pane', { has: page.locator('.pane-header[aria-label="Signed Model Section"]') });

export const BADGE = '[id="model-signing.model-signing-vscode.modelSigning.verification"]';

/** A page expression (a string: no DOM types here) that is true once the badge shows `text`. */
export const badgeIncludes = (text: string) => `document.querySelector(${JSON.stringify(BADGE)})?.textContent?.includes(${JSON.stringify(text)})`;

/** Opens the Explorer menu on a row and clicks one of our items, reopening it until our contributions are in. */
export async function explorerMenu(page: Page, row: string, label: string): Promise<void> {
  const item = page.getByRole('menuitem', { name: label });
  for (let attempt = 1; ; attempt++) {
    await page.click(explorerRow(row), { button: 'right' });
    try {
      await item.waitFor({ timeout: 10_000 });
      break;
    } catch (e) {
      if (attempt === 6) throw e;
      await page.keyboard.press('Escape');
    }
  }
  // The menu item listens for clicks only 100 ms after it appears (vscode-e2e.md, pitfall 1): a click that came too
  // early leaves the menu open, so click until the menu is gone rather than sleep past those 100 ms.
  const menu = page.locator('.context-view .monaco-menu');
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1 && (await menu.count()) === 0) return; // the last click took after all
    await item.click({ timeout: 5000 });
    try {
      await menu.waitFor({ state: 'detached', timeout: 2000 });
      return;
    } catch (e) {
      if (attempt === 5) throw e;
    }
  }
}

/**
 * Earlier steps leave toasts over the editor: clear them (command palette) before a screenshot. Best effort: the
 * screenshot is not what the step checks, and F1 is lost when the keyboard focus sits inside the webview.
 */
export async function clearNotifications(page: Page): Promise<void> {
  try {
    await clearAllNotifications(page);
  } catch (e) {
    await page.keyboard.press('Escape');
    console.log(`    (notifications not cleared before the screenshot: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`);
  }
}

/** Notifications: Clear All Notifications, from the command palette; throws when it could not. */
export async function clearAllNotifications(page: Page): Promise<void> {
  // Focus the workbench outside the webview (the Explorer's title), so F1 reaches it.
  await page.locator('.explorer-viewlet .title, .sidebar .composite.title').first().click();
  await page.keyboard.press('F1');
  await page.locator('.quick-input-box input').fill('>Notifications: Clear All Notifications', { timeout: 10_000 });
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Clear All Notifications' }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  await page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'detached' });
}

/** Answers VS Code's own file dialog of the web workbench (a path box over a file list) with a path. */
export async function chooseFileInDialog(page: Page, file: string): Promise<void> {
  const pathBox = page.locator('.quick-input-box input');
  await pathBox.waitFor();
  // The dialog fills in its starting folder first; typing before that lands in the middle of it.
  await page.locator('.quick-input-list .monaco-list-row', { hasText: '..' }).first().waitFor();
  await page.waitForFunction(`document.querySelector('.quick-input-box input')?.value.startsWith('/')`);
  // The dialog shows no sign of having taken in a typed path: OK until it closes, rather than sleep before OK.
  for (let attempt = 1; ; attempt++) {
    await pathBox.fill(file);
    await page.waitForFunction(`document.querySelector('.quick-input-box input')?.value === ${JSON.stringify(file)}`);
    // The list shows the typed path's folder.
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: basename(file) })
      .first()
      .waitFor();
    await page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' }).first().click();
    try {
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 3000 });
      return;
    } catch (e) {
      if (attempt === 5) throw e;
    }
  }
}
