// A verification's progress notification goes when the verification is done: after Verify Model, even one that
// runs beside the live badge's own re-verification (a file of the model was written again), no "Verifying …"
// toast stays on screen.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type KeylessModel, SIGNED_MODEL } from './keylessModel';
import type { Page } from './playwright';
import { clearAllNotifications, explorerMenu } from './workbench';
import { WORKSPACE_NAME } from './workspace';

export interface ProgressToastsOptions {
  page: Page;
  keyless: KeylessModel;
}

export async function noProgressToastLingers({ page, keyless }: ProgressToastsOptions): Promise<void> {
  const folders = page.locator(`.pane-header[aria-label="Explorer Section: ${WORKSPACE_NAME}"]`);
  if ((await folders.getAttribute('aria-expanded')) !== 'true') await folders.click();
  const progress = page.locator('.notifications-toasts .notification-toast', { hasText: `Verifying ${SIGNED_MODEL}` });
  // Whatever the policy says by now: the result's own message, verified or signed by someone not pinned.
  const result = page.locator('.notifications-toasts .notification-toast', { hasText: new RegExp(`${SIGNED_MODEL}(: Signed by| verified:)`) });
  for (const alongsideLiveCheck of [false, true]) {
    await clearAllNotifications(page);
    // The same bytes written again: the live badge verifies the model again while Verify Model runs.
    const config = join(keyless.modelPath, 'config.json');
    if (alongsideLiveCheck) writeFileSync(config, readFileSync(config));
    await explorerMenu(page, SIGNED_MODEL, 'Verify Model');
    await result.first().waitFor({ timeout: 60_000 });
    // VS Code keeps a progress toast at least 800 ms: wait for it to go, not for a time.
    try {
      await progress.first().waitFor({ state: 'detached', timeout: 15_000 });
    } catch {
      throw new Error(
        `a progress toast stayed after Verify Model${alongsideLiveCheck ? ' beside the live check' : ''}: '${await progress.first().textContent()}'`,
      );
    }
  }
}
