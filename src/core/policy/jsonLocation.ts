/*
 * Where a field named by a JSON path sits in a JSON text, so an error in a
 * policy file can be shown on the offending value (a Problems entry with its
 * range). JSON.parse keeps no positions, hence this small scanner; it reads
 * only text JSON.parse has accepted.
 */

/** 0-based, with UTF-16 columns, as VS Code counts. */
export interface TextPosition {
  line: number;
  character: number;
}

export interface TextRange {
  start: TextPosition;
  end: TextPosition;
}

/** The JSON path of a member: `$.models`, or `$["odd key"]` for a key that is no identifier. */
export function childPath(at: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`;
}

/**
 * The range of the value at `jsonPath` (`$.models[0].path`; for an object's
 * member, from its key to the end of its value; the last of duplicate keys, as
 * JSON.parse), or undefined if the text is not JSON or has no such value. A
 * byte-order mark is not counted: editors hide it.
 */
export function jsonPathRange(text: string, jsonPath: string): TextRange | undefined {
  const src = text.replace(/^\uFEFF/, '');
  let found: [number, number] | undefined;
  if (
    !scanJson(src, (at, start, end) => {
      if (at === jsonPath) found = [start, end];
    })
  )
    return undefined;
  return found && { start: position(src, found[0]), end: position(src, found[1]) };
}

/**
 * The JSON path of the first key written twice in one object, if any: JSON.parse
 * keeps the last, a reader sees the first, so a policy must not have them.
 */
export function duplicateKey(text: string): string | undefined {
  let duplicate: string | undefined;
  scanJson(
    text.replace(/^\uFEFF/, ''),
    () => {},
    (at) => {
      duplicate ??= at;
    },
  );
  return duplicate;
}

/** Calls `onValue` for every value of a valid JSON text, inner ones first; false if it is not JSON. */
function scanJson(src: string, onValue: (at: string, start: number, end: number) => void, onDuplicate?: (at: string) => void): boolean {
  try {
    JSON.parse(src);
  } catch {
    return false;
  }
  let i = 0;
  const space = () => {
    while (i < src.length && ' \t\r\n'.includes(src[i]!)) i++;
  };
  const string = (): string => {
    const start = i;
    i++;
    while (i < src.length && src[i] !== '"') i += src[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(src.slice(start, i)) as string;
  };
  const value = (at: string, from?: number): void => {
    space();
    const start = from ?? i;
    const c = src[i];
    if (c === '{' || c === '[') {
      i++;
      let index = 0;
      const keys = new Set<string>();
      for (space(); src[i] !== (c === '{' ? '}' : ']') && i < src.length; space()) {
        if (src[i] === ',') {
          i++;
          continue;
        }
        if (c === '[') {
          value(`${at}[${index++}]`);
          continue;
        }
        const keyStart = i;
        const key = string();
        if (keys.has(key)) onDuplicate?.(childPath(at, key));
        keys.add(key);
        space();
        i++; // ':'
        value(childPath(at, key), keyStart);
      }
      i++;
    } else if (c === '"') {
      string();
    } else {
      while (i < src.length && !',]} \t\r\n'.includes(src[i]!)) i++;
    }
    onValue(at, start, i);
  };
  value('$');
  return true;
}
function position(text: string, offset: number): TextPosition {
  const lines = text.slice(0, offset).split(/\r\n|\r|\n/);
  return { line: lines.length - 1, character: lines[lines.length - 1]!.length };
}
