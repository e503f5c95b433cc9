// Verification without a click (issue 11, §5): the workbench opened afresh on the workspace shows what its
// signed models are before anything is clicked (the status-bar badge, the Explorer's marks), a file changed
// on disk turns its mark to M, Verify Model brings the Signed Model view forward with the model's name in its
// header, and the walkthrough is listed.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIGNED_MODEL } from './keylessModel';
import { KEY_SIGNED_MODEL } from './keySignedModel';
import type { Page } from './playwright';
import { BADGE, badgeIncludes, explorerMenu, explorerRow, signedModelView } from './workbench';
import { WORKSPACE_NAME } from './workspace';

export interface VerifyOnOpenOptions {
  page: Page;
  /** The workbench URL the click-through opened: loading it again starts a fresh extension host. */
  workbenchUrl: string;
  workspace: string;
  screenshotDir: string;
}

/** A page expression: the letters of the Explorer's decorations on a row ('' for none). */
const decorationOf = (row: string) =>
  `[...document.querySelectorAll(${JSON.stringify(`${explorerRow(row)} [class*="monaco-decoration-itemBadge-"]`)})]` +
  `.map((e) => getComputedStyle(e, '::after').content).join(' ')`;
const decorationIncludes = (row: string, letter: string) => `(${decorationOf(row)}).includes(${JSON.stringify(letter)})`;

/** Whether a policy in the workspace names the sample model's signer (the click-through's Pin Signer step writes one). */
function isPinned(workspace: string): boolean {
  const file = join(workspace, '.vscode', 'model-signing.json');
  if (!existsSync(file)) return false;
  const policy = JSON.parse(readFileSync(file, 'utf8')) as { models?: Array<{ path: string }> };
  return Boolean(policy.models?.some((m) => m.path === SIGNED_MODEL));
}

export async function verifyOnOpen({ page, workbenchUrl, workspace, screenshotDir }: VerifyOnOpenOptions): Promise<void> {
  // A fresh extension host: nothing verified in it yet, and nothing will be clicked until the marks show.
  await page.goto(workbenchUrl);
  await page.locator(`.pane-header[aria-label="Explorer Section: ${WORKSPACE_NAME}"]`).waitFor({ timeout: 60_000 });
  const folders = page.locator(`.pane-header[aria-label="Explorer Section: ${WORKSPACE_NAME}"]`);
  if ((await folders.getAttribute('aria-expanded')) !== 'true') await folders.click();
  await page.locator(explorerRow(SIGNED_MODEL)).waitFor();
  const expected = isPinned(workspace) ? '✓' : 'S';
  await page.waitForFunction(decorationIncludes(SIGNED_MODEL, expected), undefined, { timeout: 60_000 });
  // A key signature the editor was given no key for: signed, not checked yet (?), not a failure (✗).
  await page.waitForFunction(decorationIncludes(KEY_SIGNED_MODEL, '?'), undefined, { timeout: 60_000 });
  // The badge shows a model too (the first one found), with no click.
  await page.locator(BADGE).waitFor({ timeout: 30_000 });
  console.log(`    without a click: ${SIGNED_MODEL} marked ${expected}, badge '${((await page.textContent(BADGE)) ?? '').trim()}'`);
  await page.screenshot({ path: join(screenshotDir, 'verified-on-open.png') });

  // A file changed on disk: the live re-verification marks it M, and the mark goes once it is restored. The file
  // is opened (Go to File), so the Explorer reveals its row: other folders may be expanded above it.
  await page.keyboard.press('F1');
  await page.locator('.quick-input-box input').fill(`${SIGNED_MODEL}/config.json`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'config.json' }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  await page
    .locator(`${explorerRow('config.json')}.selected`)
    .first()
    .waitFor();
  const file = join(workspace, SIGNED_MODEL, 'config.json');
  const original = readFileSync(file);
  writeFileSync(file, '{"hidden_size": 66}\n');
  try {
    await page.waitForFunction(decorationIncludes('config.json', 'M'), undefined, { timeout: 30_000 });
    // The folder's own mark gives way to the Problems bubble of its changed file; the badge says the rest.
    await page.waitForFunction(badgeIncludes('Tampered · 1 file'), undefined, { timeout: 30_000 });
    await page.screenshot({ path: join(screenshotDir, 'modified-mark.png') });
  } finally {
    writeFileSync(file, original);
  }
  await page.waitForFunction(decorationIncludes(SIGNED_MODEL, expected), undefined, { timeout: 30_000 });

  // Verify Model brings the Signed Model view forward, expanded, its header naming the model.
  await explorerMenu(page, SIGNED_MODEL, 'Verify Model');
  // The result's notification comes after the view took the keyboard focus: a palette opened before would close.
  await page.locator('.notifications-toasts .notification-toast', { hasText: SIGNED_MODEL }).first().waitFor({ timeout: 60_000 });
  await signedModelView(page).locator('.monaco-list-row', { hasText: SIGNED_MODEL }).first().waitFor();

  // The walkthrough is listed where VS Code lists them, and opens on its first step.
  await page.keyboard.press('F1');
  await page.locator('.quick-input-box input').fill('>Welcome: Open Walkthrough');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Open Walkthrough' }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Sign and verify ML models' }).first().click();
  await page.locator('.gettingStartedContainer', { hasText: 'Verify a signed model' }).first().waitFor({ timeout: 30_000 });
  await page.locator('.gettingStartedContainer', { hasText: 'Pin the signer' }).first().waitFor();
  await page.screenshot({ path: join(screenshotDir, 'walkthrough.png') });
}
