// Restricted Mode: a downloaded model opened in a folder the user has not trusted, in a code-server of
// its own with Workspace Trust on. Verify Model works there, but the workspace's policy (which pins
// someone else) is not applied and the UI says so; Pin Signer writes nothing. When the user trusts
// the folder, the model is verified again under the workspace's policy.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StepCounts } from './clickThrough';
import { remoteUri, startServer, workbenchUrl } from './codeServer';
import { KeylessModel, SIGNED_MODEL, SIGNER } from './keylessModel';
import { launchBrowser } from './playwright';
import { BADGE, badgeIncludes, explorerMenu, explorerRow, signedModelView } from './workbench';

const NOT_TRUSTED = 'Workspace policy not applied: folder not trusted';

export interface RestrictedWorkspace {
  dir: string;
  workspace: string;
  policyFile: string;
  policy: string;
}

/** A folder as downloaded: the signed model, and a policy that pins someone else. Made before the other phases touch the model. */
export function prepareRestrictedWorkspace(run: string, keyless: KeylessModel): RestrictedWorkspace {
  const dir = join(run, 'restricted');
  const workspace = join(dir, 'downloaded-models');
  cpSync(keyless.modelPath, join(workspace, SIGNED_MODEL), { recursive: true });
  const policyFile = join(workspace, '.vscode', 'model-signing.json');
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  const policy = `${JSON.stringify({ models: [{ path: SIGNED_MODEL, sigstore: [{ identity: 'mallory@example.com', issuer: keyless.issuer }] }] }, null, 2)}\n`;
  writeFileSync(policyFile, policy);
  return { dir, workspace, policyFile, policy };
}

export interface RestrictedModeOptions {
  folder: RestrictedWorkspace;
  extensionRoot: string;
  keyless: KeylessModel;
  screenshotDir: string;
}

export async function restrictedMode({ folder, extensionRoot, keyless, screenshotDir }: RestrictedModeOptions): Promise<StepCounts> {
  const counts: StepCounts = { passed: 0, failed: 0 };
  const { dir, workspace, policyFile, policy } = folder;
  const server = await startServer(dir, workspace, { settings: { 'modelSigning.sigstore.trustConfig': keyless.trustConfig }, workspaceTrust: true });
  const { context, page } = await launchBrowser(join(dir, 'chromium'));
  let ready = false;
  const step = async (name: string, body: () => Promise<void>) => {
    try {
      if (!ready && counts.passed + counts.failed > 0) throw new Error('skipped, the workbench did not load');
      await body();
      counts.passed++;
      console.log(`  ✔ ${name}`);
    } catch (err) {
      counts.failed++;
      console.log(`  ✘ ${name}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
      await page.screenshot({ path: join(screenshotDir, `failed-restricted-${counts.failed}.png`) }).catch(() => undefined);
    }
  };
  const view = signedModelView(page);
  const toast = (text: string) => page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
  try {
    await step('an untrusted folder opens in Restricted Mode', async () => {
      await page.goto(workbenchUrl(server, workspace, [['extensionDevelopmentPath', remoteUri(extensionRoot)]]));
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor();
      ready = true;
      await page.locator(explorerRow(SIGNED_MODEL)).waitFor();
    });

    await step(
      `Verify Model there: Signed by ${SIGNER} — not pinned, by its signature alone; the view, the badge and the notification say the workspace policy was not applied; no Pin Signer`,
      async () => {
        await explorerMenu(page, SIGNED_MODEL, 'Verify Model');
        await page.waitForFunction(badgeIncludes(`Signed by ${SIGNER} (`), undefined, { timeout: 15_000 });
        await page.waitForFunction(badgeIncludes('— not pinned'));
        const told = toast(`no policy you set names this signer. ${NOT_TRUSTED}`);
        await told.waitFor();
        const badgeLabel = (await page.locator(BADGE).first().getAttribute('aria-label')) ?? '';
        if (!badgeLabel.includes(NOT_TRUSTED)) throw new Error(`badge tooltip: '${badgeLabel}'`);
        await view.locator('.monaco-list-row', { hasText: NOT_TRUSTED }).first().waitFor();
        if ((await told.locator('.monaco-button', { hasText: 'Pin Signer' }).count()) > 0) throw new Error('Pin Signer was offered in an untrusted folder');
        if ((await view.locator('.monaco-list-row', { hasText: 'Pin Signer' }).count()) > 0)
          throw new Error('the view offers Pin Signer in an untrusted folder');
        if (readFileSync(policyFile, 'utf8') !== policy) throw new Error(`${policyFile} changed`);
        await page.screenshot({ path: join(screenshotDir, 'restricted-mode.png') });
      },
    );

    await step('trusting the folder verifies it again under the workspace policy: Not verified, Policy: .vscode/model-signing.json', async () => {
      await page.keyboard.press('F1');
      await page.locator('.quick-input-box input').fill('>Workspaces: Manage Workspace Trust');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Manage Workspace Trust' }).first().waitFor();
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Trust', exact: true }).first().click();
      await page.waitForFunction(badgeIncludes('Not verified'), undefined, { timeout: 15_000 });
      await view.locator('.monaco-list-row', { hasText: 'Policy: .vscode/model-signing.json' }).first().waitFor();
    });
  } finally {
    await context.close();
  }
  return counts;
}
