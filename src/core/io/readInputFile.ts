/**
 * Every file the user names as input (signature, provenance, key, certificate,
 * trust config, policy) is read here: it must be a regular file within a size
 * cap, checked on the opened descriptor before a byte is read. A FIFO would
 * block a plain open or read forever, and a link to /dev/zero would be read
 * until memory runs out.
 */
import * as fs from 'node:fs';
import { ErrorCode, FormatError, ModelSigningError, errnoCode } from '../errors';

export interface InputFileOptions {
  /** What the file is, for messages: "signature file", "public key". */
  what: string;
  /** The largest size accepted, in bytes. */
  maxBytes: number;
  /** The code of a file that cannot be opened or is not a regular file. */
  unreadableCode: ErrorCode;
  /** The code of a file over the cap; the unreadable code by default. */
  tooLargeCode?: ErrorCode;
}

export interface InputFileErrorData {
  path: string;
  /** `not-a-file`, `too-large`, or Node's errno code. */
  reason: string;
  size?: number;
  maxBytes?: number;
}

/** Keys, certificates and policy files are small; this cap is far above any real one. */
export const MAX_SMALL_INPUT_BYTES = 1 << 20;
/** Trust configs hold a trusted root with every key and certificate of a Sigstore instance. */
export const MAX_TRUST_CONFIG_BYTES = 16 << 20;

// O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer.
// It does not change how a regular file is read. Windows has no such flag (and no FIFOs).
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/** The bytes of an input file, or a one-line error at once. */
export async function readInputFile(file: string, opts: InputFileOptions): Promise<Buffer> {
  try {
    checkStat(file, await fs.promises.stat(file), opts);
    const fh = await fs.promises.open(file, OPEN_FLAGS);
    try {
      const st = await fh.stat();
      checkStat(file, st, opts);
      const into = new Bytes(file, st.size, opts);
      while (into.add((await fh.read(into.buf, into.n, into.buf.length - into.n, null)).bytesRead));
      return into.bytes();
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw asInputError(file, e, opts);
  }
}

/** readInputFile for the synchronous callers (key and certificate loading). */
export function readInputFileSync(file: string, opts: InputFileOptions): Buffer {
  try {
    checkStat(file, fs.statSync(file), opts);
    const fd = fs.openSync(file, OPEN_FLAGS);
    try {
      const st = fs.fstatSync(fd);
      checkStat(file, st, opts);
      const into = new Bytes(file, st.size, opts);
      while (into.add(fs.readSync(fd, into.buf, into.n, into.buf.length - into.n, null)));
      return into.bytes();
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw asInputError(file, e, opts);
  }
}

/** The file as UTF-8 text. */
export async function readInputText(file: string, opts: InputFileOptions): Promise<string> {
  return (await readInputFile(file, opts)).toString('utf8');
}

/** The file as UTF-8 text, synchronously. */
export function readInputTextSync(file: string, opts: InputFileOptions): string {
  return readInputFileSync(file, opts).toString('utf8');
}

/** A buffer sized by fstat that grows (a file can grow while it is read) up to one byte over the cap. */
class Bytes {
  buf: Buffer;
  n = 0;
  constructor(
    private readonly file: string,
    size: number,
    private readonly opts: InputFileOptions,
  ) {
    this.buf = Buffer.allocUnsafe(Math.min(size, opts.maxBytes) + 1);
  }

  /** Counts a read; false at the end of the file. */
  add(bytesRead: number): boolean {
    if (bytesRead === 0) return false;
    this.n += bytesRead;
    if (this.n > this.opts.maxBytes) throw tooLarge(this.file, this.n, this.opts);
    if (this.n === this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.min(this.buf.length * 2, this.opts.maxBytes + 1));
      this.buf.copy(bigger, 0, 0, this.n);
      this.buf = bigger;
    }
    return true;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.n);
  }
}

/** A key or certificate file (PEM), as text: FILE_READ_ERROR if it is not a small regular file. */
export function readKeyFile(file: string, what: string): string {
  return readInputTextSync(file, { what, maxBytes: MAX_SMALL_INPUT_BYTES, unreadableCode: 'FILE_READ_ERROR' });
}

function checkStat(file: string, st: fs.Stats, opts: InputFileOptions): void {
  if (!st.isFile()) {
    const kind = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a named pipe' : st.isSocket() ? 'a socket' : 'a device or special file';
    throw new FormatError<InputFileErrorData>(opts.unreadableCode, `Cannot read the ${opts.what} '${file}': it is ${kind}, not a regular file`, {
      path: file,
      reason: 'not-a-file',
    });
  }
  if (st.size > opts.maxBytes) throw tooLarge(file, st.size, opts);
}

function tooLarge(file: string, size: number, opts: InputFileOptions): FormatError<InputFileErrorData> {
  return new FormatError<InputFileErrorData>(
    opts.tooLargeCode ?? opts.unreadableCode,
    `The ${opts.what} '${file}' is too large (${size} bytes or more; the limit is ${opts.maxBytes})`,
    { path: file, reason: 'too-large', size, maxBytes: opts.maxBytes },
  );
}

function asInputError(file: string, e: unknown, opts: InputFileOptions): Error {
  if (e instanceof ModelSigningError) return e;
  const code = errnoCode(e) ?? String(e);
  return new FormatError<InputFileErrorData>(opts.unreadableCode, `Cannot read the ${opts.what} '${file}': ${code}`, { path: file, reason: code }, e);
}
