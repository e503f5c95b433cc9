// Pin Signer for a model a CI workflow signed (issue 13), clicked through in the real workbench: the badge's click
// opens a pick that offers the workflow at any ref first and exactly this ref second, each saying which later
// signatures it accepts; picking the workflow writes its claims to the policy and the badge turns Verified.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/fixtures';
import { githubClaims } from '../helpers/githubRun';
import type { KeylessModel } from './keylessModel';
import type { Page } from './playwright';
import { BADGE, badgeIncludes, clearAllNotifications, explorerMenu, explorerRow } from './workbench';

export const CI_MODEL = 'ci-trained-model';

export interface PinWorkflowOptions {
  page: Page;
  /** The workspace folder: CI_MODEL is made in it. */
  workspace: string;
  keyless: KeylessModel;
  screenshotDir: string;
}

export async function pinWorkflow({ page, workspace, keyless, screenshotDir }: PinWorkflowOptions): Promise<void> {
  const model = join(workspace, CI_MODEL);
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'weights.bin'), Buffer.alloc(32 << 10, 7));
  // A GitHub Actions job's token (no email: the certificate names the workflow), signed by the CLI as CI would.
  const token = await keyless.mintToken({ ...githubClaims(), email: undefined, email_verified: undefined });
  const signed = await runCli(
    ['sign', 'sigstore', model, '--signature', join(model, 'model.sig'), '--trust-config', keyless.trustConfig, '--identity-token', token],
    {
      spawn: true,
    },
  );
  if (signed.code !== 0) throw new Error(`sign sigstore: ${signed.stderr}`);
  const workflow = 'acme/models/.github/workflows/train.yml';
  await page.locator(explorerRow(CI_MODEL)).waitFor({ timeout: 30_000 });
  await clearAllNotifications(page);
  await explorerMenu(page, CI_MODEL, 'Verify Model');
  await page.waitForFunction(badgeIncludes(`${workflow}@refs/tags/v1.2.0`), undefined, { timeout: 60_000 });
  await page.waitForFunction(badgeIncludes('not pinned'), undefined, { timeout: 30_000 });

  await page.locator(BADGE).first().click();
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  await rows.first().waitFor({ timeout: 30_000 });
  const texts = await rows.allInnerTexts();
  const expected = [
    [`The workflow ${workflow} (any ref)`, 'at any ref', 'a later release passes; another workflow, a fork or another repository does not'],
    [`Exactly this ref: https://github.com/${workflow}@refs/tags/v1.2.0`, 'a release from another ref than refs/tags/v1.2.0 does not pass'],
  ];
  expected.forEach((parts, i) => {
    for (const part of parts) if (!(texts[i] ?? '').includes(part)) throw new Error(`pick item ${i + 1} does not say '${part}': ${texts.join(' | ')}`);
  });
  await page.screenshot({ path: join(screenshotDir, 'pin-workflow.png') });
  console.log(`    the pick offers '${expected[0]![0]}' first, then '${expected[1]![0]}', each with what it accepts`);

  await page.keyboard.press('Enter');
  await page.waitForFunction(badgeIncludes(`Verified · https://github.com/${workflow}@refs/tags/v1.2.0`), undefined, { timeout: 30_000 });
  const policy = JSON.parse(readFileSync(join(workspace, '.vscode', 'model-signing.json'), 'utf8')) as {
    models: Array<{ path: string; sigstore?: Array<Record<string, string>> }>;
  };
  const rule = policy.models.find((m) => m.path === CI_MODEL)?.sigstore?.[0];
  if (rule?.signerWorkflow !== `https://github.com/${workflow}` || rule.repository !== 'https://github.com/acme/models' || 'identity' in rule)
    throw new Error(`the policy does not pin the workflow at any ref: ${JSON.stringify(rule)}`);
  console.log(`    picked: the policy names the workflow (${JSON.stringify(rule)}), and the badge says Verified`);
}
