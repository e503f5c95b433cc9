import { FormatError } from '../errors';

/**
 * A small glob matcher for the `path` of a policy entry: relative POSIX paths,
 * matched whole.
 *
 * - `*` matches any run of characters within one path segment (dots included);
 *   `?` matches one character (one code point) other than `/`.
 * - `**` as a whole segment matches any number of segments: `**\/x` matches
 *   `x` and `a/b/x`; `a/**\/b` matches `a/b` and `a/x/y/b`; `a/**` matches
 *   everything below `a` but not `a` itself (as minimatch and node's
 *   `path.matchesGlob`). Elsewhere `**` is `*`.
 * - `[abc]`, `[a-z]`, `[!a-z]` or `[^a-z]`: one character of (or not of) a set;
 *   a `]` right after the `[` (or `[!`) is a member.
 * - `{a,b}`: either alternative; they may hold wildcards and nest, not `/`.
 * - `\` makes the next character literal: `\*`, `\[`. So `/` is the only separator.
 *
 * Paths and globs are compared in Unicode NFC (macOS reports names in NFD).
 * Matching is case-sensitive except on Windows and macOS, whose file systems
 * are not, unless told otherwise.
 *
 * Node 20.20 has `path.matchesGlob`, but as an experimental API that prints a
 * warning on first use and may change; and it treats dotfiles apart. Hence this.
 */
export interface GlobOptions {
  /** Default: true on Windows and macOS. */
  caseInsensitive?: boolean;
}

export function defaultCaseInsensitive(): boolean {
  return process.platform === 'win32' || process.platform === 'darwin';
}

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

const compiled = new Map<string, RegExp>();

/** The anchored regular expression a glob stands for. Throws POLICY_INVALID (data.glob) for a malformed glob. */
export function compileGlob(glob: string, options: GlobOptions = {}): RegExp {
  const caseInsensitive = options.caseInsensitive ?? defaultCaseInsensitive();
  const cacheKey = `${caseInsensitive ? 'i' : 's'}:${glob}`;
  const hit = compiled.get(cacheKey);
  if (hit) return hit;
  const segments = normalizeGlob(glob).split('/');
  const n = segments.length;
  let re = '';
  segments.forEach((seg, i) => {
    if (seg === '**') {
      if (n === 1) re += '.*';
      else if (i === 0) re += '(?:[^/]+/)*';
      else if (i === n - 1) re += '(?:/[^/]+)+';
      else re += '/(?:[^/]+/)*';
      return;
    }
    if (i > 0 && segments[i - 1] !== '**') re += '/';
    re += compileSegment(Array.from(seg), glob);
  });
  const regex = new RegExp(`^${re}$`, caseInsensitive ? 'iu' : 'u');
  if (compiled.size > 1000) compiled.clear();
  compiled.set(cacheKey, regex);
  return regex;
}

/** True if the relative POSIX path (`a/b`, `.` for the workspace folder itself) matches the glob. */
export function matchesGlob(relativePath: string, glob: string, options: GlobOptions = {}): boolean {
  const p = relativePath.normalize('NFC').split('/').filter((s) => s !== '' && s !== '.').join('/') || '.';
  return compileGlob(glob, options).test(p);
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

function compileSegment(cs: readonly string[], glob: string): string {
  let out = '';
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    if (c === '\\') {
      if (i + 1 >= cs.length) throw globError(glob, 'the path pattern ends with a lone backslash (use / between folders)');
      out += escapeChar(cs[++i]!);
    } else if (c === '*') {
      while (cs[i + 1] === '*') i++;
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const [cls, end] = compileClass(cs, i, glob);
      out += cls;
      i = end;
    } else if (c === '{') {
      const end = matchingBrace(cs, i);
      if (end < 0) throw globError(glob, "a '{' has no matching '}'");
      const alternatives = splitTopLevel(cs.slice(i + 1, end));
      out += `(?:${alternatives.map((a) => compileSegment(a, glob)).join('|')})`;
      i = end;
    } else {
      out += escapeChar(c);
    }
  }
  return out;
}

/** `[...]` starting at `start`: the regex class and the index of its `]`. */
function compileClass(cs: readonly string[], start: number, glob: string): [string, number] {
  let i = start + 1;
  const negate = cs[i] === '!' || cs[i] === '^';
  if (negate) i++;
  const members: string[] = [];
  let first = true;
  for (; i < cs.length; i++) {
    let c = cs[i]!;
    if (c === ']' && !first) {
      if (members.length === 0) throw globError(glob, "a '[...]' set is empty");
      // A set never matches the separator, even through a range such as `[+-0]`.
      return [negate ? `[^/${members.join('')}]` : `(?!/)[${members.join('')}]`, i];
    }
    first = false;
    if (c === '\\') {
      if (i + 1 >= cs.length) break;
      c = cs[++i]!;
    }
    // A range a-z, unless the '-' is last in the set.
    if (cs[i + 1] === '-' && i + 2 < cs.length && cs[i + 2] !== ']') {
      let hi = cs[i + 2]!;
      let skip = 2;
      if (hi === '\\' && i + 3 < cs.length) {
        hi = cs[i + 3]!;
        skip = 3;
      }
      if (hi.codePointAt(0)! < c.codePointAt(0)!) throw globError(glob, `the range '${c}-${hi}' is backwards`);
      members.push(`${escapeClassChar(c)}-${escapeClassChar(hi)}`);
      i += skip;
      continue;
    }
    members.push(escapeClassChar(c));
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

function escapeChar(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

function escapeClassChar(c: string): string {
  return /[\\\]\[^\-/]/.test(c) ? `\\${c}` : c;
}

function globError(glob: string, why: string): FormatError {
  return new FormatError('POLICY_INVALID', `Invalid path pattern '${glob}': ${why}`, { glob });
}
