// A walker over Python pickle opcodes that records the globals (classes and
// functions) a pickle would import, without running anything. It knows every
// opcode of protocols 0–5 well enough to step over its argument, and stops at
// STOP, at a byte that is not an opcode, or at the end of the bytes it was given.

export interface PickleGlobal {
  module: string;
  name: string;
}

export interface PickleWalk {
  /** The globals in the order they occur (duplicates kept). */
  globals: PickleGlobal[];
  /**
   * What the top-level object is built from, judged by the first opcode after
   * PROTO/FRAME: 'module.name' of a leading global, or 'dict', 'list', 'tuple', 'set'.
   */
  root?: string;
  /** The offset just past STOP, or -1 if the pickle was cut short or malformed. */
  end: number;
}

// Opcodes with a fixed-size argument: opcode → bytes.
const FIXED: Record<number, number> = {
  0x4a /* J BININT */: 4,
  0x4b /* K BININT1 */: 1,
  0x4d /* M BININT2 */: 2,
  0x47 /* G BINFLOAT */: 8,
  0x68 /* h BINGET */: 1,
  0x6a /* j LONG_BINGET */: 4,
  0x71 /* q BINPUT */: 1,
  0x72 /* r LONG_BINPUT */: 4,
  0x80 /* PROTO */: 1,
  0x82 /* EXT1 */: 1,
  0x83 /* EXT2 */: 2,
  0x84 /* EXT4 */: 4,
  0x95 /* FRAME */: 8,
};
// Opcodes without an argument.
const BARE = new Set([
  0x28, 0x2e, 0x30, 0x31, 0x32, 0x4e, 0x51, 0x52, 0x61, 0x62, 0x64, 0x7d, 0x65, 0x6c, 0x5d, 0x6f, 0x73, 0x74, 0x29, 0x75, 0x81, 0x85, 0x86, 0x87, 0x88, 0x89,
  0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x97, 0x98,
]);
// Opcodes whose argument is one newline-terminated line.
const LINE = new Set([0x46 /* F */, 0x49 /* I */, 0x4c /* L */, 0x50 /* P */, 0x53 /* S */, 0x56 /* V */, 0x67 /* g */, 0x70 /* p */]);
// Opcodes with a length-prefixed argument: opcode → bytes of the little-endian length.
const COUNTED: Record<number, number> = {
  0x54 /* T BINSTRING */: 4,
  0x55 /* U SHORT_BINSTRING */: 1,
  0x58 /* X BINUNICODE */: 4,
  0x42 /* B BINBYTES */: 4,
  0x43 /* C SHORT_BINBYTES */: 1,
  0x8a /* LONG1 */: 1,
  0x8b /* LONG4 */: 4,
  0x8c /* SHORT_BINUNICODE */: 1,
  0x8d /* BINUNICODE8 */: 8,
  0x8e /* BINBYTES8 */: 8,
  0x96 /* BYTEARRAY8 */: 8,
};
const GLOBAL = 0x63;
const INST = 0x69;
const STACK_GLOBAL = 0x93;
const STOP = 0x2e;
const UNICODE = new Set([0x58 /* X */, 0x8c, 0x8d, 0x56 /* V */]);
const PUTS = new Set([0x70, 0x71, 0x72, 0x94]);
/** Opcodes that neither push nor pop, so they leave `recent` and the root decision alone. */
const NEUTRAL = new Set([0x80, 0x95, ...PUTS]);
const ROOTS: Record<number, string> = { 0x7d: 'dict', 0x5d: 'list', 0x29: 'tuple', 0x8f: 'set' };

/** Walks one pickle starting at `start`, for at most `maxOps` opcodes. */
export function walkPickle(buf: Buffer, start = 0, maxOps = 1_000_000): PickleWalk {
  const globals: PickleGlobal[] = [];
  let root: string | undefined;
  let rootDecided = false;
  // The last two pushed values, when strings (STACK_GLOBAL takes its module and name from them), and memoized strings.
  let recent: (string | null)[] = [];
  const memo = new Map<number, string>();
  let nextMemo = 0;
  let p = start;
  for (let ops = 0; ops < maxOps && p < buf.length; ops++) {
    const op = buf[p++]!;
    // A protocol 4 STACK_GLOBAL is preceded by the pushes of its two strings (and their MEMOIZEs).
    const decidesRoot = !rootDecided && !NEUTRAL.has(op) && !UNICODE.has(op);
    if (decidesRoot) rootDecided = true;
    let pushed: string | null = null;

    if (op === STOP) return { globals, root, end: p };
    if (op === GLOBAL || op === INST) {
      // "module\nname\n"
      const a = line(buf, p);
      const b = a && line(buf, a.next);
      if (!a || !b) break;
      p = b.next;
      globals.push({ module: a.text, name: b.text });
      if (decidesRoot) root = `${a.text}.${b.text}`;
    } else if (op === STACK_GLOBAL) {
      const [m, n] = recent.slice(-2);
      if (typeof m === 'string' && typeof n === 'string') {
        globals.push({ module: m, name: n });
        if (decidesRoot) root = `${m}.${n}`;
      }
    } else if (BARE.has(op)) {
      if (decidesRoot) root = ROOTS[op];
      if (op === 0x94) remember(memo, nextMemo++, recent); // MEMOIZE
    } else if (FIXED[op] !== undefined) {
      const size = FIXED[op];
      if (p + size > buf.length) break;
      const arg = size === 1 ? buf[p]! : size === 2 ? buf.readUInt16LE(p) : size === 4 ? buf.readUInt32LE(p) : 0;
      if (op === 0x71 || op === 0x72) {
        remember(memo, arg, recent);
        nextMemo = Math.max(nextMemo, arg + 1);
      }
      if (op === 0x68 || op === 0x6a) pushed = memo.get(arg) ?? null;
      p += size;
    } else if (LINE.has(op)) {
      const a = line(buf, p);
      if (!a) break;
      p = a.next;
      if (op === 0x56) pushed = a.text; // UNICODE (protocol 0; escapes left as they are)
      if (op === 0x53) pushed = a.text.replace(/^'(.*)'$|^"(.*)"$/, '$1$2'); // STRING, quoted
      if (op === 0x70 && /^\d+$/.test(a.text)) remember(memo, Number(a.text), recent);
      if (op === 0x67 && /^\d+$/.test(a.text)) pushed = memo.get(Number(a.text)) ?? null;
    } else if (COUNTED[op] !== undefined) {
      const size = COUNTED[op];
      if (p + size > buf.length) break;
      const n = size === 1 ? buf[p]! : size === 4 ? buf.readUInt32LE(p) : Number(buf.readBigUInt64LE(p));
      p += size;
      if (!Number.isSafeInteger(n) || p + n > buf.length) break;
      if (UNICODE.has(op) || op === 0x55 || op === 0x54) pushed = n <= 1024 ? buf.toString('utf8', p, p + n) : null;
      p += n;
    } else {
      break; // not a pickle opcode
    }
    if (!NEUTRAL.has(op)) recent = [...recent.slice(-1), pushed];
  }
  return { globals, root, end: -1 };
}

function remember(memo: Map<number, string>, index: number, recent: (string | null)[]): void {
  const top = recent[recent.length - 1];
  if (typeof top === 'string') memo.set(index, top);
}

function line(buf: Buffer, from: number): { text: string; next: number } | undefined {
  const nl = buf.indexOf(0x0a, from);
  if (nl < 0 || nl - from > 4096) return undefined;
  return { text: buf.toString('utf8', from, nl), next: nl + 1 };
}
