import * as path from 'node:path';
import { FormatError } from '../errors';
import { readKeyFile } from '../io/readInputFile';
import { Pkcs11Uri, queryText } from './pkcs11Uri';

/**
 * The PIN a URI gives, as the reference's `get_pin`: `pin-value` itself, or the contents of the file
 * `pin-source` names (a plain absolute path or a `file:` URI); undefined if it gives none. One final line
 * break is dropped from a PIN file (`echo 1234 > pin` writes one; the reference would send it to the token).
 */
export function pinFromUri(uri: Pkcs11Uri): string | undefined {
  const value = queryText(uri, 'pin-value');
  if (value !== undefined) return value;
  const source = queryText(uri, 'pin-source');
  if (source === undefined) return undefined;
  const file = pinSourcePath(source);
  return readKeyFile(file, 'PIN file').replace(/\r?\n$/, '');
}

function pinSourcePath(source: string): string {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(source)?.[1];
  let file = source;
  if (scheme !== undefined) {
    if (scheme.toLowerCase() !== 'file')
      throw new FormatError('PKCS11_URI_INVALID', `Invalid PKCS #11 URI: the pin-source scheme '${scheme}' is not supported`, { scheme });
    file = source.slice(scheme.length + 1);
    // file:///p and file://localhost/p; another host is not this machine.
    const authority = /^\/\/([^/]*)/.exec(file);
    if (authority) {
      if (authority[1] !== '' && authority[1]!.toLowerCase() !== 'localhost') {
        throw new FormatError('PKCS11_URI_INVALID', `Invalid PKCS #11 URI: the pin-source names another host '${authority[1]}'`, {});
      }
      file = file.slice(authority[0].length);
    }
  }
  if (!path.isAbsolute(file))
    throw new FormatError('PKCS11_URI_INVALID', `Invalid PKCS #11 URI: the pin-source path '${file}' is not absolute`, { path: file });
  return file;
}
