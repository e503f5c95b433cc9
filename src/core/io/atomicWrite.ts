// Writing the files we own (signatures, provenance, policies, the digest cache) whole or not at all.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelSigningError, errnoCode } from '../errors';

/** Moves the finished temporary file to its name: by default renamed over whatever is there. */
export type PlaceFile = (tmp: string, file: string) => Promise<void>;

/**
 * Writes a file so that readers see the old content or the new, never a part:
 * a temporary file beside it, flushed, then put in place (renamed over, or as `place` does).
 * `mode` is the new file's (before the umask): 0o600 for a file only its owner should read.
 */
export async function writeFileAtomic(file: string, content: string, place: PlaceFile = fs.promises.rename, mode = 0o644): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await fs.promises.open(tmp, 'wx', mode);
    try {
      await fh.writeFile(content, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await place(tmp, file);
  } catch (e) {
    if (e instanceof ModelSigningError) throw e;
    throw new ModelSigningError('WRITE_FAILED', `Cannot write '${file}': ${errnoCode(e) ?? String(e)}`, { path: file }, e);
  } finally {
    // Gone after a rename; still there after a hard link or a failure.
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
  }
}
