/**
 * RFC 7512 PKCS #11 URIs, accepted as the reference's `Pkcs11URI.parse` and `validate` accept them
 * (`_signing/pkcs11uri.py`), stricter where it lets a mistake through: a malformed `%` escape, an empty
 * attribute name, a slot-id that is not a whole number.
 */
import * as path from 'node:path';
import { FormatError } from '../errors';

/** The attributes of a URI, percent-decoded to bytes (only `id` is binary; the rest are UTF-8 text). */
export interface Pkcs11Uri {
  readonly path: ReadonlyMap<string, Buffer>;
  readonly query: ReadonlyMap<string, Buffer>;
}

const SCHEME = 'pkcs11:';

function invalid(message: string, data: Record<string, unknown> = {}): FormatError {
  return new FormatError('PKCS11_URI_INVALID', `Invalid PKCS #11 URI: ${message}`, data);
}

/** Parses and validates a URI; PINs in it are never quoted in errors. */
export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  // RFC 3986: the scheme is case-insensitive (the reference takes only lower case).
  if (uri.slice(0, SCHEME.length).toLowerCase() !== SCHEME) throw invalid("it must start with 'pkcs11:'");
  const rest = uri.slice(SCHEME.length);
  const q = rest.indexOf('?');
  const parsed = {
    path: attributes(q < 0 ? rest : rest.slice(0, q), ';', 'path'),
    query: q < 0 ? new Map<string, Buffer>() : attributes(rest.slice(q + 1), '&', 'query'),
  };
  validate(parsed);
  return parsed;
}

function attributes(text: string, separator: string, where: 'path' | 'query'): Map<string, Buffer> {
  const map = new Map<string, Buffer>();
  // As the reference: an empty path has no attributes, an empty query (`pkcs11:?`) is malformed.
  if (where === 'path' && text === '') return map;
  for (const part of text.split(separator)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw invalid(`malformed ${where} attribute '${eq < 0 ? part : part.slice(0, 1)}…'`);
    const name = part.slice(0, eq);
    if (map.has(name)) throw invalid(`duplicate ${where} attribute '${name}'`, { attribute: name });
    map.set(name, percentDecode(part.slice(eq + 1), name));
  }
  return map;
}

/** `%XX` to its byte; any other character stands for its UTF-8 bytes (the reference takes spaces and the like literally too). */
function percentDecode(value: string, name: string): Buffer {
  const bytes: Buffer[] = [];
  for (let i = 0; i < value.length;) {
    if (value[i] === '%') {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw invalid(`a '%' in attribute '${name}' is not followed by two hex digits`, { attribute: name });
      bytes.push(Buffer.from([parseInt(hex, 16)]));
      i += 3;
    } else {
      const cp = value.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  return Buffer.concat(bytes);
}

function validate(uri: Pkcs11Uri): void {
  const slot = pathText(uri, 'slot-id');
  // The reference's validate() wants a digit somewhere, and its login() then fails on int('1a'): one check here.
  if (slot !== undefined && !(/^[0-9]+$/.test(slot) && Number(slot) <= 0xffffffff)) throw invalid(`slot-id must be a number below 2^32: '${slot}'`);
  const version = pathText(uri, 'library-version');
  if (version !== undefined && !/^[0-9]+(\.[0-9]+)?$/.test(version)) throw invalid(`invalid format for library-version '${version}'`);
  const type = pathText(uri, 'type');
  if (type !== undefined && !/^(public|private|cert|secret-key|data)?$/.test(type)) throw invalid(`invalid type '${type}'`);
  if (uri.query.has('pin-source') && uri.query.has('pin-value')) throw invalid('it must not contain both pin-source and pin-value');
  const modulePath = queryText(uri, 'module-path');
  if (modulePath !== undefined && !path.isAbsolute(modulePath)) throw invalid(`the module-path '${modulePath}' must be absolute`);
}

export function pathText(uri: Pkcs11Uri, name: string): string | undefined {
  return uri.path.get(name)?.toString('utf8');
}

export function queryText(uri: Pkcs11Uri, name: string): string | undefined {
  return uri.query.get(name)?.toString('utf8');
}

/** What a URI is made from: the extension builds one from what the user picked. */
export interface Pkcs11UriParts {
  path: readonly (readonly [string, string | Buffer])[];
  query?: readonly (readonly [string, string])[];
}

/**
 * Writes a URI the parser reads back to the same attributes: `id` fully percent-encoded (as the reference
 * formats it), other values with RFC 3986's unreserved characters and the sub-delimiters left as they are.
 */
export function formatPkcs11Uri(parts: Pkcs11UriParts): string {
  const encode = (value: string | Buffer, allowed: RegExp, all: boolean) =>
    [...(typeof value === 'string' ? Buffer.from(value, 'utf8') : value)]
      .map((b) => (!all && b < 0x80 && allowed.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
      .join('');
  const pathPart = parts.path.map(([k, v]) => `${k}=${encode(v, /[A-Za-z0-9\-._~:[\]@!$'()*+,=&]/, k === 'id')}`).join(';');
  const query = (parts.query ?? []).map(([k, v]) => `${k}=${encode(v, /[A-Za-z0-9\-._~:[\]@!$'()*+,=/?|]/, false)}`).join('&');
  return `${SCHEME}${pathPart}${query ? `?${query}` : ''}`;
}
