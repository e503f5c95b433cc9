// A model in a Hugging Face cache (issue 12), clicked through in the real workbench: a models--ORG--NAME folder
// as `hf download` leaves it (every file of its snapshot a link into blobs/), signed from the Explorer with a
// key. The confirmation and the notification name the signature beside snapshots/, and the cache
// itself is left as huggingface_hub wrote it.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HF_MODEL_FILES, addHfRevision } from '../helpers/hfCache';
import type { KeylessModel } from './keylessModel';
import type { Page } from './playwright';
import { chooseFileInDialog, explorerMenu } from './workbench';
import { WORKSPACE_NAME } from './workspace';

export const HF_REPO_FOLDER = 'models--acme--e2e-llm';

export async function hfCacheModel({
  page,
  workspace,
  keyless,
  screenshotDir,
}: {
  page: Page;
  workspace: string;
  keyless: KeylessModel;
  screenshotDir: string;
}) {
  // The workspace stands for the hub cache folder: repositories are its top-level folders.
  const repo = addHfRevision(workspace, 'acme/e2e-llm', { files: HF_MODEL_FILES, refs: ['main'], noExist: ['generation_config.json'] });
  const snapshotBefore = readdirSync(repo.snapshot).sort().join(',');
  const folders = page.locator(`.pane-header[aria-label="Explorer Section: ${WORKSPACE_NAME}"]`);
  if ((await folders.getAttribute('aria-expanded')) !== 'true') await folders.click();
  await explorerMenu(page, HF_REPO_FOLDER, 'Sign Model');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Private key' }).first().click();
  // What will be signed, and where the signature goes: beside snapshots/, named after the commit.
  const dialog = page.locator('.monaco-dialog-box', { hasText: `${repo.commit}.sig` });
  await dialog.waitFor();
  await page.screenshot({ path: join(screenshotDir, 'hf-cache-sign.png') });
  await dialog.locator('.monaco-button', { hasText: 'Sign' }).first().click();
  await chooseFileInDialog(page, keyless.privateKey);
  await page
    .locator('.notifications-toasts .notification-toast', { hasText: `→ ${repo.commit}.sig` })
    .first()
    .waitFor({ timeout: 60_000 });
  const signature = join(repo.folder, `${repo.commit}.sig`);
  if (!existsSync(signature)) throw new Error(`no signature at ${signature}`);
  const snapshotAfter = readdirSync(repo.snapshot).sort().join(',');
  if (snapshotAfter !== snapshotBefore) throw new Error(`the snapshot changed: ${snapshotBefore} → ${snapshotAfter}`);
}
