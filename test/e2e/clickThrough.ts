// The click-through: drives the web workbench (code-server) with the extension loaded in
// development mode, the way a user would. Each step counts as passed or failed; a failed step
// leaves a screenshot. Selectors and pitfalls: ../shared/docs/vscode-e2e.md §4.
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { join } from 'node:path';
import type { Page } from './playwright';
import { BADGE, badgeIncludes, chooseFileInDialog, clearAllNotifications, explorerMenu as openExplorerMenu, explorerRow, signedModelView } from './workbench';
import { KeylessModel, SIGNED_MODEL, SIGNER } from './keylessModel';
import { MODEL_DIR, WORKSPACE_NAME } from './workspace';
import { startRequestRecorder } from './requestRecorder';
import { browserSignIn } from './browserSignIn';
import { expiredPastedToken } from './expiredToken';
import { TRUST_MODEL, trustStates } from './trustStates';
import { PROVENANCE_FILE, hostileProvenanceIsInert, provenanceFromSignedModelView, provenanceViewer } from './provenanceViewer';
import { SAMPLE_PROVENANCE_FILE, sampleProvenance } from './sampleProvenance';
import { verifyOnOpen } from './verifyOnOpen';
import { identityChoices } from './identityChoices';
import { noProgressToastLingers } from './progressToasts';
import { TOKEN_MODEL, pkcs11Signing } from './pkcs11Signing';
import { timestampedSigning } from './timestampedSigning';
import { pinWorkflow } from './pinWorkflow';
import { hfCacheModel } from './hfCacheModel';

/** A folder the click-through makes and signs keylessly. */
const KEYLESS_UI_MODEL = 'keyless-ui-model';
/** A folder the click-through makes and signs with the editor's GitHub account. */
const GITHUB_UI_MODEL = 'github-model';

export interface ClickThroughOptions {
  page: Page;
  /** The workbench URL with the workspace folder and the extensionDevelopmentPath payload. */
  workbenchUrl: string;
  screenshotDir: string;
  /** A model signed keylessly beforehand, for the Verify Model steps. */
  keyless: KeylessModel;
  /** The remote (machine) settings file of the server: the user's, which a workspace cannot override. */
  machineSettings: string;
}

export interface StepCounts {
  passed: number;
  failed: number;
}

