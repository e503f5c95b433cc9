// The provenance viewer in the real workbench: provenance made for a model folder (by the core's
// attestModel, as a GitHub Actions run would, signed keylessly against the local Sigstore), opened
// from the Explorer's context menu, and read from INSIDE the webview (two nested iframes). Then a
// hostile provenance (markup and javascript: URLs in the builder id, subjects, parameters) must
// show as inert text: no element of it exists in the page's DOM and nothing of it is a link.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InlineHashPool } from '../../src/core/hashing/hashPool';
import { attestModel } from '../../src/core/provenance/attesting/attest';
import { serializeBundle } from '../../src/core/signing/bundle';
import { SigstoreSigner } from '../../src/core/sigstore/sigstoreSigner';
import { StaticTokenProvider } from '../../src/core/sigstore/identityToken';
import { loadTrustConfig } from '../../src/core/sigstore/trustConfig';
import { SIGNER, type KeylessModel } from './keylessModel';
import type { Locator, Page } from './playwright';
import { clearNotifications, explorerMenu, explorerRow, signedModelView } from './workbench';

export const PROVENANCE_MODEL = 'slsa-model';
export const PROVENANCE_FILE = `${PROVENANCE_MODEL}.sigstore.json`;
export const HOSTILE_MODEL = 'evil-model';
export const HOSTILE_FILE = `${HOSTILE_MODEL}.sigstore.json`;

const REPO = 'acme/llm-trainer';
const COMMIT = '1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c';
export const BUILDER_ID = `https://github.com/${REPO}/.github/workflows/train.yml@refs/heads/main`;
/** A GitHub Actions run as the runner's environment describes it. */
const GITHUB_RUN = {
  GITHUB_ACTIONS: 'true',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: REPO,
  GITHUB_REF: 'refs/heads/main',
  GITHUB_SHA: COMMIT,
  GITHUB_WORKFLOW_REF: `${REPO}/.github/workflows/train.yml@refs/heads/main`,
  GITHUB_RUN_ID: '9876543210',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_EVENT_NAME: 'push',
  RUNNER_ENVIRONMENT: 'github-hosted',
  GITHUB_REPOSITORY_ID: '123456789',
  GITHUB_REPOSITORY_OWNER_ID: '987654',
};

export const HOSTILE = {
  script: '<script>window.pwned=1;alert(1)</script>',
  img: '<img src=x onerror=alert(1)>',
  js: 'javascript:alert(1)',
};

// playwright-core's frame locators, beyond the types playwright.ts declares.
interface FrameLocator {
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator & FrameLocatorExtras;
  frameLocator(selector: string): FrameLocator;
}
interface FrameLocatorExtras {
  evaluateAll<R>(fn: (elements: Array<{ textContent: string | null; getAttribute(n: string): string | null }>) => R): Promise<R>;
  nth(i: number): Locator;
}
type FramePage = Page & { frameLocator(selector: string): FrameLocator };

export interface ProvenanceViewerOptions {
  page: Page;
  workspace: string;
  keyless: KeylessModel;
  screenshotDir: string;
}

/** Writes a little zip (stored members), enough for the TorchScript recogniser. */
function storedZip(members: Array<[string, Buffer | string]>): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of members) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const n = Buffer.from(name);
    const fields = Buffer.alloc(26);
    fields.writeUInt16LE(20, 0); // version needed
    fields.writeUInt16LE(0, 2); // flags
    fields.writeUInt16LE(0, 4); // stored
    fields.writeUInt32LE(crc32(data), 10);
    fields.writeUInt32LE(data.length, 14);
    fields.writeUInt32LE(data.length, 18);
    fields.writeUInt16LE(n.length, 22);
    const local = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), fields, n]);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    fields.copy(cd, 6, 0, 26);
    cd.writeUInt32LE(offset, 42);
    central.push(Buffer.concat([cd, n]));
    parts.push(local, data);
    offset += local.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}

/** torch.jit.save's layout: data.pkl naming the scripted class, code/, constants.pkl, three tensor storages. */
export function torchScriptModel(): Buffer {
  // PROTO 2, GLOBAL '__torch__ Net', EMPTY_TUPLE, NEWOBJ, STOP: the pickle names the module's class.
  const dataPkl = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('c__torch__\nNet\n'), Buffer.from([0x29, 0x81, 0x2e])]);
  const floats = (n: number, seed: number) => Buffer.from(Array.from({ length: 4 * n }, (_, i) => (i * 13 + seed) & 0xff));
  return storedZip([
    ['net/data.pkl', dataPkl],
    ['net/code/__torch__.py', 'class Net(Module):\n  __parameters__ = ["fc1", "fc2"]\n'],
    ['net/constants.pkl', Buffer.from([0x80, 0x02, 0x29, 0x2e])],
    ['net/data/0', floats(64, 1)],
    ['net/data/1', floats(8, 2)],
    ['net/data/2', floats(8, 3)],
    ['net/version', '6\n'],
  ]);
}

