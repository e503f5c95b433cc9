import { FormatError } from '../errors';

/*
 * The syntax of `identityRegex` (cosign's `--certificate-identity-regexp`, Go
 * RE2), parsed into a tree that regexAutomaton.ts runs without backtracking.
 * The pattern comes from a policy file or a flag and the text it is matched
 * against from a certificate: both are untrusted, and a JS RegExp backtracks.
 *
 * Supported, as RE2 reads it: literals; `.` (any character but a newline);
 * `[abc]`, `[a-z]`, `[^…]`; `\d \w \s \D \W \S`, `\t \n \r \f \v` and any
 * escaped punctuation; `(…)`, `(?:…)`, `(?P<name>…)`, `(?<name>…)` (groups only
 * group: nothing is captured); `|`; `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`
 * (n, m ≤ 100), each optionally lazy (`*?`, the same when only matching);
 * a leading `(?i)` for case-insensitive matching. The pattern is always
 * anchored at both ends, so `^` at its start and `$` at its end are allowed
 * and change nothing. Refused, with one line saying why: backreferences (RE2
 * has none), lookaround, `\b`, `^`/`$` inside, POSIX and Unicode classes, other flags.
 */

/** A character test: does the set hold this code point? */
export type CharTest = (cp: number) => boolean;

export type RegexNode =
  | { type: 'chars'; test: CharTest }
  | { type: 'sequence'; items: RegexNode[] }
  | { type: 'either'; items: RegexNode[] }
  | { type: 'repeat'; node: RegexNode; min: number; max: number };

export interface ParsedRegex {
  node: RegexNode;
  caseInsensitive: boolean;
}

/** Longest pattern accepted, and largest count in `{n,m}`: an automaton stays small. */
export const MAX_REGEX_LENGTH = 1000;
export const MAX_REPEAT = 100;

