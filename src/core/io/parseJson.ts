/**
 * Every JSON input (signature bundles and their payloads, provenance and its
 * payloads, policy files, trust configs) is parsed here. JSON.parse itself is
 * iterative, but everything after it that walks the value (JSON.stringify, deep
 * comparisons, the viewer's tree) recurses, so a value nested 100,000 deep
 * would end in a stack overflow. The nesting is measured on the text first, in
 * one linear pass, and refused past MAX_JSON_DEPTH.
 */

/** Deeper than any real signature, provenance, policy or trust config (they nest under 15). */
export const MAX_JSON_DEPTH = 100;

/** Why a text was refused, for callers that treat "not JSON" differently (a JSON-lines fallback). */
export type JsonProblem = 'not-json' | 'too-deep' | 'too-large';

export interface JsonLimits {
  /** The deepest nesting of arrays and objects accepted; MAX_JSON_DEPTH by default. */
  maxDepth?: number;
  /** The longest text accepted, in UTF-16 code units; unlimited by default (files are capped when read). */
  maxLength?: number;
}

/**
 * Parses JSON text, or calls `fail` with why it is not acceptable ("is not
 * JSON", "nests deeper than 100 levels", ...) and throws what it returns, so
 * each caller keeps its own error code and message prefix.
 */
export function parseJson(text: string, fail: (why: string, problem: JsonProblem) => Error, limits: JsonLimits = {}): unknown {
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH;
  if (limits.maxLength !== undefined && text.length > limits.maxLength) {
    throw fail(`is too large (${text.length} characters; the limit is ${limits.maxLength})`, 'too-large');
  }
  if (jsonDepthExceeds(text, maxDepth)) throw fail(`nests deeper than ${maxDepth} levels`, 'too-deep');
  try {
    return JSON.parse(text);
  } catch {
    // V8's message quotes the text, which is untrusted: it is left out.
    throw fail('is not JSON', 'not-json');
  }
}

/**
 * True when the brackets of `text`, outside strings, nest deeper than `max`.
 * Text that is not JSON gives some answer; JSON.parse then rejects it anyway.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

export type JsonObject = Record<string, unknown>;

/** A parsed JSON object (not null, not a list): the one check every reader of untrusted JSON starts from. */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