/** The model folder and its provenance, as `attest --per-file` makes it in a GitHub Actions run; and the hostile one. */
export async function prepareProvenance(workspace: string, keyless: KeylessModel): Promise<void> {
  const model = join(workspace, PROVENANCE_MODEL);
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'model.pt'), torchScriptModel());
  writeFileSync(join(model, 'config.json'), `${JSON.stringify({ architectures: ['Net'], hidden_size: 8 }, null, 2)}\n`);
  // Keyless, against the run's local Sigstore (the trust config the editor's settings name); a fresh token per signature.
  const sign = async () =>
    new SigstoreSigner({ trustConfig: loadTrustConfig(keyless.trustConfig), identity: new StaticTokenProvider(await keyless.mintToken()) });
  await attestModel(model, {
    pool: new InlineHashPool(),
    signer: await sign(),
    output: join(workspace, PROVENANCE_FILE),
    overwrite: true,
    perFile: true,
    environment: GITHUB_RUN,
  });

  const evil = join(workspace, HOSTILE_MODEL);
  mkdirSync(evil, { recursive: true });
  writeFileSync(join(evil, 'weights.bin'), 'not the weights the provenance names\n');
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [
      { name: HOSTILE.script, digest: { sha256: 'a'.repeat(64) } },
      { name: HOSTILE.img, digest: { sha256: 'b'.repeat(64) } },
    ],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: {
      buildDefinition: {
        buildType: HOSTILE.js,
        externalParameters: {
          [HOSTILE.img]: HOSTILE.script,
          workflow: { repository: HOSTILE.js, path: HOSTILE.img, ref: HOSTILE.script },
          source: { uri: HOSTILE.js },
        },
        internalParameters: { github: { event_name: HOSTILE.img } },
        resolvedDependencies: [
          { uri: HOSTILE.js, digest: { gitCommit: COMMIT } },
          { uri: `data:text/html,${HOSTILE.script}`, name: HOSTILE.img },
        ],
      },
      runDetails: { builder: { id: HOSTILE.img }, metadata: { invocationId: HOSTILE.js } },
    },
  };
  const bundle = await (await sign()).sign(Buffer.from(JSON.stringify(statement)));
  writeFileSync(join(workspace, HOSTILE_FILE), serializeBundle(bundle));
}

/** Right-clicks a file in the Explorer and picks Open Provenance (retrying until our menu item is in). */
export async function openFromExplorer(page: Page, workspaceName: string, file: string): Promise<void> {
  const folders = page.locator(`.pane-header[aria-label="Explorer Section: ${workspaceName}"]`);
  if ((await folders.getAttribute('aria-expanded')) !== 'true') await folders.click();
  await page.locator(explorerRow(file)).waitFor({ timeout: 60_000 });
  await explorerMenu(page, file, 'Open Provenance');
}

/** The page inside the visible webview: the outer iframe (class ready once loaded), then #active-frame. */
export const webviewContent = (page: Page) => (page as FramePage).frameLocator('iframe.webview.ready >> visible=true').frameLocator('#active-frame');

export async function text(frame: FrameLocator, selector: string): Promise<string> {
  return ((await frame.locator(selector).first().textContent()) ?? '').trim();
}