const NEWLINE = 0x0a;
const isDigit: CharTest = (c) => c >= 0x30 && c <= 0x39;
const isWord: CharTest = (c) => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
// RE2's \s: [\t\n\f\r ] (no \v).
const isSpace: CharTest = (c) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
const CLASSES: Record<string, CharTest> = {
  d: isDigit,
  D: (c) => !isDigit(c),
  w: isWord,
  W: (c) => !isWord(c),
  s: isSpace,
  S: (c) => !isSpace(c),
};
const CONTROLS: Record<string, number> = { t: 0x09, n: 0x0a, r: 0x0d, f: 0x0c, v: 0x0b };
const PUNCTUATION = /^[!-/:-@[-`{-~]$/;

export function regexError(pattern: string, why: string): FormatError {
  return new FormatError('INVALID_OPTION', `Invalid identity regex ${JSON.stringify(pattern)}: ${why}`, { pattern, why });
}

/** Parses an identity regex (see above); throws INVALID_OPTION (data.why) for anything else. */
export function parseRegex(pattern: string): ParsedRegex {
  if (pattern.length > MAX_REGEX_LENGTH) throw regexError(pattern.slice(0, 40), `longer than ${MAX_REGEX_LENGTH} characters`);
  const chars = Array.from(pattern);
  let i = 0;
  const fail = (why: string): never => {
    throw regexError(pattern, `${why} (at character ${i + 1})`);
  };
  const peek = (k = 0) => chars[i + k];
  let caseInsensitive = false;
  if (pattern.startsWith('(?i)')) {
    caseInsensitive = true;
    i = 4;
  }
  if (peek() === '^') i++;
  const end = chars.length - (chars[chars.length - 1] === '$' && chars[chars.length - 2] !== '\\' && chars.length > i ? 1 : 0);

  const escape = (inSet: boolean): CharTest => {
    const c = peek();
    if (c === undefined) return fail('a trailing backslash');
    i++;
    if (CLASSES[c]) return CLASSES[c];
    if (CONTROLS[c] !== undefined) return one(CONTROLS[c]);
    if (/[1-9]/.test(c)) return fail('backreferences are not supported (RE2 has none)');
    if (PUNCTUATION.test(c)) return one(c.codePointAt(0)!);
    return fail(`\\${c} is not supported${inSet ? ' in a set' : ''}`);
  };

  const set = (): CharTest => {
    // After `[`.
    const negated = peek() === '^';
    if (negated) i++;
    const tests: CharTest[] = [];
    let first = true;
    for (;;) {
      const c = peek();
      if (c === undefined) return fail('a `[` without its `]`');
      if (c === ']' && !first) {
        i++;
        break;
      }
      first = false;
      if (c === '[' && peek(1) === ':') return fail('POSIX classes ([:alpha:]) are not supported');
      i++;
      const lo = c === '\\' ? escape(true) : c.codePointAt(0)!;
      if (typeof lo === 'function' || peek() !== '-' || peek(1) === ']' || peek(1) === undefined) {
        tests.push(typeof lo === 'function' ? lo : one(lo));
        continue;
      }
      i++; // '-'
      const h = peek()!;
      i++;
      const hi = h === '\\' ? escape(true) : h.codePointAt(0)!;
      if (typeof hi === 'function') return fail('a range must end with a character');
      if (hi < lo) return fail('a range that runs backwards');
      tests.push((cp) => cp >= lo && cp <= hi);
    }
    const any: CharTest = (cp) => tests.some((t) => t(cp));
    return negated ? (cp) => !any(cp) : any;
  };

  const count = (): { min: number; max: number } | undefined => {
    // At `{`: RE2 reads `{n}`, `{n,}`, `{n,m}`; any other `{` is a literal.
    const m = /^\{(\d+)(,(\d*))?\}/.exec(chars.slice(i, end).join(''));
    if (!m) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) return fail(`a count above ${MAX_REPEAT}`);
    if (max < min) return fail('a count whose maximum is below its minimum');
    i += m[0].length;
    return { min, max };
  };

  const atom = (): RegexNode => {
    const c = peek()!;
    i++;
    switch (c) {
      case '.':
        return { type: 'chars', test: (cp) => cp !== NEWLINE };
      case '[':
        return { type: 'chars', test: set() };
      case '\\':
        return { type: 'chars', test: escape(false) };
      case '(': {
        if (peek() === '?') {
          const head = chars.slice(i, i + 3).join('');
          if (head.startsWith('?:')) i += 2;
          else if (/^\?P?</.test(head) && !/^\?<[=!]/.test(head)) {
            const close = chars.indexOf('>', i);
            if (close < 0 || !/^\?P?<[A-Za-z_][A-Za-z0-9_]*>$/.test(chars.slice(i, close + 1).join(''))) return fail('a malformed group name');
            i = close + 1;
          } else if (/^\?[=!<]/.test(head)) return fail('lookaround is not supported (RE2 has none)');
          else return fail('flags are supported only as a leading (?i)');
        }
        const inner = alternation();
        if (peek() !== ')') return fail('a `(` without its `)`');
        i++;
        return inner;
      }
      case ')':
        return fail('a `)` without its `(`');
      case '*':
      case '+':
      case '?':
        return fail(`nothing to repeat before \`${c}\``);
      case '^':
      case '$':
        return fail(`\`${c}\` inside the pattern: it is always anchored at both ends, so \`^\` may only start it and \`$\` end it`);
      default:
        return { type: 'chars', test: one(c.codePointAt(0)!) };
    }
  };

  const repeat = (): RegexNode => {
    let node = atom();
    const c = peek();
    let bounds: { min: number; max: number } | undefined;
    if (c === '*') bounds = { min: 0, max: Infinity };
    else if (c === '+') bounds = { min: 1, max: Infinity };
    else if (c === '?') bounds = { min: 0, max: 1 };
    if (bounds) i++;
    else if (c === '{') bounds = count();
    if (!bounds) return node;
    node = { type: 'repeat', node, ...bounds };
    if (peek() === '?' && i < end) i++; // lazy: the same when only matching
    if (i < end && /^[*+?]$/.test(peek() ?? '')) return fail('a repetition of a repetition (RE2 refuses it too)');
    return node;
  };

  const sequence = (): RegexNode => {
    const items: RegexNode[] = [];
    while (i < end && peek() !== '|' && peek() !== ')') items.push(repeat());
    return items.length === 1 ? items[0]! : { type: 'sequence', items };
  };

  function alternation(): RegexNode {
    const items = [sequence()];
    while (i < end && peek() === '|') {
      i++;
      items.push(sequence());
    }
    return items.length === 1 ? items[0]! : { type: 'either', items };
  }

  const node = alternation();
  if (i < end) fail('a `)` without its `(`');
  return { node, caseInsensitive };
}

function one(cp: number): CharTest {
  return (c) => c === cp;
}
