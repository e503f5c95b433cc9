/**
 * File names come from the disk as bytes. OMS names resources in UTF-8, and
 * Node decodes a name that is not valid UTF-8 with U+FFFD in place of the bad
 * bytes: `x\xff.txt` would be listed as `x\uFFFD.txt` and `stat` would then
 * find a real `x\uFFFD.txt` beside it, so one of the two would never be hashed.
 * Such names are refused instead, and shown with their bad bytes escaped.
 */

/** The name as a string if its bytes are valid UTF-8, else undefined. */
export function utf8FileName(bytes: Buffer): string | undefined {
  const name = bytes.toString('utf8');
  // Only a name with U+FFFD can have been mangled; a genuine U+FFFD encodes back to the same bytes.
  if (name.includes('\uFFFD') && !Buffer.from(name, 'utf8').equals(bytes)) return undefined;
  return name;
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The bytes of a name as one printable line: valid UTF-8 characters as
 * themselves, every other byte (and control characters, and `\`) escaped
 * as `\xNN`, so `x\xff.txt` reads as it would in a shell.
 */
export function escapeFileNameBytes(bytes: Buffer): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    let ch: string | undefined;
    let n = 1;
    // UTF-8 is prefix-free: the first length that decodes is the character's.
    for (; n <= 4 && i + n <= bytes.length; n++) {
      try {
        ch = strict.decode(bytes.subarray(i, i + n));
        break;
      } catch {
        // not yet a whole character
      }
    }
    const cp = ch?.codePointAt(0);
    if (ch === undefined || cp === undefined || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || ch === '\\') {
      const len = ch === undefined ? 1 : n;
      for (let k = 0; k < len; k++) out += `\\x${bytes[i + k]!.toString(16).padStart(2, '0')}`;
      i += len;
    } else {
      out += ch;
      i += n;
    }
  }
  return out;
}
