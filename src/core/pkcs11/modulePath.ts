import * as fs from 'node:fs';
import * as path from 'node:path';
import { FormatError, errnoCode } from '../errors';
import { Pkcs11Uri, queryText } from './pkcs11Uri';

/**
 * Where `module-name` is looked for: the reference's folders (Fedora, RHEL, openSUSE; Arch), SoftHSM2's on
 * Debian and Ubuntu (its tests add it), then their multiarch folders, where p11-kit and OpenSC install theirs.
 */
export const MODULE_DIRECTORIES: readonly string[] = [
  '/usr/lib64/pkcs11/',
  '/usr/lib/pkcs11/',
  '/usr/lib/softhsm/',
  '/usr/lib/x86_64-linux-gnu/pkcs11/',
  '/usr/lib/aarch64-linux-gnu/pkcs11/',
];

/**
 * The module a URI names, as the reference's `get_module`: `module-path` a file is that file; a folder is
 * searched for `module-name`, as are MODULE_DIRECTORIES without a `module-path`. A name matches a file whose
 * name (lower case) holds it followed by a dot or nothing: `softhsm2` is `libsofthsm2.so`.
 */
export function pkcs11ModulePath(uri: Pkcs11Uri, directories: readonly string[] = MODULE_DIRECTORIES): string {
  const modulePath = queryText(uri, 'module-path');
  let searched = directories;
  if (modulePath !== undefined) {
    let st: fs.Stats;
    try {
      st = fs.statSync(modulePath);
    } catch (e) {
      throw new FormatError('PKCS11_MODULE_NOT_FOUND', `The PKCS #11 module '${modulePath}' does not exist`, { path: modulePath, reason: errnoCode(e) }, e);
    }
    if (st.isFile()) return modulePath;
    if (!st.isDirectory()) throw new FormatError('PKCS11_MODULE_NOT_FOUND', `The PKCS #11 module '${modulePath}' is not a file`, { path: modulePath });
    searched = [modulePath];
  }
  const name = queryText(uri, 'module-name')?.toLowerCase();
  if (name === undefined) {
    throw new FormatError('PKCS11_MODULE_NOT_FOUND', 'The PKCS #11 URI names no module: add ?module-path=/path/to/module.so (or module-name=NAME)', {});
  }
  for (const dir of searched) {
    const found = filesIn(dir).find((f) => {
      const lower = f.toLowerCase();
      const i = lower.indexOf(name);
      return i >= 0 && (i + name.length === lower.length || lower[i + name.length] === '.');
    });
    if (found) return path.join(dir, found);
  }
  throw new FormatError('PKCS11_MODULE_NOT_FOUND', `No PKCS #11 module '${name}' could be found in ${searched.join(', ')}`, { name, directories: searched });
}

/** The files of a folder, in name order (the reference takes glob's order, which is the file system's). */
function filesIn(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => !d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}
