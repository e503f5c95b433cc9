// Page helpers for the web workbench, shared by the click-through and the installed-.vsix check.
// Selectors and pitfalls: /work/shared/docs/vscode-e2e.md §4.
import type { Page } from './playwright';

export const explorerRow = (name: string) => `.explorer-folders-view .monaco-list-row[aria-label="${name}"]`;

export const BADGE = '[id="model-signing.model-signing-vscode.modelSigning.verification"]';

/** A page expression (a string: no DOM types here) that is true once the badge shows `text`. */
export const badgeIncludes = (text: string) => `document.querySelector(${JSON.stringify(BADGE)})?.textContent?.includes(${JSON.stringify(text)})`;

/** Opens the Explorer menu on a row and clicks one of our items, reopening it until our contributions are in. */
export async function explorerMenu(page: Page, row: string, label: string): Promise<void> {
  await page.locator('.pane-header[aria-label="Signed Model Section"]').waitFor({ timeout: 30_000 });
  const item = page.getByRole('menuitem', { name: label });
  for (let attempt = 1; ; attempt++) {
    await page.click(explorerRow(row), { button: 'right' });
    try {
      await item.waitFor({ timeout: 5000 });
      break;
    } catch (e) {
      if (attempt === 3) throw e;
      await page.keyboard.press('Escape');
    }
  }
  await page.waitForTimeout(250); // the menu item listens for clicks only after 100 ms (vscode-e2e.md, pitfall 1)
  await item.click();
  await page.locator('.context-view .monaco-menu').waitFor({ state: 'detached', timeout: 5000 });
}
