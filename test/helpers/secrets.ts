// What an error shows of itself, for tests that check no secret leaks into it.
import * as assert from 'node:assert/strict';
import * as util from 'node:util';
import { ModelSigningError } from '../../src/core/errors';

/** Every text an error exposes: message, stack, data, and its causes. */
export function exposedText(e: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number) => {
    if (v === undefined || v === null || depth > 6 || seen.has(v)) return;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
      parts.push(String(v));
      return;
    }
    if (typeof v === 'function' || typeof v === 'symbol') {
      parts.push(v.toString());
      return;
    }
    seen.add(v);
    if (v instanceof Error) parts.push(v.message, v.stack ?? '', String(v));
    try {
      parts.push(JSON.stringify(v) ?? '');
    } catch {
      /* cyclic */
    }
    parts.push(util.inspect(v, { depth: 4 }));
    if (v instanceof ModelSigningError) parts.push(JSON.stringify((v as ModelSigningError).data));
    walk((v as { cause?: unknown }).cause, depth + 1);
  };
  walk(e, 0);
  return parts.join('\n');
}

export function assertNoSecrets(e: unknown, secrets: Array<string | undefined | null>): void {
  const text = exposedText(e);
  for (const s of secrets) {
    if (!s) continue;
    assert.ok(!text.includes(s), `a secret (${s.slice(0, 6)}…) appears in the error: ${(e as Error).message}`);
  }
}
