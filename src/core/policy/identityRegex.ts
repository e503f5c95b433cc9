import { NfaRun, NfaState, nfaSize, runNfa } from './nfa';
import { ParsedRegex, RegexNode, parseRegex, regexError } from './regexSyntax';

// An identity regex (regexSyntax.ts) as a Thompson NFA, run without backtracking by nfa.ts, as path globs are.

/** More states than this (a count nested in a count) is refused: the matcher stays small and fast. */
export const MAX_REGEX_STATES = 10_000;

export type RegexRun = NfaRun;

export interface IdentityRegex {
  /** The pattern as written. */
  readonly pattern: string;
  /** 2 × states + edges: the most steps one character can cost. */
  readonly size: number;
  /** Whether the whole text matches (the pattern is anchored at both ends). */
  test(text: string): boolean;
  run(text: string): RegexRun;
}

const compiled = new Map<string, IdentityRegex>();

/** The pattern compiled; throws INVALID_OPTION (data.why) when it is outside the supported RE2 subset. */
export function compileIdentityRegex(pattern: string): IdentityRegex {
  let regex = compiled.get(pattern);
  if (!regex) {
    regex = new RegexAutomaton(pattern, parseRegex(pattern));
    if (compiled.size > 256) compiled.clear();
    compiled.set(pattern, regex);
  }
  return regex;
}

class RegexAutomaton implements IdentityRegex {
  private readonly states: NfaState[] = [];
  private readonly start: number;
  private readonly accept: number;
  private readonly caseInsensitive: boolean;

  constructor(
    readonly pattern: string,
    parsed: ParsedRegex,
  ) {
    this.caseInsensitive = parsed.caseInsensitive;
    this.accept = this.add({ out: [] });
    this.start = this.build(parsed.node, this.accept);
  }

  get size(): number {
    return nfaSize(this.states);
  }

  test(text: string): boolean {
    return this.run(text).matched;
  }

  run(text: string): RegexRun {
    return runNfa(this.states, this.start, this.accept, text, (ch) => this.forms(ch));
  }

  /** The character's code point, and with (?i) its other cases. */
  private forms(ch: string): number[] {
    const cp = ch.codePointAt(0)!;
    if (!this.caseInsensitive) return [cp];
    const all = new Set([cp]);
    for (const f of [ch.toLowerCase(), ch.toUpperCase()]) if (Array.from(f).length === 1) all.add(f.codePointAt(0)!);
    return [...all];
  }

  private add(state: NfaState): number {
    if (this.states.length >= MAX_REGEX_STATES) throw regexError(this.pattern, `it needs more than ${MAX_REGEX_STATES} states (counts nested in counts)`);
    this.states.push(state);
    return this.states.length - 1;
  }

  /** The states matching `node`, then `next`; returns the first. */
  private build(node: RegexNode, next: number): number {
    switch (node.type) {
      case 'chars':
        return this.add({ take: (forms) => forms.some(node.test), out: [next] });
      case 'sequence':
        return node.items.reduceRight((entry, item) => this.build(item, entry), next);
      case 'either':
        return this.add({ out: node.items.map((item) => this.build(item, next)) });
      case 'repeat': {
        let entry = next;
        if (node.max === Infinity) {
          const loop = this.add({ out: [] });
          this.states[loop]!.out.push(this.build(node.node, loop), next);
          entry = loop;
        } else {
          for (let k = node.min; k < node.max; k++) entry = this.add({ out: [this.build(node.node, entry), next] });
        }
        for (let k = 0; k < node.min; k++) entry = this.build(node.node, entry);
        return entry;
      }
    }
  }
}
