// Just enough of the zip format to list an archive's members and read a small
// one: the end-of-central-directory record (zip64 included), the central
// directory, and a member's local header. Stored and deflated members only.
import * as zlib from 'node:zlib';
import type { DetectContext } from './types';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated; anything else is not read. */
  method: number;
  compressedSize: number;
  size: number;
  /** Absolute offset of the member's local header in the file. */
  localHeaderOffset: number;
}

export interface ZipListing {
  entries: ZipEntry[];
  /** The number of members the end record declares. */
  declared: number;
  /** False when the central directory was larger than the read limit and only a prefix was listed. */
  complete: boolean;
}

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

/** Whether the file starts like a zip archive (a local header, or the end record of an empty archive). */
export function looksLikeZip(head: Buffer): boolean {
  return head.length >= 4 && (head.readUInt32LE(0) === LOCAL || head.readUInt32LE(0) === EOCD);
}

/** Lists the members from the central directory, or undefined if the file is not a readable zip. */
export async function listZip(ctx: DetectContext): Promise<ZipListing | undefined> {
  const { source } = ctx;
  if (!looksLikeZip(ctx.head) || source.size < EOCD_SIZE) return undefined;

  // The end record sits in the last 22 + 65535 bytes (it may be followed by a comment).
  const tailLength = Math.min(source.size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = source.size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  let at = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD && i + EOCD_SIZE + tail.readUInt16LE(i + 20) <= tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) return undefined;
  const eocdPos = tailStart + at;
  let declared = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  let cdEnd = eocdPos;

  // zip64: a locator just before the end record points at the zip64 end record.
  if (eocdPos >= 20) {
    const loc = at >= 20 ? tail.subarray(at - 20, at) : await source.read(eocdPos - 20, 20);
    if (loc.length === 20 && loc.readUInt32LE(0) === EOCD64_LOCATOR) {
      const recPos = Number(loc.readBigUInt64LE(8));
      const rec = await source.read(recPos, 56);
      if (rec.length === 56 && rec.readUInt32LE(0) === EOCD64) {
        declared = safeNumber(rec.readBigUInt64LE(32));
        cdSize = safeNumber(rec.readBigUInt64LE(40));
        cdOffset = safeNumber(rec.readBigUInt64LE(48));
        cdEnd = recPos;
      } else if (declared === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
        return undefined;
      }
    }
  }
  if (declared < 0 || cdSize < 0 || cdOffset < 0) return undefined;

  // Data prepended to the archive (a self-extractor stub) shifts every offset.
  let shift = 0;
  if (cdOffset + cdSize !== cdEnd && cdEnd - cdSize >= 0) shift = cdEnd - cdSize - cdOffset;
  if (cdOffset + shift < 0 || cdOffset + shift + cdSize > cdEnd) return undefined;
  if (declared === 0) return cdSize === 0 ? { entries: [], declared: 0, complete: true } : undefined;

  const cd = await source.read(cdOffset + shift, Math.min(cdSize, ctx.maxHeaderBytes));
  const entries: ZipEntry[] = [];
  let p = 0;
  while (entries.length < declared && p + 46 <= cd.length && cd.readUInt32LE(p) === CENTRAL) {
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    let localHeaderOffset = cd.readUInt32LE(p + 42);
    const next = p + 46 + nameLength + extraLength + commentLength;
    if (next > cd.length) break;
    const name = cd.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLength);
    // zip64 extended information: the 64-bit values of the fields that hold 0xFFFFFFFF, in this order.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = cd.readUInt16LE(e);
      const len = cd.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const take = (): number => {
          if (q + 8 > e + 4 + len) return -1;
          const v = safeNumber(cd.readBigUInt64LE(q));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      e += 4 + len;
    }
    if (size < 0 || compressedSize < 0 || localHeaderOffset < 0) break;
    entries.push({ name, method, compressedSize, size, localHeaderOffset: localHeaderOffset + shift });
    p = next;
  }
  if (entries.length === 0) return undefined;
  return { entries, declared, complete: entries.length === declared };
}

/**
 * The first `limit` bytes of a member's content (all of it if smaller), or
 * undefined if its local header is bad or its compression is not stored/deflate.
 */
export async function readZipMember(ctx: DetectContext, entry: ZipEntry, limit: number): Promise<Buffer | undefined> {
  const header = await ctx.source.read(entry.localHeaderOffset, 30);
  if (header.length < 30 || header.readUInt32LE(0) !== LOCAL) return undefined;
  const dataStart = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (entry.method === 0) return ctx.source.read(dataStart, Math.min(entry.compressedSize, limit));
  if (entry.method === 8) {
    const compressed = await ctx.source.read(dataStart, Math.min(entry.compressedSize, limit));
    return inflateRawPrefix(compressed, Math.min(entry.size, limit));
  }
  return undefined;
}

/** Inflates raw deflate data up to `limit` output bytes; a truncated or corrupt stream yields what came out before the fault. */
function inflateRawPrefix(input: Buffer, limit: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const inflater = zlib.createInflateRaw({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inflater.destroy();
      const out = Buffer.concat(chunks);
      resolve(out.length > limit ? out.subarray(0, limit) : out);
    };
    inflater.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= limit) finish();
    });
    inflater.on('end', finish);
    inflater.on('error', finish);
    inflater.on('close', finish);
    inflater.end(input);
  });
}

function safeNumber(v: bigint): number {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : -1;
}
