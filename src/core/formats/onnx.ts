// ONNX: a protobuf ModelProto with no magic number. It is recognised by parsing
// its first top-level fields as well-formed protobuf: ir_version (field 1,
// varint, tag 0x08) first with a plausible value (1..24), then the string fields,
// graph (field 7) and opset_import (field 8) with the wire types the schema
// gives them, and at least producer_name or graph present. The graph (nearly
// the whole file) is stepped over by its length, never read.
import type { ByteSource } from './source';
import type { DetectContext, ModelFormat } from './types';

/** IR versions so far run 1…14 (ONNX 1.23 writes 14); a little headroom for the next ones. */
const MAX_IR_VERSION = 24;
/** Top-level fields parsed at most. */
const MAX_FIELDS = 24;
/** Longest string field (producer name, version, domain) read; longer ones are stepped over. */
const MAX_STRING = 4096;
const WINDOW = 64 * 1024;

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;
/** ModelProto's fields and their wire types (onnx.proto3). */
const SCHEMA: Record<number, number> = {
  1: VARINT, // ir_version
  2: LEN, // producer_name
  3: LEN, // producer_version
  4: LEN, // domain
  5: VARINT, // model_version
  6: LEN, // doc_string
  7: LEN, // graph
  8: LEN, // opset_import
  14: LEN, // metadata_props
  20: LEN, // training_info
  25: LEN, // functions
  26: LEN, // configuration
};

export async function detectOnnx(ctx: DetectContext): Promise<ModelFormat | undefined> {
  if (ctx.head[0] !== 0x08) return undefined;
  const reader = new WindowReader(ctx.source, ctx.head);
  const facts: Record<string, string | number> = {};
  let graph = false;
  let pos = 0;
  for (let fields = 0; fields < MAX_FIELDS && pos < ctx.source.size; fields++) {
    const tag = await reader.varint(pos);
    if (!tag) return undefined;
    pos = tag.next;
    const field = tag.value / 8n;
    const wire = Number(tag.value & 7n);
    if (field < 1n || field > 536870911n) return undefined;
    const expected = SCHEMA[Number(field)];
    if (expected !== undefined && expected !== wire) return undefined;
    if (fields === 0 && field !== 1n) return undefined;

    if (wire === VARINT) {
      const v = await reader.varint(pos);
      if (!v) return undefined;
      pos = v.next;
      if (field === 1n) {
        if (v.value < 1n || v.value > BigInt(MAX_IR_VERSION)) return undefined;
        facts.ir_version = Number(v.value);
      } else if (field === 5n && v.value <= BigInt(Number.MAX_SAFE_INTEGER)) {
        facts.model_version = Number(v.value);
      }
    } else if (wire === I64 || wire === I32) {
      pos += wire === I64 ? 8 : 4;
      if (pos > ctx.source.size) return undefined;
    } else if (wire === LEN) {
      const len = await reader.varint(pos);
      if (!len) return undefined;
      pos = len.next;
      if (len.value > BigInt(ctx.source.size - pos)) return undefined; // runs past the end: not this, or truncated
      const n = Number(len.value);
      if (field === 2n || field === 3n || field === 4n) {
        if (n <= MAX_STRING) {
          const bytes = await reader.bytes(pos, n);
          const text = bytes && printable(bytes);
          if (text === undefined) return undefined;
          if (text) facts[field === 2n ? 'producer_name' : field === 3n ? 'producer_version' : 'domain'] = text;
        }
      } else if (field === 7n) {
        graph = true;
      } else if (field === 8n && n <= 1024) {
        const bytes = await reader.bytes(pos, n);
        const opset = bytes && parseOpset(bytes);
        if (!opset) return undefined;
        if ((opset.domain === '' || opset.domain === 'ai.onnx') && opset.version !== undefined) facts.opset = opset.version;
      }
      pos += n;
    } else {
      return undefined; // groups and reserved wire types do not occur in ModelProto
    }
  }
  if (facts.ir_version === undefined || (!graph && facts.producer_name === undefined)) return undefined;
  if (!graph) facts.graph = 'none';
  return { kind: 'onnx', label: 'ONNX', facts };
}

/** OperatorSetIdProto: domain (1, string), version (2, int64). */
function parseOpset(buf: Buffer): { domain: string; version?: number } | undefined {
  let domain = '';
  let version: number | undefined;
  let p = 0;
  while (p < buf.length) {
    const tag = varintAt(buf, p);
    if (!tag) return undefined;
    p = tag.next;
    if (tag.value === 0x0an) {
      const len = varintAt(buf, p);
      if (!len || len.value > BigInt(buf.length - len.next)) return undefined;
      const text = printable(buf.subarray(len.next, len.next + Number(len.value)));
      if (text === undefined) return undefined;
      domain = text;
      p = len.next + Number(len.value);
    } else if (tag.value === 0x10n) {
      const v = varintAt(buf, p);
      if (!v) return undefined;
      if (v.value <= 10_000n) version = Number(v.value);
      p = v.next;
    } else {
      return undefined;
    }
  }
  return { domain, version };
}

/** The text if it is valid UTF-8 without control characters (tabs and newlines allowed). */
function printable(bytes: Buffer): string | undefined {
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return undefined;
  }
  return text;
}

function varintAt(buf: Buffer, p: number): { value: bigint; next: number } | undefined {
  let value = 0n;
  for (let i = 0; i < 10 && p + i < buf.length; i++) {
    const b = buf[p + i]!;
    value |= BigInt(b & 0x7f) << BigInt(7 * i);
    if ((b & 0x80) === 0) return { value, next: p + i + 1 };
  }
  return undefined;
}

/** Reads at any offset through a small window, refilled from the file when a read falls outside it. */
class WindowReader {
  private start = 0;
  constructor(
    private readonly source: ByteSource,
    private window: Buffer,
  ) {}

  private async ensure(pos: number, n: number): Promise<Buffer | undefined> {
    if (pos < this.start || pos + n > this.start + this.window.length) {
      this.window = await this.source.read(pos, Math.max(n, WINDOW));
      this.start = pos;
    }
    const from = pos - this.start;
    return from + n <= this.window.length ? this.window.subarray(from, from + n) : undefined;
  }

  async varint(pos: number): Promise<{ value: bigint; next: number } | undefined> {
    const buf = (await this.ensure(pos, Math.min(10, this.source.size - pos))) ?? Buffer.alloc(0);
    const v = varintAt(buf, 0);
    return v && { value: v.value, next: pos + v.next };
  }

  bytes(pos: number, n: number): Promise<Buffer | undefined> {
    return this.ensure(pos, n);
  }
}
