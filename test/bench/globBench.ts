// The policy glob matcher on adversarial patterns (`npm run bench`, or alone:
// `node --import tsx test/bench/globBench.ts`). Prints times, asserts nothing:
// the unit tests hold the matcher to its step bound instead (test/unit/policy.test.ts).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileGlob } from '../../src/core';

/** [glob, path]: the issue's two cases (seconds with a backtracking RegExp), then larger ones. */
export const ADVERSARIAL: ReadonlyArray<readonly [string, string]> = [
  ['{*,*}'.repeat(10) + 'x', 'a'.repeat(12)],
  ['*a'.repeat(8) + '*b', 'a'.repeat(40)],
  ['*a'.repeat(40) + '*b', 'a'.repeat(2000)],
  ['{a,aa,aaa}'.repeat(30) + 'b', 'a'.repeat(500)],
  ['**/' + '*a/'.repeat(10) + 'b', 'aa/'.repeat(300) + 'c'],
];

const REPO = path.resolve(__dirname, '../..');

export function globBench(log: (s?: string) => void): void {
  log(`  ${'glob'.padEnd(34)} ${'path'.padStart(5)}  ${'this matcher'.padStart(12)}  ${'steps'.padStart(7)}  picomatch / minimatch (RegExp)`);
  for (const [glob, p] of ADVERSARIAL) {
    const compiled = compileGlob(glob, { caseInsensitive: false });
    const times: number[] = [];
    let steps = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      steps = compiled.run(p).steps;
      times.push(performance.now() - t0);
    }
    const ms = times.sort((a, b) => a - b)[2]!;
    const shown = glob.length > 32 ? `${glob.slice(0, 31)}…` : glob;
    log(
      `  ${shown.padEnd(34)} ${String(p.length).padStart(5)}  ${`${ms.toFixed(2)} ms`.padStart(12)}  ${String(steps).padStart(7)}  ${regexpLibraries(glob, p)}`,
    );
  }
}

/**
 * The same match with picomatch and minimatch (in node_modules as dependencies
 * of our tools, not of the extension), each in a child process stopped after 20 s.
 */
function regexpLibraries(glob: string, p: string): string {
  return ['picomatch', 'minimatch']
    .map((lib) => {
      const call = lib === 'picomatch' ? 'require("picomatch").isMatch(p, g)' : 'require("minimatch").minimatch(p, g)';
      const script = `const [g, p] = JSON.parse(process.argv[1]); const t = performance.now(); ${call}; console.log((performance.now() - t).toFixed(1));`;
      const r = spawnSync(process.execPath, ['-e', script, JSON.stringify([glob, p])], {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 20_000,
        env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') },
      });
      if (r.error || r.signal) return `${lib} > 20 s`;
      return r.status === 0 ? `${lib} ${r.stdout.trim()} ms` : `${lib} n/a`;
    })
    .join(', ');
}

if (require.main === module) globBench((s = '') => process.stdout.write(`${s}\n`));
