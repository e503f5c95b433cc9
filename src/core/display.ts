// Untrusted text (file names, identities, provenance fields, policy patterns) made safe to show
// on a terminal or in the editor: nothing it holds may move the cursor, clear a line, start an
// escape sequence or reorder what is around it. The CLI's writer and the extension's UI take
// only SafeText, which the `safeText` tag builds by escaping every interpolated value.

/**
 * What is escaped: C0 controls, DEL and C1 controls (CSI is U+009B); Unicode bidi embeddings,
 * overrides and isolates (U+202A–U+202E, U+2066–U+2069) and marks (U+200E, U+200F, U+061C);
 * line and paragraph separators (U+2028, U+2029); lone surrogates. One character class, one
 * pass: linear time in the length of the text.
 */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The same characters as they may stay inside JSON strings (JSON.stringify escapes C0 itself). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

const SHORT: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return SHORT[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/**
 * Untrusted text as one visible line: `\r`, `\n`, `\t`, `\x1b`, `\x9b`, `\u202e`… in place of the
 * characters themselves. Printable text, backslashes included, is left as it is, so the result
 * of an escaped string escapes to itself.
 */
export function displayText(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** Only this module makes SafeText: the key is not exported. */
const MINT = Symbol('SafeText');

/** Text that is safe to show: our own words, and untrusted values only as displayText made them. */
export class SafeText {
  constructor(
    key: typeof MINT,
    private readonly text: string,
  ) {
    if (key !== MINT) throw new TypeError('SafeText is made by safeText, joinText, ownText or jsonText');
  }

  toString(): string {
    return this.text;
  }
}

const make = (text: string): SafeText => new SafeText(MINT, text);

/**
 * A tagged template: the literal parts are ours (newlines and all) and kept; every interpolated
 * value is escaped with displayText, except SafeText, which already is.
 */
export function safeText(literals: TemplateStringsArray, ...values: unknown[]): SafeText {
  let out = literals[0]!;
  values.forEach((v, i) => {
    out += (v instanceof SafeText ? v.toString() : displayText(String(v))) + literals[i + 1]!;
  });
  return make(out);
}

/** Parts joined by a separator of ours (a newline, a comma). */
export function joinText(parts: readonly SafeText[], separator: string): SafeText {
  return make(parts.map(String).join(separator));
}

/**
 * Text of our own that is not a literal: help pages built from our option tables, fixed
 * multi-line messages. Never pass it anything read from a model, a signature or a file.
 */
export function ownText(text: string): SafeText {
  return make(text);
}

/**
 * JSON for humans and machines: exactly JSON.stringify's value (it parses back to the same
 * strings), with the characters JSON.stringify leaves raw (DEL, C1, bidi, U+2028/9) written as
 * \uXXXX escapes, so printing it cannot rewrite a terminal either.
 */
export function jsonText(value: unknown, indent?: number): SafeText {
  const json = JSON.stringify(value, null, indent) ?? 'null';
  return make(json.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/** A JSON-like value with every string in it, object keys included, passed through displayText. */
export function displayDeep<T>(value: T): T {
  if (typeof value === 'string') return displayText(value) as T;
  if (Array.isArray(value)) return value.map(displayDeep) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [displayText(k), displayDeep(v)])) as T;
  }
  return value;
}