export async function clickThrough({ page, workbenchUrl, screenshotDir, keyless, machineSettings }: ClickThroughOptions): Promise<StepCounts> {
  const counts: StepCounts = { passed: 0, failed: 0 };
  let workbenchLoaded = false;

  async function step(name: string, body: () => Promise<void>): Promise<void> {
    const started = Date.now();
    if (!workbenchLoaded && counts.passed + counts.failed > 0) {
      counts.failed++;
      console.log(`  ✘ ${name}: skipped, the workbench did not load`);
      return;
    }
    try {
      await body();
      counts.passed++;
      console.log(`  ✔ ${name} (${Date.now() - started} ms)`);
    } catch (err) {
      counts.failed++;
      console.log(`  ✘ ${name}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
      const shot = join(screenshotDir, `failed-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
      await page.screenshot({ path: shot }).then(
        () => console.log(`    screenshot: ${shot}`),
        () => undefined,
      );
    }
  }

  await step('the workbench loads in development mode', async () => {
    await page.goto(workbenchUrl);
    await page.locator('.monaco-workbench').waitFor();
    // The title says so when the payload's extensionDevelopmentPath was taken.
    await page.waitForFunction(`document.title.includes('[Extension Development Host]')`, undefined, { timeout: 30_000 });
    workbenchLoaded = true;
  });

  await step(`the explorer shows the workspace ${WORKSPACE_NAME}`, async () => {
    await page.locator(`.pane-header[aria-label="Explorer Section: ${WORKSPACE_NAME}"]`).waitFor();
  });

  await step(`the explorer shows ${MODEL_DIR}, which expands to its files`, async () => {
    const row = page.locator(explorerRow(MODEL_DIR));
    await row.waitFor();
    if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
    await page.locator(explorerRow('config.json')).waitFor();
    await page.locator(explorerRow('weights.bin')).waitFor();
  });

  await step('a screenshot of the workbench is saved', async () => {
    const shot = join(screenshotDir, 'workbench.png');
    await page.screenshot({ path: shot });
    if (statSync(shot).size === 0) throw new Error(`${shot} is empty`);
    console.log(`    screenshot: ${shot}`);
  });

  const explorerMenu = (row: string, label: string) => openExplorerMenu(page, row, label);
  const chooseFile = (file: string) => chooseFileInDialog(page, file);
  const shoot = async (file: string) => {
    const shot = join(screenshotDir, file);
    await page.screenshot({ path: shot });
    console.log(`    screenshot: ${shot}`);
  };
  const badgeText = async () => ((await page.textContent(BADGE)) ?? '').trim();

  // No policy names the signer yet: the badge says who signed, and that nothing pins them (trustStates.ts has the rest).
  await step(`Verify Model on ${SIGNED_MODEL} (Explorer context menu): the badge says Signed by ${SIGNER} (issuer) — not pinned`, async () => {
    await explorerMenu(SIGNED_MODEL, 'Verify Model');
    await page.waitForFunction(badgeIncludes('not pinned'), undefined, { timeout: 60_000 });
    const text = await badgeText();
    if (text !== `Signed by ${SIGNER} (${keyless.issuer}) — not pinned`) throw new Error(`badge reads '${text}'`);
  });

  await step('the Signed Model view shows the signer and every signed file', async () => {
    const pane = signedModelView(page);
    await pane.locator('.monaco-list-row', { hasText: SIGNER }).first().waitFor();
    for (const f of ['config.json', 'model.safetensors', 'tokenizer']) await pane.locator('.monaco-list-row', { hasText: f }).first().waitFor();
    await shoot('not-pinned.png');
  });

  await step('a file changed on disk turns the badge to Tampered, and the view marks it', async () => {
    const file = join(keyless.modelPath, 'config.json');
    const original = readFileSync(file);
    const changedAt = Date.now();
    writeFileSync(file, '{"hidden_size": 65}\n');
    try {
      // The time it took is printed (the README quotes it), not asserted: it is the machine's load as much as ours.
      await page.waitForFunction(badgeIncludes('Tampered · 1 file'), undefined, { timeout: 30_000 });
      console.log(`    badge: '${await badgeText()}' ${Date.now() - changedAt} ms after the write`);
      const pane = signedModelView(page);
      await pane.locator('.monaco-list-row', { hasText: 'modified' }).first().waitFor();
      await shoot('tampered.png');
    } finally {
      writeFileSync(file, original);
    }
    await page.waitForFunction(badgeIncludes('not pinned'), undefined, { timeout: 30_000 });
  });

  await step(`Pin Signer from the notification writes ${SIGNER} into .vscode/model-signing.json: Verified, and the next Verify Model follows it`, async () => {
    const folders = page.locator(`.pane-header[aria-label="Explorer Section: ${WORKSPACE_NAME}"]`);
    if ((await folders.getAttribute('aria-expanded')) !== 'true') await folders.click();
    // The first Verify Model step offered to pin too: only this step's offer may be on screen.
    await clearAllNotifications(page);
    await explorerMenu(SIGNED_MODEL, 'Verify Model');
    const offer = page.locator('.notifications-toasts .notification-toast', { hasText: `${SIGNED_MODEL}: Signed by ${SIGNER}` }).first();
    await offer.waitFor({ timeout: 60_000 });
    await offer.locator('.monaco-button', { hasText: 'Pin Signer' }).first().click();
    const policyFile = join(dirname(keyless.modelPath), '.vscode', 'model-signing.json');
    const deadline = Date.now() + 30_000;
    while (!existsSync(policyFile) && Date.now() < deadline) await page.waitForTimeout(100); // polls for the file
    const policy = JSON.parse(readFileSync(policyFile, 'utf8')) as { models?: Array<{ path: string; sigstore?: Array<{ identity: string; issuer: string }> }> };
    const pinned = policy.models?.find((m) => m.path === SIGNED_MODEL)?.sigstore ?? [];
    if (!pinned.some((r) => r.identity === SIGNER && r.issuer === keyless.issuer)) throw new Error(`the policy pins ${JSON.stringify(pinned)}`);
    // With the policy in place, verifying again neither asks nor offers to pin.
    await offer.waitFor({ state: 'detached' });
    await clearAllNotifications(page);
    await explorerMenu(SIGNED_MODEL, 'Verify Model');
    // The offer is the result's own message (verifyCommand.ts): once the result is on screen, no offer means the policy decided.
    await page
      .locator('.notifications-toasts .notification-toast', { hasText: `${SIGNED_MODEL} verified: signed by` })
      .first()
      .waitFor();
    if ((await offer.count()) > 0) throw new Error('a second offer to pin, with the policy in place');
    await page.waitForFunction(badgeIncludes(`Verified · ${SIGNER}`), undefined, { timeout: 60_000 });
    await shoot('pinned.png');
  });

  await step(`Sign Model on ${MODEL_DIR} with a private key (method, confirmation, key file): the badge says Signed with key … — not pinned`, async () => {
    const folders = page.locator(`.pane-header[aria-label="Explorer Section: ${WORKSPACE_NAME}"]`);
    if ((await folders.getAttribute('aria-expanded')) !== 'true') await folders.click();
    await explorerMenu(MODEL_DIR, 'Sign Model');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Private key' }).first().click();
    const confirm = page.locator('.monaco-dialog-box');
    await confirm.locator('.dialog-message-text', { hasText: `Sign ${MODEL_DIR}?` }).waitFor();
    await shoot('sign-confirm.png');
    await confirm.locator('.monaco-button', { hasText: 'Sign' }).first().click();
    await chooseFile(keyless.privateKey);
    await page.waitForFunction(badgeIncludes('Signed with key'), undefined, { timeout: 60_000 });
    await page
      .locator('.notifications-toasts .notification-toast', { hasText: `Signed ${MODEL_DIR}` })
      .first()
      .waitFor();
    await shoot('signed.png');
  });

  await step(`Sign Model keylessly on ${KEYLESS_UI_MODEL} (local Sigstore, a pasted token): the badge says Signed by ${SIGNER} — not pinned`, async () => {
    const model = join(dirname(keyless.modelPath), KEYLESS_UI_MODEL);
    mkdirSync(model, { recursive: true });
    writeFileSync(join(model, 'weights.bin'), Buffer.alloc(1 << 20, 7));
    await explorerMenu(KEYLESS_UI_MODEL, 'Sign Model');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Sigstore (keyless)' }).first().click();
    await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Sign' }).first().click();
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Paste an identity token' }).first().click();
    const tokenBox = page.locator('.quick-input-widget input[type="password"]');
    await tokenBox.waitFor();
    await tokenBox.fill(await keyless.mintToken());
    await page.keyboard.press('Enter');
    await page.waitForFunction(badgeIncludes(`Signed by ${SIGNER} (`), undefined, { timeout: 60_000 });
    await page
      .locator('.notifications-toasts .notification-toast', { hasText: `Signed ${KEYLESS_UI_MODEL}` })
      .first()
      .waitFor();
    const bundle = JSON.parse(readFileSync(join(model, 'model.sig'), 'utf8')) as { verificationMaterial: { tlogEntries?: unknown[] } };
    if (bundle.verificationMaterial.tlogEntries?.length !== 1) throw new Error('the keyless signature has no Rekor entry');
    await shoot('signed-keyless.png');
  });

  await step(
    `Sign Model with the editor's GitHub account (VS Code's sign-in, the identity shown first): the badge says Signed by ${keyless.github.email}; a workspace's apiUrl gets no token`,
    async () => {
      const workspace = dirname(keyless.modelPath);
      const model = join(workspace, GITHUB_UI_MODEL);
      mkdirSync(model, { recursive: true });
      writeFileSync(join(model, 'weights.bin'), Buffer.alloc(1 << 20, 9));
      // For this step the user's Sigstore is one whose CA takes GitHub access tokens (machine settings: the user's own).
      const userBefore = readFileSync(machineSettings, 'utf8');
      writeFileSync(machineSettings, JSON.stringify({ ...JSON.parse(userBefore), 'modelSigning.sigstore.trustConfig': keyless.github.trustConfig }, null, 2));
      // The workspace, as a cloned repository could, sends the GitHub API (and with it the account's token) elsewhere.
      const thief = await startRequestRecorder();
      const settingsFile = join(workspace, '.vscode', 'settings.json');
      const before = existsSync(settingsFile) ? readFileSync(settingsFile, 'utf8') : undefined;
      mkdirSync(dirname(settingsFile), { recursive: true });
      writeFileSync(settingsFile, JSON.stringify({ ...(before ? JSON.parse(before) : {}), 'modelSigning.github.apiUrl': thief.url }, null, 2));
      try {
        await explorerMenu(GITHUB_UI_MODEL, 'Sign Model');
        await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Sigstore (keyless)' }).first().click();
        await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Sign' }).first().click();
        await page.locator('.quick-input-list .monaco-list-row', { hasText: 'GitHub account' }).first().click();
        // VS Code's own prompt: may the extension sign in with the account?
        await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Allow' }).first().click();
        // Ours: the account and the identity the certificate will carry, before anything is signed.
        const confirm = page.locator('.monaco-dialog-box', { hasText: `Sign as ${keyless.github.email}?` });
        await confirm.waitFor({ timeout: 60_000 });
        await shoot('github-confirm.png');
        await confirm.locator('.monaco-button', { hasText: 'Sign' }).first().click();
        await page.waitForFunction(badgeIncludes(`Signed by ${keyless.github.email} (`), undefined, { timeout: 60_000 });
        await shoot('signed-github.png');
        if (thief.requests.length > 0) throw new Error(`the workspace's GitHub API got ${thief.requests.length} request(s): ${thief.requests[0]}`);
      } finally {
        await thief.stop();
        writeFileSync(machineSettings, userBefore);
        if (before === undefined) rmSync(settingsFile, { force: true });
        else writeFileSync(settingsFile, before);
      }
    },
  );

  await step('a long Sign Model cancelled from its progress notification writes nothing, and says so', async () => {
    // 8 GiB of holes: reading them takes the kernel seconds, long enough to press Cancel.
    const big = join(dirname(keyless.modelPath), 'huge-model');
    mkdirSync(big, { recursive: true });
    const fd = openSync(join(big, 'weights.bin'), 'w');
    ftruncateSync(fd, 8 * 2 ** 30);
    closeSync(fd);
    await explorerMenu('huge-model', 'Sign Model');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Private key' }).first().click();
    await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Sign' }).first().click();
    await chooseFile(keyless.privateKey);
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Signing huge-model' }).first();
    await toast.waitFor();
    await shoot('signing-progress.png');
    await toast.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
    await toast.waitFor({ state: 'detached' });
    await page.locator('.notifications-toasts .notification-toast', { hasText: 'Signing cancelled: nothing was written' }).first().waitFor();
    // The signature is written only once every byte is hashed, which the cancel stopped.
    const left = readdirSync(big);
    if (existsSync(join(big, 'model.sig')) || left.length !== 1) throw new Error(`the cancelled sign left ${left.join(', ')}`);
  });

  await step(`Open Provenance on ${PROVENANCE_FILE} (Explorer context menu): the viewer shows builder, source, subjects and signature`, () =>
    provenanceViewer({ page, workspace: dirname(keyless.modelPath), keyless, screenshotDir }),
  );

  await step('a hostile provenance shows as inert text in the viewer', () =>
    hostileProvenanceIsInert({ page, workspace: dirname(keyless.modelPath), keyless, screenshotDir }),
  );

  await step(`the Signed Model view of ${SIGNED_MODEL} lists the provenance beside it, which opens matched against ${SIGNED_MODEL}`, () =>
    provenanceFromSignedModelView({ page, workspace: dirname(keyless.modelPath), keyless, screenshotDir }),
  );

  await step('Sign Model with an expired pasted token says so', () => expiredPastedToken({ page, keyless }));
  await step(`Sign Model, Sign in with a browser: Signed by ${SIGNER} — not pinned`, () => browserSignIn({ page, keyless, screenshotDir }));
  await step(`npm start's ${SAMPLE_PROVENANCE_FILE} opens from the Explorer: model.sig left out, times agree, hints name the controls`, () =>
    sampleProvenance({ page, workspace: dirname(keyless.modelPath), keyless, screenshotDir }),
  );
  await step(`trust states: ${TRUST_MODEL} not pinned, then pinned from the badge (its key in the policy); the live badge's reason`, () =>
    trustStates({ page, workspace: dirname(keyless.modelPath), keyless, screenshotDir }),
  );
  await step(`opened afresh: ${SIGNED_MODEL} marked without a click, M on a changed file; the view names it; the walkthrough`, () =>
    verifyOnOpen({ page, workbenchUrl, workspace: dirname(keyless.modelPath), screenshotDir }),
  );

  await step('Sign Model names where each identity signs in; an unreachable GitHub API is said before it is tried', () =>
    identityChoices({ page, keyless, machineSettings }),
  );

  await step('after Verify Model, alone or beside the live check, no progress toast of ours stays', () => noProgressToastLingers({ page, keyless }));
  await step(`Sign Model on ${TOKEN_MODEL} with a hardware key (SoftHSM2): module, token, PIN, key; verify key checks it`, () =>
    pkcs11Signing({ page, workspace: dirname(keyless.modelPath), screenshotDir }),
  );
  await step('Sign Model with a trusted timestamp: the view says when', () => timestampedSigning({ page, keyless, machineSettings, screenshotDir }));
  await step('Sign Model on a Hugging Face cache repository folder: the signature beside snapshots/, the cache unchanged', () =>
    hfCacheModel({ page, workspace: dirname(keyless.modelPath), keyless, screenshotDir }),
  );
  await step('Pin Signer on a CI-signed model offers the workflow at any ref, then exactly this ref', () =>
    pinWorkflow({ page, workspace: dirname(keyless.modelPath), keyless, screenshotDir }),
  );

  return counts;
}
