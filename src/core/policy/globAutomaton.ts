import type { GlobNode } from './globSyntax';
import { NfaRun, NfaState, nfaSize, runNfa } from './nfa';

/*
 * A glob as a Thompson NFA, run as a set of states (one pass over the path, no
 * backtracking): a policy file is workspace input, and a backtracking matcher
 * (a JS RegExp, picomatch, minimatch) takes seconds on `{*,*}{*,*}…x` or
 * `*a*a*a*a*a*a*a*a*b`. Per character of the path each state is entered at
 * most once and each edge followed at most once, so a match costs at most
 * `size` (2 × states + edges) × (path length + 1) steps, and a glob of m
 * characters has at most 2m + 1 states, each with at most three edges besides
 * the one per `,`. `run` counts the steps so tests can hold it to that bound
 * instead of to a clock.
 */

const SLASH = 0x2f;

/** An NFA state (nfa.ts), with what it takes for the can-it-match-anything check. */
interface State extends NfaState {
  /** Takes `/`; takes some character other than `/`. */
  slash?: boolean;
  other?: boolean;
}

export type GlobRun = NfaRun;

export class GlobAutomaton {
  private readonly states: State[] = [];
  private readonly start: number;
  private readonly accept: number;

  constructor(
    nodes: readonly GlobNode[],
    private readonly caseInsensitive: boolean,
  ) {
    this.accept = this.add({ out: [] });
    this.start = this.sequence(nodes, this.accept);
  }

  /** 2 × states + edges: the most steps one character of the path can cost. */
  get size(): number {
    return nfaSize(this.states);
  }

  /** Whether the whole path (NFC, `/` between names) is in the glob's language. */
  run(path: string): GlobRun {
    return runNfa(this.states, this.start, this.accept, path, (ch) => this.variants(ch));
  }

  /**
   * Whether some relative path (names of one or more characters joined by
   * single `/`) is in the language: the NFA run against the two states of
   * such paths (at the start of a name, inside one).
   */
  matchesSomePath(): boolean {
    const seen = new Set<number>();
    const queue: Array<[number, 0 | 1]> = [[this.start, 0]];
    while (queue.length > 0) {
      const [s, inName] = queue.pop()!;
      const key = s * 2 + inName;
      if (seen.has(key)) continue;
      seen.add(key);
      if (s === this.accept && inName === 1) return true;
      const state = this.states[s]!;
      if (!state.take) for (const t of state.out) queue.push([t, inName]);
      else {
        if (state.other) queue.push([state.out[0]!, 1]);
        if (state.slash && inName === 1) queue.push([state.out[0]!, 0]);
      }
    }
    return false;
  }

  private variants(ch: string): number[] {
    const cp = ch.codePointAt(0)!;
    if (!this.caseInsensitive) return [cp];
    const forms = [cp];
    for (const f of [ch.toLowerCase(), ch.toUpperCase(), ch.toUpperCase().toLowerCase()]) {
      const v = single(f);
      if (v !== undefined && !forms.includes(v)) forms.push(v);
    }
    return forms;
  }

  private add(state: State): number {
    this.states.push(state);
    return this.states.length - 1;
  }

  /** The states for `nodes`, then `next`; returns the first. */
  private sequence(nodes: readonly GlobNode[], next: number): number {
    let entry = next;
    for (let i = nodes.length - 1; i >= 0; i--) entry = this.node(nodes[i]!, entry);
    return entry;
  }

  private node(node: GlobNode, next: number): number {
    switch (node.type) {
      case 'char':
        return this.char(node.char, next);
      case 'any':
        return this.add({ take: (v) => v[0] !== SLASH, other: true, out: [next] });
      case 'set': {
        const has = (cp: number) => node.ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
        // A set never takes `/`, even through a range such as `[+-0]`.
        const take = node.negate ? (v: readonly number[]) => v[0] !== SLASH && !v.some(has) : (v: readonly number[]) => v[0] !== SLASH && v.some(has);
        return this.add({
          take,
          other: node.negate ? !coversAllButSlash(node.ranges) : node.ranges.some(([lo, hi]) => lo !== SLASH || hi !== SLASH),
          out: [next],
        });
      }
      case 'star':
        return this.loop((v) => v[0] !== SLASH, false, next);
      case 'alternatives':
        return this.add({ out: node.alternatives.map((a) => this.sequence(a, next)) });
      case 'globstar':
        return this.globstar(node.position, next);
    }
  }

  private char(char: string, next: number): number {
    const cp = char.codePointAt(0)!;
    if (!this.caseInsensitive) return this.add({ take: (v) => v[0] === cp, slash: cp === SLASH, other: cp !== SLASH, out: [next] });
    const forms = this.variants(char);
    return this.add({ take: (v) => v.some((x) => forms.includes(x)), slash: cp === SLASH, other: cp !== SLASH, out: [next] });
  }

  /** Zero or more characters `take` accepts, then `next`. */
  private loop(take: State['take'], slash: boolean, next: number): number {
    const fork = this.add({ out: [] });
    const body = this.add({ take, slash, other: true, out: [fork] });
    this.states[fork]!.out = [body, next];
    return fork;
  }

  /**
   * `**` as a whole name: alone, any path; first, `(name/)*`; last, `(/name)+`;
   * between names, `/(name/)*`.
   */
  private globstar(position: 'only' | 'first' | 'middle' | 'last', next: number): number {
    if (position === 'only') return this.loop(() => true, true, next);
    const nameChar = (out: number) => this.add({ take: (v) => v[0] !== SLASH, other: true, out: [out] });
    const slash = (out: number) => this.char('/', out);
    if (position === 'last') {
      const after = this.add({ out: [] });
      const name = nameChar(after);
      const entry = slash(name);
      this.states[after]!.out = [name, entry, next];
      return entry;
    }
    // (name/)*: fork → name char → (more name | slash → fork) | next
    const fork = this.add({ out: [] });
    const after = this.add({ out: [] });
    const name = nameChar(after);
    this.states[after]!.out = [name, slash(fork)];
    this.states[fork]!.out = [name, next];
    return position === 'first' ? fork : slash(fork);
  }
}

function single(s: string): number | undefined {
  const cps = Array.from(s);
  return cps.length === 1 ? cps[0]!.codePointAt(0) : undefined;
}

/** Whether the ranges hold every code point but `/` (so a negated set of them takes nothing). */
function coversAllButSlash(ranges: ReadonlyArray<readonly [number, number]>): boolean {
  const sorted = [...ranges, [SLASH, SLASH] as const].sort((a, b) => a[0] - b[0]);
  let covered = -1;
  for (const [lo, hi] of sorted) {
    if (lo > covered + 1) return false;
    covered = Math.max(covered, hi);
  }
  return covered >= 0x10ffff;
}
