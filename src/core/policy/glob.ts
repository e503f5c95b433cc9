import * as path from 'node:path';
import { GlobAutomaton, GlobRun } from './globAutomaton';
import { globError, parseGlob } from './globSyntax';

export { escapeGlob, globLiteralPrefix, normalizeGlob } from './globSyntax';
export type { GlobRun } from './globAutomaton';

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
 * - `[abc]`, `[a-z]`, `[!a-z]` or `[^a-z]`: one character of (or not of) a set,
 *   never `/`; a `]` right after the `[` (or `[!`) is a member.
 * - `{a,b}`: either alternative; they may hold wildcards and nest, not `/`.
 * - `\` makes the next glob character literal (`\*`, `\?`, `\[`, `\]`, `\{`,
 *   `\}`, `\,`, `\\`; in a set also `\-`, `\!`, `\^`). A backslash before any
 *   other character is an error: it is a Windows path (`models\llama-*`),
 *   which would otherwise match nothing. So `/` is the only separator.
 * - A glob no relative path can match (`[/]`, an empty name: `a/{,b}/c` is
 *   fine, `a/{}/c` is not) is an error too.
 *
 * Paths and globs are compared in Unicode NFC (macOS reports names in NFD).
 * Matching is case-sensitive except on Windows and macOS, whose file systems
 * are not, unless told otherwise.
 *
 * Matching takes time linear in the path for a given glob (globAutomaton.ts):
 * no backtracking, whatever the pattern. Node's `path.matchesGlob` is
 * experimental (a warning on first use) and treats dotfiles apart; picomatch
 * and minimatch compile to backtracking RegExps (seconds on adversarial
 * patterns, see `npm run bench`). Hence this.
 */
export interface GlobOptions {
  /** Default: true on Windows and macOS. */
  caseInsensitive?: boolean;
}

export function defaultCaseInsensitive(): boolean {
  return process.platform === 'win32' || process.platform === 'darwin';
}

export interface CompiledGlob {
  /** The glob as written. */
  readonly glob: string;
  /** States plus edges of its automaton: a match costs at most size × (path length + 1) steps. */
  readonly size: number;
  /** True if the relative POSIX path (NFC) matches the whole glob. */
  test(relativePath: string): boolean;
  /** The same, with the steps it took. */
  run(relativePath: string): GlobRun;
}

const compiled = new Map<string, CompiledGlob>();

/** The glob, compiled. Throws POLICY_INVALID (data.glob) for a malformed glob or one that matches no path. */
export function compileGlob(glob: string, options: GlobOptions = {}): CompiledGlob {
  const caseInsensitive = options.caseInsensitive ?? defaultCaseInsensitive();
  const cacheKey = `${caseInsensitive ? 'i' : 's'}:${glob}`;
  const hit = compiled.get(cacheKey);
  if (hit) return hit;
  const automaton = new GlobAutomaton(parseGlob(glob), caseInsensitive);
  if (!automaton.matchesSomePath()) {
    throw globError(glob, "no folder can match it (a name that would be empty, or a set of only '/')");
  }
  const result: CompiledGlob = {
    glob,
    size: automaton.size,
    test: (p) => automaton.run(p).matched,
    run: (p) => automaton.run(p),
  };
  if (compiled.size > 1000) compiled.clear();
  compiled.set(cacheKey, result);
  return result;
}

/** True if the relative POSIX path (`a/b`, `.` for the workspace folder itself) matches the glob. */
export function matchesGlob(relativePath: string, glob: string, options: GlobOptions = {}): boolean {
  return compileGlob(glob, options).test(normalizeRelativePath(relativePath));
}

/** NFC, without empty and `.` names; `.` for the folder itself. */
export function normalizeRelativePath(relativePath: string): string {
  return (
    relativePath
      .normalize('NFC')
      .split('/')
      .filter((s) => s !== '' && s !== '.')
      .join('/') || '.'
  );
}

/** A path's place below the workspace folder, POSIX and NFC (`.` for the folder itself); undefined if it is outside. */
export function workspaceRelativePath(workspaceRoot: string, target: string): string | undefined {
  const rel = path.relative(path.resolve(workspaceRoot), path.resolve(target));
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return undefined;
  return rel === '' ? '.' : rel.split(path.sep).join('/').normalize('NFC');
}
