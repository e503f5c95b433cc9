import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileIdentityRegex } from '../../src/core';

// `--identity-regex` and a policy's `identityRegex`: RE2's syntax (cosign's --certificate-identity-regexp),
// always anchored, matched by a set-of-states automaton so a hostile pattern or identity costs linear time.

const matches = (pattern: string, text: string) => compileIdentityRegex(pattern).test(text);

describe('identity regex', () => {
  it('matches the RE2 subset, always anchored at both ends', () => {
    const workflow = 'https://github.com/acme/models/.github/workflows/train.yml@refs/tags/v1.4.0';
    const cases: Array<[string, string, boolean]> = [
      ['https://github\\.com/acme/models/\\.github/workflows/train\\.yml@refs/tags/v.*', workflow, true],
      ['^https://github\\.com/acme/models/.*$', workflow, true],
      // cosign would accept these (unanchored); here they are whole-string matches.
      ['acme/models', workflow, false],
      ['https://github\\.com/acme/models', workflow, false],
      ['.*@refs/tags/v1', workflow, false],
      ['a|b', 'ab', false],
      ['a|b', 'b', true],
      ['(?:ab)+', 'ababab', true],
      ['(?P<org>acme)/(?<repo>models)', 'acme/models', true],
      ['(?i)ACME/Models', 'acme/MODELS', true],
      ['ACME', 'acme', false],
      ['a{2,3}', 'aaaa', false],
      ['a{2,}', 'aaaaa', true],
      ['a{2}', 'aa', true],
      ['a{', 'a{', true],
      ['[^a-c]+x', 'dex', true],
      ['[^a-c]+x', 'dax', false],
      ['[]a]', ']', true],
      ['\\d+\\.\\d+', '1.42', true],
      ['\\w+@example\\.com', 'alice_1@example.com', true],
      ['\\w+@example\\.com', 'al ce@example.com', false],
      ['.', '\n', false],
      ['x*?y', 'xxy', true],
    ];
    for (const [pattern, text, expected] of cases) assert.equal(matches(pattern, text), expected, `${pattern} on ${text}`);
  });

  it('refuses what RE2 lacks or what could not be anchored, in one line saying why', () => {
    const refused: Array<[string, RegExp]> = [
      ['(a)\\1', /backreferences are not supported/],
      ['(?=a)a', /lookaround is not supported/],
      ['(?<!a)b', /lookaround is not supported/],
      ['a^b', /`\^` inside the pattern/],
      ['a$b', /`\$` inside the pattern/],
      ['*a', /nothing to repeat/],
      ['a**', /a repetition of a repetition/],
      ['[z-a]', /runs backwards/],
      ['(a', /without its `\)`/],
      ['a)', /without its `\(`/],
      ['[a', /without its `\]`/],
      ['\\bword', /\\b is not supported/],
      ['\\pL', /\\p is not supported/],
      ['a{1000}', /a count above 100/],
      ['(?s)a', /flags are supported only as a leading \(\?i\)/],
      ['[[:alpha:]]', /POSIX classes/],
      ['x'.repeat(1001), /longer than 1000 characters/],
      ['((a{100}){100}){100}', /more than 10000 states/],
    ];
    for (const [pattern, why] of refused) {
      assert.throws(
        () => compileIdentityRegex(pattern),
        (e: Error & { code?: string }) => e.code === 'INVALID_OPTION' && why.test(e.message) && !e.message.includes('\n'),
        pattern.slice(0, 40),
      );
    }
  });

  it('never backtracks: pathological patterns cost steps linear in the text', () => {
    const n = 5000;
    const patterns = ['(a*)*b', '(a|a)*b', '(a|aa)*b', '(.*)*x', '(a?){30}a{30}', 'a*a*a*a*a*a*a*a*a*a*b', '(x+x+)+y'];
    for (const pattern of patterns) {
      const regex = compileIdentityRegex(pattern);
      for (const text of ['a'.repeat(n), `${'x'.repeat(n)}z`]) {
        const run = regex.run(text);
        assert.equal(run.matched, false, pattern);
        assert.ok(run.steps <= regex.size * (text.length + 1), `${pattern}: ${run.steps} steps for ${text.length} characters (size ${regex.size})`);
      }
    }
    // The same with a match at the end: still one pass.
    const regex = compileIdentityRegex('(a|aa)*b');
    const run = regex.run(`${'a'.repeat(n)}b`);
    assert.equal(run.matched, true);
    assert.ok(run.steps <= regex.size * (n + 2));
  });
});