function expectEqual(what: string, actual: unknown, expected: unknown): void {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, read ${JSON.stringify(actual)}`);
}
function expectIncludes(what: string, actual: string, part: string): void {
  if (!actual.includes(part)) throw new Error(`${what}: expected it to include ${JSON.stringify(part)}, read ${JSON.stringify(actual)}`);
}

/** Opens the model's provenance from the Explorer, checks what the viewer shows, and saves the screenshot. */
export async function provenanceViewer({ page, workspace, keyless, screenshotDir }: ProvenanceViewerOptions): Promise<void> {
  await prepareProvenance(workspace, keyless);
  const workspaceName = workspace.split('/').pop()!;
  await openFromExplorer(page, workspaceName, PROVENANCE_FILE);
  await page
    .locator('.tab', { hasText: `Provenance: ${PROVENANCE_FILE}` })
    .first()
    .waitFor();
  const frame = webviewContent(page);
  await frame.locator('[data-field="builder"]').waitFor({ timeout: 30_000 });
  // The first view may come before the model's files are hashed; wait for the subjects' marks.
  await frame.locator('tr.subject[data-mark="root-digest"]').waitFor({ timeout: 30_000 });

  expectEqual('builder', await text(frame, '[data-field="builder"]'), BUILDER_ID);
  expectEqual('source repository', await text(frame, '[data-field="source"]'), `git+https://github.com/${REPO}@refs/heads/main`);
  expectEqual('the source is a link', await frame.locator('button.link[data-field="source"]').count(), 1);
  expectEqual('commit', await text(frame, '[data-field="commit"]'), COMMIT);
  expectIncludes('run', await text(frame, '[data-field="run"]'), 'run 9876543210');
  expectEqual('trigger', await text(frame, '[data-field="trigger"]'), 'push');
  expectIncludes('signature', await text(frame, '[data-field="signature-status"]'), 'Verified');
  expectEqual('signer', await text(frame, '[data-field="signer-identity"]'), 'dev@example.com');
  const rows = frame.locator('tr.subject');
  expectEqual('subjects (root digest + 2 files)', await rows.count(), 3);
  expectEqual('subjects matching a file', await frame.locator('tr.subject[data-mark="file"]').count(), 2);
  const modelRow = frame.locator('tr.subject', { hasText: 'model.pt' });
  expectIncludes('model.pt format', (await modelRow.first().textContent()) ?? '', 'TorchScript, 3 tensors');
  console.log(`    viewer: builder, source, commit, run, trigger, signature (Verified, dev@example.com), 3 subjects matched, model.pt TorchScript, 3 tensors`);

  // Signed by a person's identity, not by a builder the verifier trusts by default: the viewer says why it does not pass.
  expectIncludes('problems', await text(frame, '[data-field="problems"]'), 'trusted-builder: ');

  await clearNotifications(page);
  const shot = join(screenshotDir, 'provenance.png');
  await page.screenshot({ path: shot });
  console.log(`    screenshot: ${shot}`); // the README's copy in media/screenshots is refreshed by hand, like the others

  // A link opens only after a modal confirmation that shows the URL; cancelled here.
  await frame.locator('button.link[data-field="source"]').click();
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor();
  expectIncludes('confirmation', (await dialog.textContent()) ?? '', `https://github.com/${REPO}`);
  await dialog.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
  await dialog.waitFor({ state: 'detached' });

  // A model file changed on disk: the viewer checks again and marks the subject.
  const config = join(workspace, PROVENANCE_MODEL, 'config.json');
  const original = readFileSync(config);
  writeFileSync(config, '{"hidden_size": 9}\n');
  try {
    await frame.locator('tr.subject[data-mark="changed"]', { hasText: 'config.json' }).waitFor();
  } finally {
    writeFileSync(config, original);
  }
  await frame.locator('tr.subject[data-mark="file"]', { hasText: 'config.json' }).waitFor();

  // Expected Source and Builder… (slsa-verifier's --source-uri and --builder-id): naming the signer makes it pass.
  await giveExpectedSourceAndBuilder(page, `github.com/${REPO}`, SIGNER);
  await clearNotifications(page);
  const passed = join(screenshotDir, 'provenance-verified.png');
  await page.screenshot({ path: passed });
  console.log(`    with the expected source and builder: passes every check; screenshot: ${passed}`);

  // Closed and opened again, the panel remembers what was given for this file.
  const tab = page.locator('.tab', { hasText: `Provenance: ${PROVENANCE_FILE}` }).first();
  await tab.locator('.codicon-close').click();
  await tab.waitFor({ state: 'detached' });
  await openFromExplorer(page, workspaceName, PROVENANCE_FILE);
  await webviewContent(page).locator('.verdict.ok', { hasText: 'passes every check' }).waitFor({ timeout: 30_000 });
}

/** Expected Source and Builder… in the open viewer, both boxes answered; then the statement passes every check. */
export async function giveExpectedSourceAndBuilder(page: Page, source: string, builder: string): Promise<void> {
  const frame = webviewContent(page);
  await frame.locator('button', { hasText: 'Expected Source and Builder' }).click();
  // Each box is waited for by its title: Enter in the first must not land in the second before it is shown.
  for (const [title, answer] of [
    ['Expected source repository (1/2)', source],
    ['Expected builder (2/2)', builder],
  ] as const) {
    await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor();
    const box = page.locator('.quick-input-box input');
    await box.fill(answer);
    await page.waitForFunction(`document.querySelector('.quick-input-box input')?.value === ${JSON.stringify(answer)}`);
    await page.keyboard.press('Enter');
  }
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  await frame.locator('.verdict.ok', { hasText: 'passes every check' }).waitFor();
}

