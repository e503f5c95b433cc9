// Writing the provenance file: whole or not at all, and never over an existing
// file unless the caller allows it. Provenance is evidence, so replacing one by
// accident (a second job writing the same name) must not happen silently.
import * as fs from 'node:fs';
import { ModelSigningError, errnoCode } from '../../errors';
import { writeFileAtomic } from '../../io/atomicWrite';

/** Fails early, before any hashing, when the output is already there and may not be replaced. */
export function checkOutputFree(file: string, overwrite: boolean): void {
  if (overwrite) return;
  let exists: boolean;
  try {
    fs.lstatSync(file);
    exists = true;
  } catch (e) {
    exists = errnoCode(e) !== 'ENOENT';
  }
  if (exists) throw outputExists(file);
}

/**
 * Whole or not at all (io/atomicWrite.ts): renamed over the target when `overwrite`, otherwise
 * hard-linked, which fails if the name was taken meanwhile (no window between the check and the write).
 */
export async function writeOutputAtomic(file: string, content: string, overwrite: boolean): Promise<void> {
  await writeFileAtomic(file, content, overwrite ? undefined : linkExclusive);
}

async function linkExclusive(tmp: string, file: string): Promise<void> {
  try {
    await fs.promises.link(tmp, file);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'EEXIST') throw outputExists(file);
    // File systems without hard links: check, then rename (the file is still never partial).
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      checkOutputFree(file, false);
      await fs.promises.rename(tmp, file);
      return;
    }
    throw e;
  }
}

function outputExists(file: string): ModelSigningError {
  return new ModelSigningError('OUTPUT_EXISTS', `'${file}' already exists; not replacing it`, { path: file });
}
