// safetensors: an 8-byte little-endian header length N, N bytes of JSON
// ({ name: { dtype, shape, data_offsets: [begin, end] }, …, "__metadata__"?: { … } }),
// then the tensor data, with the offsets relative to its start.
import type { DetectContext, ModelFormat } from './types';
import { isJsonObject, parseJson } from '../io/parseJson';

/** The reference implementation refuses headers over 100 MB. */
const MAX_HEADER = 100_000_000;

export async function detectSafetensors(ctx: DetectContext): Promise<ModelFormat | undefined> {
  const { head, source } = ctx;
  if (head.length < 10) return undefined;
  const declared = head.readBigUInt64LE(0);
  if (declared < 2n || declared > BigInt(MAX_HEADER)) return undefined;
  const n = Number(declared);
  if (8 + n > source.size || head[8] !== 0x7b /* { */) return undefined;
  const dataBytes = source.size - 8 - n;

  if (n > ctx.maxHeaderBytes) {
    // Too big to parse under the limit: accept it on the look of its start alone.
    const start = await source.read(8, 4096);
    if (!/^\{\s*"/.test(start.toString('latin1')) || !/"(dtype|data_offsets|__metadata__)"/.test(start.toString('latin1'))) return undefined;
    return { kind: 'safetensors', label: 'safetensors', facts: { header_bytes: n, header: 'not parsed (over the size limit)' } };
  }

  const bytes = 8 + n <= head.length ? head.subarray(8, 8 + n) : await source.read(8, n);
  if (bytes.length < n) return undefined;
  let header: unknown;
  try {
    header = parseJson(bytes.toString('utf8'), (why) => new Error(why));
  } catch {
    return undefined;
  }
  if (!isJsonObject(header)) return undefined;

  let tensors = 0;
  let parameters = 0;
  const dtypes = new Set<string>();
  const facts: Record<string, string | number> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isJsonObject(info)) return undefined;
      facts.metadata_entries = Object.keys(info).length;
      if (typeof info.format === 'string') facts.metadata_format = info.format;
      continue;
    }
    if (!isJsonObject(info)) return undefined;
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== 'string' || !/^[A-Z][A-Z0-9_]{0,15}$/.test(dtype)) return undefined;
    if (!Array.isArray(shape) || !shape.every(isCount)) return undefined;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) return undefined;
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataBytes) return undefined;
    tensors++;
    dtypes.add(dtype);
    parameters += shape.reduce((a, b) => a * b, 1);
  }
  return {
    kind: 'safetensors',
    label: 'safetensors',
    facts: { tensors, dtypes: [...dtypes].sort().join(', '), parameters, header_bytes: n, ...facts },
  };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