/** Opens the hostile provenance: every hostile string shows as text, and none of it became an element or a link. */
export async function hostileProvenanceIsInert({ page, workspace, screenshotDir }: ProvenanceViewerOptions): Promise<void> {
  const workspaceName = workspace.split('/').pop()!;
  await openFromExplorer(page, workspaceName, HOSTILE_FILE);
  await page
    .locator('.tab', { hasText: `Provenance: ${HOSTILE_FILE}` })
    .first()
    .waitFor();
  const frame = webviewContent(page);
  await frame.locator('[data-field="builder"]', { hasText: 'onerror' }).waitFor({ timeout: 30_000 });
  expectEqual('hostile builder as text', await text(frame, '[data-field="builder"]'), HOSTILE.img);
  expectEqual('javascript: source as text, not a link', await text(frame, '[data-field="source"]'), HOSTILE.js);
  for (const s of [HOSTILE.script, HOSTILE.img]) {
    expectEqual(`subject ${s} as text`, await frame.locator('tr.subject td.name', { hasText: s }).count(), 1);
  }
  expectIncludes('parameters as text', (await frame.locator('[data-section="parameters"]').textContent()) ?? '', `${HOSTILE.img}: ${HOSTILE.script}`);
  expectEqual('<img> elements in the page', await frame.locator('img').count(), 0);
  expectEqual('elements with an onerror attribute', await frame.locator('[onerror]').count(), 0);
  expectEqual('<a> elements in the page', await frame.locator('a').count(), 0);
  expectEqual('links made of the hostile URLs', await frame.locator('button.link').count(), 0);
  const scripts = await frame.locator('script').evaluateAll((els) => els.map((e) => `${e.getAttribute('src') ?? ''} ${e.textContent ?? ''}`));
  const injected = scripts.filter((s) => s.includes('alert') || s.includes('pwned'));
  expectEqual('scripts from the data', injected.length, 0);
  console.log(
    `    hostile provenance: markup and javascript: URLs shown as text; ${scripts.length} script element(s), none from the data; no <img>, <a> or onerror`,
  );
  await clearNotifications(page);
  const shot = join(screenshotDir, 'provenance-hostile.png');
  await page.screenshot({ path: shot });
  console.log(`    screenshot: ${shot}`);
}

/**
 * A signed model with provenance beside it, named after it: after Verify Model, the Signed Model view lists the
 * provenance, and clicking it opens the viewer matched against that model.
 */
export async function provenanceFromSignedModelView({ page, workspace, keyless }: ProvenanceViewerOptions): Promise<void> {
  const model = keyless.modelPath;
  const file = `${basename(model)}.provenance.sigstore.json`;
  copyFileSync(join(workspace, PROVENANCE_FILE), join(workspace, file));
  const folders = page.locator(`.pane-header[aria-label="Explorer Section: ${basename(workspace)}"]`);
  if ((await folders.getAttribute('aria-expanded')) !== 'true') await folders.click();
  await explorerMenu(page, basename(model), 'Verify Model');
  const view = signedModelView(page);
  const entry = view.locator('.monaco-list-row', { hasText: file }).first();
  try {
    await entry.waitFor({ timeout: 60_000 });
  } catch {
    const rows = await view.locator('.monaco-list-row').allInnerTexts();
    throw new Error(`no ${file} entry in the Signed Model view; it shows ${JSON.stringify(rows.map((r) => r.replace(/\s+/g, ' ')))}`);
  }
  // One click: the row's command carries no arguments, so a refresh of the view just before it cannot lose it.
  await entry.click();
  try {
    await page
      .locator('.tab', { hasText: `Provenance: ${file}` })
      .first()
      .waitFor({ timeout: 60_000 });
  } catch {
    const toasts = await page.locator('.notifications-toasts .notification-toast').allInnerTexts();
    throw new Error(`a click on the Provenance row opened no viewer; notifications: ${JSON.stringify(toasts)}`);
  }
  const shown = await text(webviewContent(page), '[data-field="model"]');
  expectIncludes('the model the subjects are matched against', shown, model);
}
