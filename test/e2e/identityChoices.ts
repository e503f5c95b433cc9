// Sign Model's identity pick says, before anything is tried, where each source signs in and whether it can
// work here: the browser item names the configured OIDC issuer's host, the GitHub item the configured API's;
// with an API the extension cannot reach, the GitHub item says it is unavailable and why, and picking it
// says so instead of walking into VS Code's sign-in.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KeylessModel } from './keylessModel';
import type { Page } from './playwright';
import { explorerMenu } from './workbench';
import { WORKSPACE_NAME } from './workspace';

const IDENTITY_MODEL = 'identity-model';
/** Nothing listens on port 9 of the loopback: the connection is refused at once. */
const UNREACHABLE_API = 'http://127.0.0.1:9/api/v3';

export interface IdentityChoicesOptions {
  page: Page;
  keyless: KeylessModel;
  /** The user's (machine) settings file, which names the GitHub API. */
  machineSettings: string;
}

/** Sign Model on the step's model up to the identity pick; returns the GitHub and browser items' text. */
async function identityItems(page: Page): Promise<{ github: string; browser: string }> {
  const folders = page.locator(`.pane-header[aria-label="Explorer Section: ${WORKSPACE_NAME}"]`);
  if ((await folders.getAttribute('aria-expanded')) !== 'true') await folders.click();
  await explorerMenu(page, IDENTITY_MODEL, 'Sign Model');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Sigstore (keyless)' }).first().click();
  await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Sign' }).first().click();
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Sign with which identity?' }).waitFor();
  const row = (text: string) => page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
  await row('GitHub account').waitFor({ timeout: 30_000 });
  return { github: (await row('GitHub account').textContent()) ?? '', browser: (await row('Sign in with a browser').textContent()) ?? '' };
}

async function dismiss(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

export async function identityChoices({ page, keyless, machineSettings }: IdentityChoicesOptions): Promise<void> {
  const model = join(dirname(keyless.modelPath), IDENTITY_MODEL);
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'weights.bin'), Buffer.alloc(4096, 3));
  const configured = await identityItems(page);
  const apiHost = new URL(keyless.github.apiBase).host;
  if (!configured.github.includes(apiHost) || configured.github.includes('unavailable')) throw new Error(`the GitHub item reads '${configured.github}'`);
  if (!configured.browser.includes(`the sign-in page at ${new URL(keyless.issuer).host}`)) throw new Error(`the browser item reads '${configured.browser}'`);
  await dismiss(page);

  const userBefore = readFileSync(machineSettings, 'utf8');
  writeFileSync(machineSettings, JSON.stringify({ ...JSON.parse(userBefore), 'modelSigning.github.apiUrl': UNREACHABLE_API }, null, 2));
  try {
    // The extension host takes the settings change in its own time: ask again until the pick reflects it.
    for (let attempt = 1; ; attempt++) {
      const { github } = await identityItems(page);
      if (github.includes('unavailable') && github.includes('127.0.0.1:9')) break;
      if (attempt === 5) throw new Error(`with an unreachable API, the GitHub item reads '${github}'`);
      await dismiss(page);
    }
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'GitHub account' }).first().click();
    await page
      .locator('.notifications-toasts .notification-toast', { hasText: 'GitHub account cannot sign here: 127.0.0.1:9 cannot be reached' })
      .first()
      .waitFor();
    // Nothing was asked of VS Code's sign-in.
    if ((await page.locator('.monaco-dialog-box', { hasText: 'Allow' }).count()) > 0) throw new Error("VS Code's sign-in prompt opened all the same");
  } finally {
    writeFileSync(machineSettings, userBefore);
  }
}
