// Sign Model with "Hardware key (PKCS #11)" in the real workbench, against a SoftHSM2 token made here with
// a P-256 key: the method, the confirmation, the module, the token, the PIN (a password box) and the key,
// each picked as a user does. The extension runs in development mode (the click-through's), so the
// pkcs11js addon loads from dist/ in code-server's extension host; its SOFTHSM2_CONF is the path
// runVsCode.ts set before the server started. The signature must then verify with `verify key` and the
// public key pkcs11-tool reads off the token, and nothing the workbench shows may hold the PIN.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { NO_SOFTHSM, softHsm } from '../helpers/softHsm';
import type { Page } from './playwright';
import { badgeIncludes, clearNotifications, explorerMenu } from './workbench';

// Named to sort among the collapsed folders at the top of the Explorer: a row scrolled out of view is not in the page.
export const TOKEN_MODEL = 'hsm-model';
const KEY_LABEL = 'release-key';

export interface Pkcs11SigningOptions {
  page: Page;
  workspace: string;
  screenshotDir: string;
}

export async function pkcs11Signing({ page, workspace, screenshotDir }: Pkcs11SigningOptions): Promise<void> {
  if (NO_SOFTHSM) throw new Error(NO_SOFTHSM);
  const conf = process.env.SOFTHSM2_CONF;
  if (!conf) throw new Error('SOFTHSM2_CONF is not set: runVsCode.ts sets it before code-server starts');
  const hsm = softHsm(dirname(conf), 'e2e-token');
  const publicKey = hsm.makeKey(KEY_LABEL, 'EC:prime256v1', 'c0ffee');
  const model = join(workspace, TOKEN_MODEL);
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'weights.bin'), Buffer.alloc(1 << 16, 3));
  const pick = (text: string) => page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().click();

  await explorerMenu(page, TOKEN_MODEL, 'Sign Model');
  await pick('Hardware key (PKCS #11)');
  await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Sign' }).first().click();
  // The module from the standard folders' list, the token and, after the PIN, the key, from what the module lists.
  await pick(hsm.module);
  await pick(hsm.token);
  const pinBox = page.locator('.quick-input-widget input[type="password"]');
  await pinBox.waitFor();
  await pinBox.fill(hsm.pin);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'EC key, id c0ffee' }).first().waitFor();
  await page.screenshot({ path: join(screenshotDir, 'pkcs11-key-pick.png') });
  await pick(KEY_LABEL);
  await page.waitForFunction(badgeIncludes('Signed with key'), undefined, { timeout: 60_000 });
  await page
    .locator('.notifications-toasts .notification-toast', { hasText: `Signed ${TOKEN_MODEL}` })
    .first()
    .waitFor();
  await page.locator('.notifications-toasts .notification-toast', { hasText: 'Remember this token PIN' }).first().waitFor();
  if ((await page.textContent('body'))?.includes(hsm.pin)) throw new Error('the PIN shows in the workbench');
  await clearNotifications(page);
  await page.screenshot({ path: join(screenshotDir, 'pkcs11-signed.png') });

  // An ordinary key signature: the CLI checks it with the token's public key.
  const cli = resolve(__dirname, '..', '..', 'dist', 'cli.js');
  execFileSync(process.execPath, [cli, 'verify', 'key', model, '--signature', join(model, 'model.sig'), '--public-key', publicKey], { stdio: 'pipe' });
}
