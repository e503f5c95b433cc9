// playwright-core lives in test/e2e/harness (installed by setup.sh), outside the extension's own
// package.json, so it is loaded from there at run time. The few types used are declared here, so
// `npm run typecheck` passes before the harness is installed.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const HARNESS_DIR = join(__dirname, 'harness');

export interface Locator {
  waitFor(options?: { state?: 'attached' | 'detached' | 'visible' | 'hidden'; timeout?: number }): Promise<void>;
  click(options?: { button?: 'left' | 'right'; timeout?: number }): Promise<void>;
  count(): Promise<number>;
  first(): Locator;
  locator(selector: string, options?: { hasText?: string | RegExp }): Locator;
  textContent(options?: { timeout?: number }): Promise<string | null>;
  allInnerTexts(): Promise<string[]>;
  getAttribute(name: string, options?: { timeout?: number }): Promise<string | null>;
  fill(value: string, options?: { timeout?: number }): Promise<void>;
}

export interface Page {
  goto(url: string, options?: { timeout?: number; waitUntil?: 'load' | 'domcontentloaded' | 'commit' }): Promise<unknown>;
  locator(selector: string, options?: { hasText?: string | RegExp; has?: Locator }): Locator;
  exposeFunction(name: string, callback: (...args: never[]) => unknown): Promise<void>;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<Buffer>;
  title(): Promise<string>;
  /** `expression` is evaluated in the page (a string: this tsconfig has no DOM types). */
  waitForFunction(expression: string, arg?: unknown, options?: { timeout?: number; polling?: number }): Promise<unknown>;
  waitForTimeout(ms: number): Promise<void>;
  click(selector: string, options?: { button?: 'left' | 'right'; timeout?: number }): Promise<void>;
  textContent(selector: string, options?: { timeout?: number }): Promise<string | null>;
  getByRole(role: string, options?: { name?: string | RegExp; exact?: boolean }): Locator;
  on(event: 'console', listener: (message: { type(): string; text(): string }) => void): void;
  on(event: 'pageerror', listener: (error: Error) => void): void;
  keyboard: { press(key: string): Promise<void> };
  setDefaultTimeout(ms: number): void;
  context(): BrowserContext;
  close(): Promise<void>;
}

export interface BrowserContext {
  pages(): Page[];
  newPage(): Promise<Page>;
  route(url: (url: URL) => boolean, handler: (route: { abort(): Promise<void> }) => void): Promise<void>;
  close(): Promise<void>;
}

interface Chromium {
  launchPersistentContext(
    userDataDir: string,
    options: {
      executablePath: string;
      headless: boolean;
      args: string[];
      viewport?: { width: number; height: number };
      handleSIGINT?: boolean;
      handleSIGTERM?: boolean;
    },
  ): Promise<BrowserContext>;
}

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

function loadChromium(): Chromium {
  if (!existsSync(join(HARNESS_DIR, 'node_modules', 'playwright-core'))) {
    throw new Error('playwright-core is not installed in test/e2e/harness: run `bash test/e2e/setup.sh`');
  }
  const requireFromHarness = createRequire(join(HARNESS_DIR, 'package.json'));
  return (requireFromHarness('playwright-core') as { chromium: Chromium }).chromium;
}

/**
 * Launches headless Debian Chromium (no Playwright browser download) with a fresh profile in
 * `profileDir`. Every request not bound for loopback is aborted: nothing leaves the machine (the
 * workbench's Open VSX gallery query fails at once and does no harm).
 */
export async function launchBrowser(profileDir: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await loadChromium().launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: { width: 1280, height: 800 },
    // The runner handles these itself: Playwright's handlers would exit before code-server is stopped.
    handleSIGINT: false,
    handleSIGTERM: false,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  await context.route(
    (url) => !['127.0.0.1', 'localhost'].includes(url.hostname),
    (route) => void route.abort(),
  );
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  return { context, page };
}
