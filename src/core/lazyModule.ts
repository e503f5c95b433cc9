// Parts of the program that are their own bundle in dist/ (the Sigstore stack,
// provenance, the extension's commands), loaded on first use so that what
// starts first stays small.
import { createRequire } from 'node:module';
import * as path from 'node:path';

/**
 * Requires a module next to the caller: from a bundle, the bundle `bundle`
 * (a computed path, which esbuild leaves alone, so the module stays out of the
 * caller's bundle); under tsx, the source file `source`.
 */
export function requireLazily<T>(callerFile: string, bundle: string, source: string): T {
  const file = callerFile.endsWith('.js') ? bundle : source;
  return createRequire(callerFile)(path.join(path.dirname(callerFile), file)) as T;
}
