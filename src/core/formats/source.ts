// Random access to the bytes of one file, read in small bounded pieces: the
// detectors never read a whole model, only the headers and directories they need.
import * as fs from 'node:fs';
import { throwIfAborted } from '../abort';
import { HashingError, errnoCode } from '../errors';

export class ByteSource {
  private constructor(
    private readonly handle: fs.promises.FileHandle,
    /** The size of the file in bytes. */
    readonly size: number,
    /** The path, for error messages. */
    readonly path: string,
    private readonly signal?: AbortSignal,
  ) {}

  /**
   * Opens a regular file for reading. Throws FILE_READ_ERROR when it cannot be
   * opened or is not a regular file (a folder, a fifo, a device).
   */
  static async open(filePath: string, signal?: AbortSignal): Promise<ByteSource> {
    throwIfAborted(signal);
    let handle: fs.promises.FileHandle;
    try {
      // O_NONBLOCK so that opening a fifo does not wait for a writer; it changes nothing for regular files.
      handle = await fs.promises.open(filePath, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    } catch (e) {
      throw new HashingError('FILE_READ_ERROR', `Cannot open '${filePath}': ${errnoCode(e) ?? String(e)}`, { path: filePath }, e);
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new HashingError('FILE_READ_ERROR', `Not a regular file: '${filePath}'`, { path: filePath });
      return new ByteSource(handle, stat.size, filePath, signal);
    } catch (e) {
      await handle.close().catch(() => undefined);
      if (e instanceof HashingError) throw e;
      throw new HashingError('FILE_READ_ERROR', `Cannot read '${filePath}': ${errnoCode(e) ?? String(e)}`, { path: filePath }, e);
    }
  }

  /**
   * Up to `length` bytes from `offset`; fewer at the end of the file, none past it.
   * Never reads more than asked: callers bound `length` themselves.
   */
  async read(offset: number, length: number): Promise<Buffer> {
    throwIfAborted(this.signal);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.size || length <= 0) return Buffer.alloc(0);
    const want = Math.min(Math.floor(length), this.size - offset);
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.handle.read(buf, got, want - got, offset + got));
      } catch (e) {
        throw new HashingError(
          'FILE_READ_ERROR',
          `Cannot read '${this.path}' at offset ${offset + got}: ${errnoCode(e) ?? String(e)}`,
          { path: this.path, offset: offset + got },
          e,
        );
      }
      if (bytesRead === 0) break; // the file shrank under us
      got += bytesRead;
    }
    return got === want ? buf : buf.subarray(0, got);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
