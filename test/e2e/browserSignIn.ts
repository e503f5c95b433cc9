// "Sign in with a browser" in code-server, where the browser is not where the extension host listens:
// asExternalUri turns the loopback callback into code-server's /proxy/<port>/ (path lost), so the
// extension asks for the out-of-band code. The prompt shows the link (with Copy) and what it waits for;
// a second page of the same browser completes the local issuer's login page, whose code is pasted back.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type KeylessModel, SIGNER } from './keylessModel';
import type { Page } from './playwright';
import { badgeIncludes, explorerMenu } from './workbench';
import { WORKSPACE_NAME } from './workspace';

/** A folder this step makes and signs through the browser sign-in. */
export const BROWSER_UI_MODEL = 'browser-model';

export interface BrowserSignInOptions {
  page: Page;
  /** The local Sigstore the settings name, its issuer, and the workspace (the signed model's folder). */
  keyless: KeylessModel;
  screenshotDir: string;
}

export async function browserSignIn({ page, keyless, screenshotDir }: BrowserSignInOptions): Promise<void> {
  const model = join(dirname(keyless.modelPath), BROWSER_UI_MODEL);
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'weights.bin'), Buffer.alloc(1 << 20, 5));
  const folders = page.locator(`.pane-header[aria-label="Explorer Section: ${WORKSPACE_NAME}"]`);
  if ((await folders.getAttribute('aria-expanded')) !== 'true') await folders.click();
  await explorerMenu(page, BROWSER_UI_MODEL, 'Sign Model');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Sigstore (keyless)' }).first().click();
  await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Sign' }).first().click();
  // The item names the sign-in page the settings' Sigstore uses: the local issuer.
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: `the sign-in page at ${new URL(keyless.issuer).host}` })
    .first()
    .click();

  // What the sign-in waits for, the link, and Copy.
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: 'paste the code the page shows' }).waitFor({ timeout: 60_000 });
  await widget.locator('[aria-label="Copy the sign-in link"]').first().waitFor();
  const prompt = (await widget.locator('.quick-input-message').first().textContent()) ?? '';
  const link = /Sign-in link: (\S+)/.exec(prompt)?.[1];
  if (!link) throw new Error(`no sign-in link in the prompt '${prompt}'`);
  const redirect = new URL(link).searchParams.get('redirect_uri');
  if (redirect !== 'urn:ietf:wg:oauth:2.0:oob') throw new Error(`the sign-in link redirects to ${redirect}, not the out-of-band page`);
  // Hashing is over while the sign-in waits: its progress says so, not "100% · 0s left".
  await page
    .locator('.notifications-toasts .notification-toast', { hasText: `Signing ${BROWSER_UI_MODEL}` })
    .first()
    .waitFor();
  await page.locator('.notifications-toasts .notification-toast', { hasText: '1.0 MB hashed' }).first().waitFor();
  const shot = join(screenshotDir, 'browser-sign-in.png');
  await page.screenshot({ path: shot });
  console.log(`    screenshot: ${shot}`);

  // The user, in another tab: the issuer's login page, then its code.
  const tab = await page.context().newPage();
  let code: string;
  try {
    await tab.goto(link);
    await tab.locator('input[name="email"]').fill(SIGNER);
    await tab.locator('button[value="approve"]').click();
    code = ((await tab.locator('#code').textContent()) ?? '').trim();
  } finally {
    await tab.close();
  }
  if (!code) throw new Error('the login page showed no code');
  await page.locator('.quick-input-box input').fill(code);
  await page.keyboard.press('Enter');
  await page.waitForFunction(badgeIncludes(`Signed by ${SIGNER} (`), undefined, { timeout: 60_000 });
  await page
    .locator('.notifications-toasts .notification-toast', { hasText: `Signed ${BROWSER_UI_MODEL}` })
    .first()
    .waitFor();
}
