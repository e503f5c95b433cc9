// Trusted timestamps (issue 14), clicked through in the real workbench: with a timestamp authority in the
// user's (machine) settings, Sign Model with a private key offers "Add a trusted timestamp from <host>";
// taking it writes an RFC 3161 timestamp into the signature, and the Signed Model view tells when the model
// was signed and by whose clock. The authority is the runner's local Sigstore TSA, which the trust config
// setting already trusts.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KeylessModel } from './keylessModel';
import type { Page } from './playwright';
import { chooseFileInDialog, clearAllNotifications, explorerMenu, explorerRow, signedModelView } from './workbench';

const TIMESTAMPED_MODEL = 'timestamped-model';
const TSA_SUBJECT = 'CN=tsa signing, O=sigstore.mock';

export interface TimestampedSigningOptions {
  page: Page;
  /** Its model's folder is the workspace: TIMESTAMPED_MODEL is made beside it. */
  keyless: KeylessModel;
  /** The machine settings file (the user's own, in code-server): the authority's URL goes there for this step. */
  machineSettings: string;
  screenshotDir: string;
}

export async function timestampedSigning({ page, keyless, machineSettings, screenshotDir }: TimestampedSigningOptions): Promise<void> {
  const model = join(dirname(keyless.modelPath), TIMESTAMPED_MODEL);
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'weights.bin'), Buffer.alloc(64 << 10, 5));
  const trust = JSON.parse(readFileSync(keyless.trustConfig, 'utf8')) as { signingConfig: { tsaUrls: Array<{ url: string }> } };
  const tsaUrl = trust.signingConfig.tsaUrls[0]!.url;
  const userBefore = readFileSync(machineSettings, 'utf8');
  writeFileSync(machineSettings, JSON.stringify({ ...JSON.parse(userBefore), 'modelSigning.timestampAuthority.url': tsaUrl }, null, 2));
  try {
    const folders = page.locator('.pane-header[aria-label^="Explorer Section: "]').first();
    if ((await folders.getAttribute('aria-expanded')) !== 'true') await folders.click();
    await page.locator(explorerRow(TIMESTAMPED_MODEL)).waitFor({ timeout: 30_000 });
    await clearAllNotifications(page);

    await explorerMenu(page, TIMESTAMPED_MODEL, 'Sign Model');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Private key' }).first().click();
    await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Sign' }).first().click();
    const offer = page.locator('.quick-input-list .monaco-list-row', { hasText: `Add a trusted timestamp from ${new URL(tsaUrl).host}` }).first();
    await offer.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(screenshotDir, 'timestamp-offer.png') });
    await offer.click();
    await chooseFileInDialog(page, keyless.privateKey);
    await page
      .locator('.notifications-toasts .notification-toast', { hasText: `Signed ${TIMESTAMPED_MODEL}` })
      .first()
      .waitFor({ timeout: 60_000 });
    const bundle = JSON.parse(readFileSync(join(model, 'model.sig'), 'utf8')) as {
      verificationMaterial: { timestampVerificationData?: { rfc3161Timestamps?: unknown[] } };
    };
    if (bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps?.length !== 1) throw new Error('the signature has no RFC 3161 timestamp');

    // The Signed Model view (its own panel tab, open since the earlier steps' Verify Model) shows the model just signed.
    const row = signedModelView(page).locator('.monaco-list-row', { hasText: `(RFC 3161 timestamp from ${TSA_SUBJECT})` });
    await row.first().waitFor({ timeout: 60_000 });
    const label = (await row.first().textContent()) ?? '';
    if (!label.includes('Signed at ')) throw new Error(`the view's signing time row reads: ${label}`);
    console.log(`    the Signed Model view: ${label.trim()}`);
    await page.screenshot({ path: join(screenshotDir, 'signed-timestamp.png') });
  } finally {
    writeFileSync(machineSettings, userBefore);
  }
}
