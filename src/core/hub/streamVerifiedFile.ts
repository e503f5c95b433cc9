// One file from the Hub into a local file, hashed as it arrives (no second pass over the bytes), and
// resumed with an HTTP Range from the last byte written when the connection breaks.
import * as fs from 'node:fs';
import { throwIfAborted } from '../abort';
import { ModelSigningError, errnoCode } from '../errors';
import { HubResponse, requestFailed } from './hubHttp';

/** What the bytes go through as they arrive: a node:crypto Hash (the bench also times one that does nothing). */
export interface StreamHash {
  update(data: Buffer): unknown;
  digest(encoding: 'hex'): string;
}

/** A hash that does nothing: for bytes hashed later as the signature says (and for the bench, the transfer alone). */
export const noHash = (): StreamHash => ({ update: () => undefined, digest: () => '' });

export interface StreamFileOptions {
  /** Starts the transfer from byte `start`. */
  open: (start: number) => Promise<HubResponse>;
  dest: string;
  /** The size the listing gives: more bytes are an error, fewer a broken transfer to resume. */
  size: number;
  hash: () => StreamHash;
  /** For messages: `ORG/NAME/path`. */
  what: string;
  onBytes?: (n: number) => void;
  signal?: AbortSignal;
}

/** Transfers that may break before one fails for good. */
const MAX_ATTEMPTS = 5;
/** Bytes gathered before one write: a write per network chunk (16–64 KiB) would cost more than the hashing. */
const WRITE_BATCH = 1 << 20;

/** Downloads `dest` and returns the hex digest of exactly the bytes written to it. */
export async function streamVerifiedFile(options: StreamFileOptions): Promise<string> {
  const fh = await fs.promises.open(options.dest, 'w');
  const state = { hash: options.hash(), offset: 0 };
  try {
    for (let attempt = 1; ; attempt++) {
      const failure = await transfer(fh, state, options);
      if (!failure) return state.hash.digest('hex');
      throwIfAborted(options.signal);
      if (attempt >= MAX_ATTEMPTS) throw failure;
    }
  } finally {
    await fh.close();
  }
}

/** One request from the current offset; a broken or short transfer is returned (to resume), anything else thrown. */
async function transfer(
  fh: fs.promises.FileHandle,
  state: { hash: StreamHash; offset: number },
  options: StreamFileOptions,
): Promise<ModelSigningError | undefined> {
  let res: HubResponse;
  try {
    res = await options.open(state.offset);
  } catch (e) {
    if (e instanceof ModelSigningError && e.code === 'HUB_REQUEST_FAILED') return e;
    throw e;
  }
  if (state.offset > 0 && res.status !== 206) {
    // The server ignored the Range: start again from the first byte.
    options.onBytes?.(-state.offset);
    state.hash = options.hash();
    state.offset = 0;
    await fh.truncate(0);
  } else if (state.offset > 0 && !new RegExp(`^bytes ${state.offset}-`).test(String(res.headers['content-range']))) {
    res.body.destroy();
    throw new ModelSigningError(
      'HUB_RESPONSE_INVALID',
      `The Hub resumed ${options.what} at another byte than asked (${String(res.headers['content-range'])})`,
      { what: options.what },
    );
  }
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batchBytes === 0) return;
    const chunks = batch;
    const n = batchBytes;
    batch = [];
    batchBytes = 0;
    // The write runs on libuv's threads while this thread hashes the same bytes.
    const written = fh.writev(chunks, state.offset);
    for (const c of chunks) state.hash.update(c);
    try {
      await written;
    } catch (e) {
      throw new ModelSigningError('WRITE_FAILED', `Cannot write ${options.dest}: ${errnoCode(e) ?? String(e)}`, { path: options.dest }, e);
    }
    state.offset += n;
    options.onBytes?.(n);
  };
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (state.offset + batchBytes + chunk.length > options.size) {
        res.body.destroy();
        throw new ModelSigningError('HUB_FILE_MISMATCH', `${options.what}: the Hub sent more than the ${options.size} bytes it lists`, { what: options.what });
      }
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= WRITE_BATCH) await flush();
    }
  } catch (e) {
    if (e instanceof ModelSigningError) throw e;
    throwIfAborted(options.signal);
    // Keep what arrived before the break: the next request asks for the rest.
    await flush();
    return requestFailed({ what: options.what }, `the connection broke at byte ${state.offset} (${errnoCode(e) ?? String(e)})`);
  }
  await flush();
  if (state.offset < options.size) return requestFailed({ what: options.what }, `the transfer ended at byte ${state.offset} of ${options.size}`);
  return undefined;
}
