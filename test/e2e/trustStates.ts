// Trust that a person reads correctly (issue 11, §2), clicked through in the real workbench: a key
// signature no policy names reads "Signed with key … — not pinned" (its own icon, colour and tooltip);
// a private key given for the public one is refused; the badge's click pins the key itself, after which
// the badge says Verified and Verify Model asks for nothing; the live badge fails with the reason Verify
// Model gives (a key signature under a keyless pin) and recovers when the signature file is restored.
import { createHash, createPublicKey } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCli } from '../helpers/fixtures';
import { SIGNED_MODEL, SIGNER, type KeylessModel } from './keylessModel';
import type { Page } from './playwright';
import { BADGE, badgeIncludes, chooseFileInDialog, clearAllNotifications, clearNotifications, explorerMenu, explorerRow, signedModelView } from './workbench';

export const TRUST_MODEL = 'trust-key-model';

export interface TrustStatesOptions {
  page: Page;
  /** The workspace folder: TRUST_MODEL is made in it, and SIGNED_MODEL (pinned keylessly by an earlier step) is there. */
  workspace: string;
  keyless: KeylessModel;
  screenshotDir: string;
}

export async function trustStates({ page, workspace, keyless, screenshotDir }: TrustStatesOptions): Promise<void> {
  const model = join(workspace, TRUST_MODEL);
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'weights.bin'), Buffer.alloc(64 << 10, 3));
  writeFileSync(join(model, 'config.json'), '{"layers": 2}\n');
  const signed = await runCli(['sign', 'key', model, '--signature', join(model, 'model.sig'), '--private-key', keyless.privateKey], { spawn: true });
  if (signed.code !== 0) throw new Error(`sign key: ${signed.stderr}`);
  // The public half, outside the workspace, as a publisher would hand it out.
  const publicKey = join(dirname(keyless.privateKey), 'signing-key.pub');
  const pem = createPublicKey(readFileSync(keyless.privateKey)).export({ type: 'spki', format: 'pem' }).toString();
  writeFileSync(publicKey, pem);
  const hint = createHash('sha256').update(pem).digest('hex');
  const badgeLabel = async () => (await page.locator(BADGE).first().getAttribute('aria-label')) ?? '';
  const badgeClass = async () => (await page.locator(BADGE).first().getAttribute('class')) ?? '';
  const toast = (text: string) => page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
  const view = signedModelView(page);
  const expect = (what: string, ok: boolean, seen: string) => {
    if (!ok) throw new Error(`${what}: ${seen}`);
  };

  const folders = page.locator('.pane-header[aria-label^="Explorer Section: "]').first();
  if ((await folders.getAttribute('aria-expanded')) !== 'true') await folders.click();
  await page.locator(explorerRow(TRUST_MODEL)).waitFor({ timeout: 30_000 });
  await clearAllNotifications(page);

  // A private key where the public key is asked for: refused, and said so.
  await explorerMenu(page, TRUST_MODEL, 'Verify Model');
  await chooseFileInDialog(page, keyless.privateKey);
  await toast('This is a private key: give the public key').waitFor({ timeout: 30_000 });
  await page.waitForFunction(badgeIncludes('Not verified'), undefined, { timeout: 30_000 });
  console.log('    a private key given for the public one: refused, "This is a private key: give the public key …"');

  // The public key: a good signature, but nothing pins the key. Not Verified: its own wording, icon and colour.
  await explorerMenu(page, TRUST_MODEL, 'Verify Model');
  await chooseFileInDialog(page, publicKey);
  const notPinned = `Signed with key ${hint.slice(0, 12)}… — not pinned`;
  await page.waitForFunction(badgeIncludes(notPinned), undefined, { timeout: 60_000 });
  expect('the badge is coloured as a warning', (await badgeClass()).includes('has-background-color'), await badgeClass());
  const label = await badgeLabel();
  for (const part of [model, `Signed with the key ${hint}`, 'No policy: the signer is not pinned', 'Checked at ', 'Click to pin'])
    expect(`the badge's tooltip says '${part}'`, label.includes(part), label);
  for (const row of [TRUST_MODEL, notPinned, 'Pin Signer…', 'No policy: the signer is not pinned', 'Checked at'])
    await view.locator('.monaco-list-row', { hasText: row }).first().waitFor();
  await clearNotifications(page);
  await page.screenshot({ path: join(screenshotDir, 'not-pinned-key.png') });
  console.log(`    badge: '${notPinned}', warning colour; the view: model, signer, Pin Signer…, policy, checked at`);

  // The offer's notification is gone: the badge's click still pins, and pins the key itself.
  await page.locator(BADGE).first().click();
  await page.waitForFunction(badgeIncludes(`Verified · key ${hint.slice(0, 12)}…`), undefined, { timeout: 30_000 });
  expect('Verified has no warning colour', !(await badgeClass()).includes('has-background-color'), await badgeClass());
  const policyFile = join(workspace, '.vscode', 'model-signing.json');
  const policy = JSON.parse(readFileSync(policyFile, 'utf8')) as { models: Array<{ path: string; publicKeys?: string[] }> };
  const pinned = policy.models.find((m) => m.path === TRUST_MODEL)?.publicKeys ?? [];
  expect('the policy holds the public key itself', pinned.length === 1 && pinned[0] === pem, JSON.stringify(pinned));
  expect(`the tooltip names the policy`, (await badgeLabel()).includes(`Policy: .vscode/model-signing.json '${TRUST_MODEL}'`), await badgeLabel());

  // The next Verify Model asks for no key: the result comes with no file dialog answered in between.
  await clearAllNotifications(page);
  await explorerMenu(page, TRUST_MODEL, 'Verify Model');
  await toast(`${TRUST_MODEL} verified: signed by key ${hint.slice(0, 12)}…`).waitFor({ timeout: 60_000 });
  await page.locator('.quick-input-widget').first().waitFor({ state: 'hidden' });
  await clearNotifications(page);
  await page.screenshot({ path: join(screenshotDir, 'verified-pinned-key.png') });
  console.log(`    the badge's click pinned the key (PEM in the policy): 'Verified · key ${hint.slice(0, 12)}…', and Verify Model asked for nothing`);

  // The live badge under a keyless pin, when a key signature replaces the keyless one: the reason Verify Model gives.
  const signature = join(workspace, SIGNED_MODEL, 'model.sig');
  const keylessSignature = readFileSync(signature);
  const byKey = join(dirname(keyless.privateKey), 'signed-llm-by-key.sig');
  const r = await runCli(['sign', 'key', join(workspace, SIGNED_MODEL), '--signature', byKey, '--private-key', keyless.privateKey], { spawn: true });
  if (r.code !== 0 || !existsSync(byKey)) throw new Error(`sign key: ${r.stderr}`);
  const reason = `Signed with a key, but the policy for '${SIGNED_MODEL}'`;
  try {
    copyFileSync(byKey, signature);
    await page.waitForFunction(badgeIncludes('Not verified'), undefined, { timeout: 30_000 });
    await page.waitForFunction(`document.querySelector(${JSON.stringify(BADGE)})?.getAttribute('aria-label')?.includes(${JSON.stringify(reason)})`, undefined, {
      timeout: 30_000,
    });
    expect('no raw verifier error on the badge', !/TIMESTAMP|timestamps/.test(await badgeLabel()), await badgeLabel());
    await clearAllNotifications(page);
    await explorerMenu(page, SIGNED_MODEL, 'Verify Model');
    await toast(`${SIGNED_MODEL}: ${reason}`).waitFor({ timeout: 30_000 });
    console.log(`    a key signature under ${SIGNED_MODEL}'s keyless pin: the badge and Verify Model both say '${reason} …'`);
  } finally {
    writeFileSync(signature, keylessSignature);
  }
  await page.waitForFunction(badgeIncludes(`Verified · ${SIGNER}`), undefined, { timeout: 30_000 });
  console.log(`    the signature file restored: the badge recovered by itself to 'Verified · ${SIGNER}'`);
}
