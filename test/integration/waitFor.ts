import * as assert from 'node:assert/strict';

/**
 * Polls `check` until it holds and returns how long that took. The deadline is generous, for a loaded
 * 2-core machine: it only ends a test that hangs; no test asserts the time. `detail` says what was on
 * screen when it gave up.
 */
export async function waitFor(what: string, check: () => boolean, options: { ms?: number; detail?: () => string } = {}): Promise<number> {
  const ms = options.ms ?? 30_000;
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) assert.fail(`${what}: not within ${ms} ms${options.detail ? ` (${options.detail()})` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - t0;
}
