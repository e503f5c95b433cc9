// Does `npm start` still work an hour on? Starts what `npm start` starts (startDemo.ts), opens the workbench in
// headless Chromium as a user would, leaves it all idle for the given time, then drives each path the demo offers:
// Verify Model on signed-llm, and Sign Model keylessly with each identity source (a token pasted from the token
// page, the browser sign-in with the local issuer's login page, the GitHub account stand-in). One line per path,
// ok or the failure (with a screenshot); exits 1 when one failed.
//
//   node --import tsx test/demo/soak.ts --after 65m     # also 90s, 2h; default 0s (a quick check)
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { browserSignIn } from '../e2e/browserSignIn';
import { SIGNED_MODEL, SIGNER } from '../e2e/keylessModel';
import { launchBrowser, type Page } from '../e2e/playwright';
import { badgeIncludes, clearNotifications, explorerMenu, explorerRow } from '../e2e/workbench';
import { WORKSPACE_NAME } from '../e2e/workspace';
import { type Demo, startDemo } from './startDemo';

const SCREENSHOTS = resolve(__dirname, '..', '..', 'test-output', 'soak');
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `--after 65m` in milliseconds. */
function afterArgument(args: readonly string[]): number {
  const i = args.indexOf('--after');
  if (i < 0) return 0;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(args[i + 1] ?? '');
  if (!match) throw new Error(`--after takes a duration such as 90s, 65m or 2h, not '${args[i + 1] ?? ''}'`);
  return Number(match[1]) * (UNITS[match[2] as string] as number);
}

/** A fresh model folder in the workspace, for one signing path. */
function newModel(demo: Demo, name: string, fill: number): void {
  const model = join(demo.workspace, name);
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'weights.bin'), Buffer.alloc(1 << 20, fill));
}

/** Sign Model on `model` up to the identity source: keyless, the confirmation, then the source's item. */
async function signKeylessWith(page: Page, model: string, source: string): Promise<void> {
  const folders = page.locator(`.pane-header[aria-label="Explorer Section: ${WORKSPACE_NAME}"]`);
  if ((await folders.getAttribute('aria-expanded')) !== 'true') await folders.click();
  await explorerMenu(page, model, 'Sign Model');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Sigstore (keyless)' }).first().click();
  await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Sign' }).first().click();
  await page.locator('.quick-input-list .monaco-list-row', { hasText: source }).first().click();
}

async function signedBy(page: Page, model: string, identity: string): Promise<void> {
  await page.waitForFunction(badgeIncludes(`Signed by ${identity} (`), undefined, { timeout: 60_000 });
  await page
    .locator('.notifications-toasts .notification-toast', { hasText: `Signed ${model}` })
    .first()
    .waitFor();
}

const paths: { name: string; drive(page: Page, demo: Demo): Promise<void> }[] = [
  {
    name: `Verify Model on ${SIGNED_MODEL}`,
    async drive(page) {
      await explorerMenu(page, SIGNED_MODEL, 'Verify Model');
      await page.waitForFunction(badgeIncludes(`Signed by ${SIGNER} (`), undefined, { timeout: 60_000 });
    },
  },
  {
    name: 'Sign Model, a pasted token from the token page',
    async drive(page, demo) {
      newModel(demo, 'soak-pasted', 1);
      await signKeylessWith(page, 'soak-pasted', 'Paste an identity token');
      const response = await fetch(demo.tokenPage.url);
      if (!response.ok) throw new Error(`the token page answered ${response.status}: ${await response.text()}`);
      const tokenBox = page.locator('.quick-input-widget input[type="password"]');
      await tokenBox.waitFor();
      await tokenBox.fill(await response.text());
      await page.keyboard.press('Enter');
      await signedBy(page, 'soak-pasted', SIGNER);
    },
  },
  {
    name: "Sign Model, Sign in with a browser (the local issuer's login page)",
    drive: (page, demo) => browserSignIn({ page, keyless: demo.keyless, screenshotDir: SCREENSHOTS }),
  },
  {
    name: 'Sign Model, the GitHub account stand-in',
    async drive(page, demo) {
      newModel(demo, 'soak-github', 2);
      await signKeylessWith(page, 'soak-github', 'GitHub account');
      const confirm = page.locator('.monaco-dialog-box', { hasText: `Sign as ${demo.keyless.github.email}?` });
      // VS Code asks once whether the extension may use the account.
      const allow = page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Allow' }).first();
      await page.locator('.monaco-dialog-box').first().waitFor({ timeout: 60_000 });
      if ((await allow.count()) > 0) await allow.click();
      await confirm.waitFor({ timeout: 60_000 });
      await confirm.locator('.monaco-button', { hasText: 'Sign' }).first().click();
      await signedBy(page, 'soak-github', demo.keyless.github.email);
    },
  },
];

async function main(): Promise<number> {
  const after = afterArgument(process.argv.slice(2));
  mkdirSync(SCREENSHOTS, { recursive: true });
  const demo = await startDemo({ log: (line) => console.log(line) });
  let failed = 0;
  let kept: Awaited<ReturnType<Demo['stop']>>;
  try {
    const { context, page } = await launchBrowser(join(demo.run, 'soak-browser'));
    try {
      await page.goto(demo.url);
      await page.locator(explorerRow(SIGNED_MODEL)).waitFor({ timeout: 60_000 });
      console.log(`${demo.url} is open; the paths run at ${new Date(Date.now() + after).toISOString()}`);
      await new Promise((r) => setTimeout(r, after)); // the wait is the test: an hour of a demo nobody touches
      for (const path of paths) {
        const started = Date.now();
        try {
          await path.drive(page, demo);
          console.log(`ok    ${path.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        } catch (e) {
          failed++;
          const shot = join(SCREENSHOTS, `failed-${path.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
          await page.screenshot({ path: shot }).catch(() => undefined);
          console.log(`FAIL  ${path.name}: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]} (screenshot ${shot})`);
        }
        await clearNotifications(page);
      }
    } finally {
      await context.close();
    }
  } finally {
    // As on npm start's Ctrl-C: the workspace stays, with what was signed in it.
    kept = await demo.stop(true);
  }
  const signed = join(demo.workspace, 'soak-pasted', 'model.sig');
  if (kept.some((k) => k.name === WORKSPACE_NAME) && existsSync(signed)) console.log('ok    stopping keeps the workspace, with what was signed in it');
  else {
    failed++;
    console.log(
      `FAIL  stopping keeps the workspace: kept ${kept.map((k) => k.name).join(', ') || 'nothing'}; ${signed} ${existsSync(signed) ? 'is there' : 'is gone'}`,
    );
  }
  rmSync(demo.run, { recursive: true, force: true });
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
