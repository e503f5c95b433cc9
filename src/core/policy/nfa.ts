/*
 * A Thompson NFA run as a set of states: one pass over the text, no
 * backtracking. Path globs (globAutomaton.ts) and identity regexes
 * (identityRegex.ts) are untrusted patterns matched against untrusted text,
 * and a backtracking matcher (a JS RegExp, picomatch) takes seconds on
 * `{*,*}{*,*}…x` or `(a|aa)*b`. Per character each state is entered at most
 * once and each edge followed at most once, so a match costs at most
 * nfaSize(states) × (text length + 1) steps; the run counts them so tests can
 * hold it to that bound instead of to a clock.
 */

/** A state that reads one character (then `out[0]`), or one that reads none and forks to `out`. */
export interface NfaState {
  /** The input character's forms (itself first, then its case variants): does this state take it? */
  take?: (forms: readonly number[]) => boolean;
  out: number[];
}

export interface NfaRun {
  matched: boolean;
  /** States entered and characters tested: at most size × (code points + 1). */
  steps: number;
}

/** 2 × states + edges: the most steps one character of the text can cost. */
export function nfaSize(states: readonly NfaState[]): number {
  return states.reduce((sum, s) => sum + 2 + s.out.length, 0);
}

/** Whether the whole text takes the NFA from `start` to `accept`; `forms` gives a character's code points to test. */
export function runNfa(states: readonly NfaState[], start: number, accept: number, text: string, forms: (ch: string) => number[]): NfaRun {
  const mark = new Int32Array(states.length).fill(-1);
  let steps = 0;
  const close = (from: number, generation: number, into: number[]): void => {
    const stack = [from];
    while (stack.length > 0) {
      const s = stack.pop()!;
      steps++;
      if (mark[s] === generation) continue;
      mark[s] = generation;
      const state = states[s]!;
      if (state.take || s === accept) into.push(s);
      else for (let i = state.out.length - 1; i >= 0; i--) stack.push(state.out[i]!);
    }
  };
  let current: number[] = [];
  close(start, 0, current);
  let generation = 0;
  for (const ch of text) {
    const variants = forms(ch);
    const next: number[] = [];
    generation++;
    for (const s of current) {
      steps++;
      const state = states[s]!;
      if (state.take?.(variants)) close(state.out[0]!, generation, next);
    }
    current = next;
    if (current.length === 0) break;
  }
  return { matched: current.includes(accept), steps };
}
