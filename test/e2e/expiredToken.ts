// A pasted identity token that has expired: the message says it is the token the user pasted, and when
// it expired, not "from the command line".
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KeylessModel } from './keylessModel';
import type { Page } from './playwright';
import { explorerMenu } from './workbench';
import { WORKSPACE_NAME } from './workspace';

const EXPIRED_UI_MODEL = 'expired-token-model';

export async function expiredPastedToken({ page, keyless }: { page: Page; keyless: KeylessModel }): Promise<void> {
  const model = join(dirname(keyless.modelPath), EXPIRED_UI_MODEL);
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'weights.bin'), Buffer.alloc(1 << 16, 3));
  const folders = page.locator(`.pane-header[aria-label="Explorer Section: ${WORKSPACE_NAME}"]`);
  if ((await folders.getAttribute('aria-expanded')) !== 'true') await folders.click();
  const exp = Math.floor(Date.now() / 1000) - 120;
  const token = await keyless.mintToken({ iat: exp - 600, exp });
  await explorerMenu(page, EXPIRED_UI_MODEL, 'Sign Model');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Sigstore (keyless)' }).first().click();
  await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Sign' }).first().click();
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Paste an identity token' }).first().click();
  const tokenBox = page.locator('.quick-input-widget input[type="password"]');
  await tokenBox.waitFor();
  await tokenBox.fill(token);
  await page.keyboard.press('Enter');
  const expiredAt = new Date(exp * 1000).toISOString();
  await page
    .locator('.notifications-toasts .notification-toast', { hasText: `The identity token you pasted expired at ${expiredAt}` })
    .first()
    .waitFor({ timeout: 60_000 });
}
