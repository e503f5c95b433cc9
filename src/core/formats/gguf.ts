// GGUF (llama.cpp): "GGUF", u32 version, then tensor_count and metadata_kv_count
// (u64 since v2, u32 in v1), then the metadata key/value pairs (key: length +
// UTF-8 bytes; type: u32; value), the tensor infos, and the aligned data.
// Only the first few metadata entries are read, for general.architecture and
// a couple of other well-known keys.
import type { DetectContext, ModelFormat } from './types';

const MAGIC = 0x46554747; // "GGUF" little-endian
/** Metadata entries read at most; big arrays (the tokenizer vocabulary) stop the walk earlier. */
const MAX_ENTRIES = 32;
/** Bytes read for the metadata walk. */
const METADATA_WINDOW = 64 * 1024;

// Value types: size in bytes of the fixed-size ones.
const SIZES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;

export async function detectGguf(ctx: DetectContext): Promise<ModelFormat | undefined> {
  const { head } = ctx;
  if (head.length < 8 || head.readUInt32LE(0) !== MAGIC) return undefined;
  const version = head.readUInt32LE(4);
  if (version < 1 || version > 3) return undefined;
  const wide = version >= 2; // v1 used u32 counts and lengths
  const countsEnd = wide ? 24 : 16;
  if (head.length < countsEnd) return undefined;
  const tensors = wide ? head.readBigUInt64LE(8) : BigInt(head.readUInt32LE(8));
  const entries = wide ? head.readBigUInt64LE(16) : BigInt(head.readUInt32LE(12));
  if (tensors > BigInt(Number.MAX_SAFE_INTEGER) || entries > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;

  const facts: Record<string, string | number> = { version, tensors: Number(tensors), metadata_entries: Number(entries) };
  const window = Math.min(METADATA_WINDOW, ctx.maxHeaderBytes);
  const buf = head.length >= Math.min(window, ctx.source.size) ? head : await ctx.source.read(0, window);
  const values = readMetadata(buf, countsEnd, Math.min(Number(entries), MAX_ENTRIES), wide);
  const architecture = values.get('general.architecture');
  if (typeof architecture === 'string') facts.architecture = architecture;
  const name = values.get('general.name');
  if (typeof name === 'string') facts.name = name;
  const context = typeof architecture === 'string' ? values.get(`${architecture}.context_length`) : undefined;
  if (typeof context === 'number') facts.context_length = context;
  const fileType = values.get('general.file_type');
  if (typeof fileType === 'number') facts.file_type = fileType;
  return { kind: 'gguf', label: 'GGUF', facts };
}

/** Reads up to `count` scalar and string entries; stops at the end of the buffer or at anything it cannot step over. */
function readMetadata(buf: Buffer, start: number, count: number, wide: boolean): Map<string, string | number> {
  const out = new Map<string, string | number>();
  let p = start;
  const readLength = (): number => {
    const w = wide ? 8 : 4;
    if (p + w > buf.length) return -1;
    const n = wide ? buf.readBigUInt64LE(p) : BigInt(buf.readUInt32LE(p));
    p += w;
    return n > BigInt(buf.length) ? -1 : Number(n);
  };
  const readString = (): string | undefined => {
    const n = readLength();
    if (n < 0 || p + n > buf.length) return undefined;
    const s = buf.toString('utf8', p, p + n);
    p += n;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const key = readString();
    if (key === undefined || p + 4 > buf.length) break;
    const type = buf.readUInt32LE(p);
    p += 4;
    if (type === STRING) {
      const value = readString();
      if (value === undefined) break;
      out.set(key, value);
    } else if (SIZES[type] !== undefined) {
      const size = SIZES[type];
      if (p + size > buf.length) break;
      const value = scalar(buf, p, type);
      if (value !== undefined) out.set(key, value);
      p += size;
    } else if (type === ARRAY) {
      // Step over arrays of fixed-size items; string arrays (vocabularies) end the walk.
      if (p + 4 > buf.length) break;
      const itemType = buf.readUInt32LE(p);
      p += 4;
      const n = readLength();
      const size = SIZES[itemType];
      if (n < 0 || size === undefined || p + n * size > buf.length) break;
      p += n * size;
    } else {
      break;
    }
  }
  return out;
}

function scalar(buf: Buffer, p: number, type: number): number | undefined {
  switch (type) {
    case 0:
      return buf.readUInt8(p);
    case 1:
      return buf.readInt8(p);
    case 2:
      return buf.readUInt16LE(p);
    case 3:
      return buf.readInt16LE(p);
    case 4:
      return buf.readUInt32LE(p);
    case 5:
      return buf.readInt32LE(p);
    case 6:
      return buf.readFloatLE(p);
    case 7:
      return buf.readUInt8(p);
    case 10: {
      const v = buf.readBigUInt64LE(p);
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
    }
    case 11: {
      const v = buf.readBigInt64LE(p);
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : undefined;
    }
    case 12:
      return buf.readDoubleLE(p);
    default:
      return undefined;
  }
}
