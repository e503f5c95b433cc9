import { FormatError } from '../errors';

/** A glob, parsed: what globAutomaton.ts compiles. Characters are code points. */
export type GlobNode =
  | { type: 'char'; char: string }
  /** One character other than `/`: `?`. */
  | { type: 'any' }
  /** One character of (or, negated, not of) the ranges, never `/`: `[a-z]`, `[!a-z]`. */
  | { type: 'set'; negate: boolean; ranges: Array<[number, number]> }
  /** Any run of characters other than `/`: `*`. */
  | { type: 'star' }
  | { type: 'alternatives'; alternatives: GlobNode[][] }
  /** `**` as a whole name, where it stands among the names. */
  | { type: 'globstar'; position: 'only' | 'first' | 'middle' | 'last' };

/**
 * What a backslash may make literal (the set operators too, wherever they
 * are: the schema's pattern says the same); anything else after one is taken
 * for a Windows path.
 */
const ESCAPABLE = new Set(['\\', '*', '?', '[', ']', '{', '}', ',', '!', '^', '-']);
const ESCAPES = '\\* \\? \\[ \\] \\{ \\} \\, \\\\';

/**
 * The glob as it is matched: NFC, `./` prefixes, repeated and trailing slashes
 * and `.` segments dropped. Throws POLICY_INVALID (data.glob) for an empty or
 * absolute glob, or one that climbs out with `..`.
 */
export function normalizeGlob(glob: string): string {
  if (typeof glob !== 'string' || glob.trim() === '') throw globError(String(glob), 'the path pattern is empty');
  const g = glob.normalize('NFC');
  if (g.startsWith('/') || /^[A-Za-z]:[\\/]/.test(g)) throw globError(glob, 'the path pattern must be relative to the workspace folder');
  const segments = g.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw globError(glob, "the path pattern must not climb out of the workspace folder with '..'");
  if (segments.length === 0) return '.';
  // `**/**` is `**`.
  const collapsed = segments.filter((s, i) => !(s === '**' && segments[i - 1] === '**'));
  return collapsed.join('/');
}

/** Parses a glob (normalized first). Throws POLICY_INVALID (data.glob) for a malformed one. */
export function parseGlob(glob: string): GlobNode[] {
  const segments = normalizeGlob(glob).split('/');
  const n = segments.length;
  const nodes: GlobNode[] = [];
  segments.forEach((seg, i) => {
    if (seg === '**') {
      nodes.push({ type: 'globstar', position: n === 1 ? 'only' : i === 0 ? 'first' : i === n - 1 ? 'last' : 'middle' });
      return;
    }
    // After `**` the separator belongs to the globstar.
    if (i > 0 && segments[i - 1] !== '**') nodes.push({ type: 'char', char: '/' });
    nodes.push(...parseSegment(Array.from(seg), glob));
  });
  return nodes;
}

/**
 * The glob that matches exactly this relative POSIX path (`.` for the
 * workspace folder itself): every glob character escaped with `\`.
 */
export function escapeGlob(relativePath: string): string {
  return relativePath.replace(/[\\*?[\]{},]/g, '\\$&');
}

/**
 * The characters of the normalized glob before its first wildcard (`*`, `?`,
 * `[`, `{`), escapes resolved: how specific a glob is. `models/llama-*` → `models/llama-`.
 */
export function globLiteralPrefix(glob: string): string {
  const cs = Array.from(normalizeGlob(glob));
  let out = '';
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    if (c === '\\' && i + 1 < cs.length) {
      out += cs[++i]!;
      continue;
    }
    if (c === '*' || c === '?' || c === '[' || c === '{') break;
    out += c;
  }
  return out;
}

export function globError(glob: string, why: string): FormatError {
  return new FormatError('POLICY_INVALID', `Invalid path pattern '${glob}': ${why}`, { glob });
}

function parseSegment(cs: readonly string[], glob: string): GlobNode[] {
  const out: GlobNode[] = [];
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    if (c === '\\') {
      out.push({ type: 'char', char: escaped(cs, ++i, glob) });
    } else if (c === '*') {
      while (cs[i + 1] === '*') i++;
      out.push({ type: 'star' });
    } else if (c === '?') {
      out.push({ type: 'any' });
    } else if (c === '[') {
      const [set, end] = parseSet(cs, i, glob);
      out.push(set);
      i = end;
    } else if (c === '{') {
      const end = matchingBrace(cs, i);
      if (end < 0) throw globError(glob, "a '{' has no matching '}' (write \\{ for a literal one)");
      out.push({ type: 'alternatives', alternatives: splitTopLevel(cs.slice(i + 1, end)).map((a) => parseSegment(a, glob)) });
      i = end;
    } else {
      out.push({ type: 'char', char: c });
    }
  }
  return out;
}

/** The character a backslash at `i - 1` makes literal. */
function escaped(cs: readonly string[], i: number, glob: string): string {
  const c = cs[i];
  if (c === undefined) throw globError(glob, 'the path pattern ends with a lone backslash (use / between folders)');
  if (!ESCAPABLE.has(c)) {
    throw globError(glob, `a backslash before '${c}': use / between folders (a backslash only makes a glob character literal: ${ESCAPES})`);
  }
  return c;
}

/** `[...]` starting at `start`: the set and the index of its `]`. */
function parseSet(cs: readonly string[], start: number, glob: string): [GlobNode, number] {
  let i = start + 1;
  const negate = cs[i] === '!' || cs[i] === '^';
  if (negate) i++;
  const ranges: Array<[number, number]> = [];
  let first = true;
  for (; i < cs.length; i++) {
    let c = cs[i]!;
    if (c === ']' && !first) return [{ type: 'set', negate, ranges }, i];
    first = false;
    if (c === '\\') c = escaped(cs, ++i, glob);
    // A range a-z, unless the '-' is last in the set.
    if (cs[i + 1] === '-' && i + 2 < cs.length && cs[i + 2] !== ']') {
      i += 2;
      let hi = cs[i]!;
      if (hi === '\\') hi = escaped(cs, ++i, glob);
      if (hi.codePointAt(0)! < c.codePointAt(0)!) throw globError(glob, `the range '${c}-${hi}' is backwards`);
      ranges.push([c.codePointAt(0)!, hi.codePointAt(0)!]);
      continue;
    }
    ranges.push([c.codePointAt(0)!, c.codePointAt(0)!]);
  }
  throw globError(glob, "a '[' has no matching ']' (write \\[ for a literal one)");
}

function matchingBrace(cs: readonly string[], start: number): number {
  let depth = 0;
  for (let i = start; i < cs.length; i++) {
    const c = cs[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

function splitTopLevel(cs: readonly string[]): string[][] {
  const parts: string[][] = [[]];
  let depth = 0;
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    if (c === '\\' && i + 1 < cs.length) {
      parts[parts.length - 1]!.push(c, cs[++i]!);
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') depth--;
    if (c === ',' && depth === 0) parts.push([]);
    else parts[parts.length - 1]!.push(c);
  }
  return parts;
}
