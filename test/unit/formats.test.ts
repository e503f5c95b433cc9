// Model format detection by content. Every file here is made byte by byte in the
// test — zip archives, pickles, protobuf, GGUF, safetensors, HDF5-like — and
// named so that the name never gives the answer away.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import { detectModelFormat, isModelSigningError, type ModelFormat } from '../../src/core';
import { makeModel, tempDir } from '../helpers/fixtures';

// ---------------------------------------------------------------- writers

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const u16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
};
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const u64 = (v: number | bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};

interface ZipMember {
  name: string;
  data: string | Buffer;
  /** Deflate the member (method 8) instead of storing it. */
  deflate?: boolean;
}

/**
 * A zip archive as zipfile/miniz write it: local headers, data, central
 * directory, end record. `align` pads each member's data to that boundary with
 * an extra field, as torch.save does (64); `zip64` adds the zip64 end record and
 * locator that PyTorch's writer emits; `zip64Sizes` moves each member's sizes and
 * offset into the central directory's zip64 extra field, as for members past 4 GiB.
 */
function makeZip(members: ZipMember[], options: { align?: number; zip64?: boolean; zip64Sizes?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const raw = Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data, 'utf8');
    const data = m.deflate ? zlib.deflateRawSync(raw) : raw;
    const method = m.deflate ? 8 : 0;
    const name = Buffer.from(m.name, 'utf8');
    let extra = Buffer.alloc(0);
    if (options.align) {
      const unpadded = offset + 30 + name.length + 4;
      const pad = (options.align - (unpadded % options.align)) % options.align;
      extra = Buffer.concat([u16(0x4246) /* 'FB' */, u16(pad), Buffer.alloc(pad, 0x5a)]);
    }
    const crc = crc32(raw);
    const common = Buffer.concat([u16(20), u16(0x0800), u16(method), u16(0), u16(0x21), u32(crc), u32(data.length), u32(raw.length), u16(name.length)]);
    const local = Buffer.concat([u32(0x04034b50), common, u16(extra.length), name, extra]);
    if (options.zip64Sizes) {
      const FULL = u32(0xffffffff);
      const zip64 = Buffer.concat([u16(0x0001), u16(24), u64(raw.length), u64(data.length), u64(offset)]);
      const head = Buffer.concat([u16(20), u16(0x0800), u16(method), u16(0), u16(0x21), u32(crc), FULL, FULL, u16(name.length)]);
      central.push(Buffer.concat([u32(0x02014b50), u16(45), head, u16(zip64.length), u16(0), u16(0), u16(0), u32(0), FULL, name, zip64]));
    } else {
      central.push(Buffer.concat([u32(0x02014b50), u16(20), common, u16(0), u16(0), u16(0), u16(0), u32(0), u32(offset), name]));
    }
    parts.push(local, data);
    offset += local.length + data.length;
  }
  const cd = Buffer.concat(central);
  const cdOffset = offset;
  const tail: Buffer[] = [cd];
  if (options.zip64) {
    const recordAt = cdOffset + cd.length;
    tail.push(
      Buffer.concat([u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(members.length), u64(members.length), u64(cd.length), u64(cdOffset)]),
      Buffer.concat([u32(0x07064b50), u32(0), u64(recordAt), u32(1)]),
      Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(0xffff), u16(0xffff), u32(0xffffffff), u32(0xffffffff), u16(0)]),
    );
  } else {
    tail.push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(members.length), u16(members.length), u32(cd.length), u32(cdOffset), u16(0)]));
  }
  return Buffer.concat([...parts, ...tail]);
}

/** A pickle writer: one method per opcode used (protocol 2, as torch.save writes). */
class Pickle {
  private readonly parts: Buffer[] = [];
  private memo = 0;
  /** Any opcode with its argument bytes; the named methods below are the usual ones. */
  op(code: number, ...args: Buffer[]): this {
    this.parts.push(Buffer.from([code]), ...args);
    return this;
  }
  proto(v = 2) {
    return this.op(0x80, Buffer.from([v]));
  }
  global(module: string, name: string) {
    return this.op(0x63, Buffer.from(`${module}\n${name}\n`, 'utf8')).put();
  }
  put() {
    return this.op(0x71, Buffer.from([this.memo++]));
  }
  get(i: number) {
    return this.op(0x68, Buffer.from([i]));
  }
  str(s: string) {
    const b = Buffer.from(s, 'utf8');
    return this.op(0x58, u32(b.length), b).put();
  }
  int(v: number) {
    return v < 256 ? this.op(0x4b, Buffer.from([v])) : this.op(0x4d, u16(v));
  }
  long1(bytes: number[]) {
    return this.op(0x8a, Buffer.from([bytes.length, ...bytes]));
  }
  mark() {
    return this.op(0x28);
  }
  tuple() {
    return this.op(0x74).put();
  }
  tuple1() {
    return this.op(0x85).put();
  }
  tuple2() {
    return this.op(0x86).put();
  }
  emptyTuple() {
    return this.op(0x29);
  }
  emptyDict() {
    return this.op(0x7d).put();
  }
  emptyList() {
    return this.op(0x5d).put();
  }
  reduce() {
    return this.op(0x52).put();
  }
  newobj() {
    return this.op(0x81).put();
  }
  binpersid() {
    return this.op(0x51);
  }
  setitem() {
    return this.op(0x73);
  }
  setitems() {
    return this.op(0x75);
  }
  appends() {
    return this.op(0x65);
  }
  build() {
    return this.op(0x62);
  }
  true() {
    return this.op(0x88);
  }
  false() {
    return this.op(0x89);
  }
  none() {
    return this.op(0x4e);
  }
  stop() {
    return this.op(0x2e);
  }
  // protocol 4: strings as SHORT_BINUNICODE, memo by MEMOIZE, globals by STACK_GLOBAL
  ustr(s: string) {
    const b = Buffer.from(s, 'utf8');
    return this.op(0x8c, Buffer.from([b.length]), b).memoize();
  }
  memoize() {
    this.memo++;
    return this.op(0x94);
  }
  stackGlobal(module: string, name: string) {
    return this.ustr(module).ustr(name).op(0x93).memoize();
  }
  frame(n: number) {
    return this.op(0x95, u64(n));
  }
  bytes() {
    return Buffer.concat(this.parts);
  }
  memoOf(): number {
    return this.memo;
  }
}

/** torch._utils._rebuild_tensor_v2(persistent storage, offset, size, stride, requires_grad, hooks) as torch.save pickles it. */
function tensor(p: Pickle, key: string, shape: number[], orderedDictMemo: number, legacy = false): Pickle {
  p.global('torch._utils', '_rebuild_tensor_v2');
  p.mark()
    .mark()
    .str('storage')
    .global('torch', 'FloatStorage')
    .str(key)
    .str('cpu')
    .int(shape.reduce((a, b) => a * b, 1));
  if (legacy) p.none();
  p.tuple().binpersid();
  p.int(0);
  if (shape.length === 1) p.int(shape[0]!).tuple1().int(1).tuple1();
  else p.int(shape[0]!).int(shape[1]!).tuple2().int(shape[1]!).int(1).tuple2();
  p.false().get(orderedDictMemo).emptyTuple().reduce();
  return p.tuple().reduce();
}

/** torch.save(model.state_dict()): an OrderedDict of two tensors, with its _metadata. */
function stateDictPickle(legacy = false): Buffer {
  const p = new Pickle().proto();
  const od = p.memoOf();
  p.global('collections', 'OrderedDict').emptyTuple().reduce();
  p.mark().str('fc.weight');
  tensor(p, legacy ? '94001' : '0', [2, 2], od, legacy);
  p.str('fc.bias');
  tensor(p, legacy ? '94002' : '1', [2], od, legacy);
  p.setitems();
  // state = {'_metadata': OrderedDict([('', {'version': 1}), ('fc', {'version': 1})])}
  p.emptyDict().str('_metadata').get(od).emptyTuple().reduce();
  p.mark().str('').emptyDict().str('version').int(1).setitem().str('fc').emptyDict().str('version').int(1).setitem().setitems();
  p.setitem().build();
  return p.stop().bytes();
}

/** torch.save(model) of `class Net(nn.Module)` in __main__ holding one nn.Linear. */
function fullModelPickle(): Buffer {
  const p = new Pickle().proto();
  p.global('__main__', 'Net').emptyTuple().newobj();
  p.emptyDict().mark().str('training').true();
  const od = p.memoOf();
  p.str('_parameters').global('collections', 'OrderedDict').emptyTuple().reduce();
  p.str('_buffers')
    .get(od + 1)
    .emptyTuple()
    .reduce();
  p.str('_modules')
    .get(od + 1)
    .emptyTuple()
    .reduce();
  p.mark().str('fc').global('torch.nn.modules.linear', 'Linear').emptyTuple().newobj();
  p.emptyDict()
    .mark()
    .str('training')
    .true()
    .str('_parameters')
    .get(od + 1)
    .emptyTuple()
    .reduce();
  p.mark().str('weight').global('torch._utils', '_rebuild_parameter').mark();
  tensor(p, '0', [2, 2], od + 1);
  p.true()
    .get(od + 1)
    .emptyTuple()
    .reduce()
    .tuple()
    .reduce();
  p.setitems();
  p.str('in_features').int(2).str('out_features').int(2).setitems().build();
  p.setitems();
  p.setitems().build();
  return p.stop().bytes();
}

/** torch.save(model, pickle_protocol=4): the same classes, imported with STACK_GLOBAL inside a FRAME. */
function fullModelPickle4(): Buffer {
  const body = new Pickle();
  body.stackGlobal('__main__', 'Net').emptyTuple().op(0x81).memoize().op(0x7d).memoize().mark().ustr('training').true();
  body.ustr('_modules').stackGlobal('collections', 'OrderedDict').emptyTuple().op(0x52).memoize();
  body.mark().ustr('fc').stackGlobal('torch.nn.modules.linear', 'Linear').emptyTuple().op(0x81).memoize();
  body.op(0x7d).memoize().mark().ustr('in_features').int(4).setitems().build().setitems();
  body.setitems().build().stop();
  const pickled = body.bytes();
  return Buffer.concat([new Pickle().proto(4).frame(pickled.length).bytes(), pickled]);
}

/** The data.pkl of torch.jit.save: the scripted module as a __torch__ class. */
function torchScriptPickle(): Buffer {
  const p = new Pickle().proto();
  p.global('__torch__', 'Net').emptyTuple().newobj().emptyDict().mark().str('training').false();
  p.str('fc').global('__torch__.torch.nn.modules.linear', 'Linear').emptyTuple().newobj().emptyDict().mark().str('training').false();
  p.str('weight');
  p.global('torch._utils', '_rebuild_tensor_v2').mark().mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(4).tuple().binpersid();
  p.int(0).int(2).int(2).tuple2().int(2).int(1).tuple2().false().global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
  p.setitems().build().setitems().build();
  return p.stop().bytes();
}

const FLOATS = (n: number) => Buffer.alloc(4 * n, 0x3f);

/** The members of a torch.save zip (torch ≥ 2.1 layout) around a given data.pkl. */
function torchSaveZip(dataPkl: Buffer, tensors: number): Buffer {
  const members: ZipMember[] = [
    { name: 'archive/data.pkl', data: dataPkl },
    { name: 'archive/.format_version', data: '1' },
    { name: 'archive/.storage_alignment', data: '64' },
    { name: 'archive/byteorder', data: 'little' },
  ];
  for (let i = 0; i < tensors; i++) members.push({ name: `archive/data/${i}`, data: FLOATS(4) });
  members.push({ name: 'archive/version', data: '3\n' }, { name: 'archive/.data/serialization_id', data: '1234567890123456789012345678901234567890' });
  return makeZip(members, { align: 64, zip64: true });
}

/** A legacy (torch < 1.6, _use_new_zipfile_serialization=False) torch.save file of a state dict. */
function legacyTorchFile(): Buffer {
  const magic = new Pickle().proto().long1([0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]).stop().bytes();
  const protocolVersion = new Pickle().proto().int(1001).stop().bytes();
  const sysInfo = new Pickle()
    .proto()
    .emptyDict()
    .mark()
    .str('protocol_version')
    .int(1001)
    .str('little_endian')
    .true()
    .str('type_sizes')
    .emptyDict()
    .mark()
    .str('short')
    .int(2)
    .str('int')
    .int(4)
    .str('long')
    .int(4)
    .setitems()
    .setitems()
    .stop()
    .bytes();
  const keys = new Pickle().proto().emptyList().mark().str('94001').str('94002').appends().stop().bytes();
  const storages = Buffer.concat([u64(4), FLOATS(4), u64(2), FLOATS(2)]);
  return Buffer.concat([magic, protocolVersion, sysInfo, stateDictPickle(true), keys, storages]);
}

/** A safetensors file: JSON header padded with spaces to 8 bytes, then the data. */
function safetensors(header: Record<string, unknown>, data: Buffer): Buffer {
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  return Buffer.concat([u64(Buffer.byteLength(json)), Buffer.from(json, 'utf8'), data]);
}

const TWO_TENSORS = {
  __metadata__: { format: 'pt' },
  'embed.weight': { dtype: 'F16', shape: [2, 3], data_offsets: [0, 12] },
  'head.weight': { dtype: 'F32', shape: [4], data_offsets: [12, 28] },
};

/** A GGUF string: its length (u64 since v2, u32 in v1), then UTF-8. */
const ggufStr = (s: string, version = 3) => Buffer.concat([version >= 2 ? u64(Buffer.byteLength(s)) : u32(Buffer.byteLength(s)), Buffer.from(s, 'utf8')]);

/** A GGUF metadata entry: key, value type, value. */
const ggufKv = (key: string, type: number, value: Buffer, version = 3) => Buffer.concat([ggufStr(key, version), u32(type), value]);

/** A GGUF header with these metadata entries and no tensors. */
function ggufHeader(kv: Buffer[], version = 3): Buffer {
  const counts = version >= 2 ? Buffer.concat([u64(0), u64(kv.length)]) : Buffer.concat([u32(0), u32(kv.length)]);
  return Buffer.concat([Buffer.from('GGUF'), u32(version), counts, ...kv]);
}

/** GGUF v3: header, metadata, tensor infos, then the data aligned to 32. */
function gguf(): Buffer {
  const str = (s: string) => ggufStr(s);
  const kv = [
    ggufKv('general.architecture', 8, str('llama')),
    ggufKv('general.name', 8, str('tiny-llama')),
    ggufKv('llama.context_length', 4, u32(2048)),
    ggufKv('general.file_type', 4, u32(0)),
    ggufKv('tokenizer.ggml.tokens', 9, Buffer.concat([u32(8), u64(3), str('<s>'), str('</s>'), str('hi')])),
  ];
  const tensorInfos = [
    Buffer.concat([str('token_embd.weight'), u32(2), u64(4), u64(2), u32(0), u64(0)]),
    Buffer.concat([str('output_norm.weight'), u32(1), u64(4), u32(0), u64(32)]),
  ];
  const header = Buffer.concat([Buffer.from('GGUF'), u32(3), u64(tensorInfos.length), u64(kv.length), ...kv, ...tensorInfos]);
  const pad = Buffer.alloc((32 - (header.length % 32)) % 32);
  return Buffer.concat([header, pad, FLOATS(8), FLOATS(4)]);
}

/** Protobuf: a varint, a tagged field. */
function varint(v: number): Buffer {
  const out: number[] = [];
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
  return Buffer.from(out);
}
const pbVarint = (field: number, v: number) => Buffer.concat([varint(field * 8), varint(v)]);
const pbBytes = (field: number, v: string | Buffer) => {
  const b = Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8');
  return Buffer.concat([varint(field * 8 + 2), varint(b.length), b]);
};

/** An ONNX ModelProto: y = Relu(x), as torch.onnx.export lays out the fields. */
function onnxModel(irVersion = 8): Buffer {
  const valueInfo = (name: string) => pbBytes(1, name);
  const node = Buffer.concat([pbBytes(1, 'x'), pbBytes(2, 'y'), pbBytes(3, '/Relu'), pbBytes(4, 'Relu')]);
  const graph = Buffer.concat([pbBytes(1, node), pbBytes(2, 'main_graph'), pbBytes(11, valueInfo('x')), pbBytes(12, valueInfo('y'))]);
  return Buffer.concat([pbVarint(1, irVersion), pbBytes(2, 'pytorch'), pbBytes(3, '2.1.0'), pbBytes(7, graph), pbBytes(8, pbVarint(2, 17))]);
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** An HDF5 version 1 attribute message holding a fixed-length string, as h5py writes Keras 2's byte-string attributes. */
function hdf5Attribute(name: string, value: string): Buffer {
  const pad8 = (b: Buffer) => Buffer.concat([b, Buffer.alloc((8 - (b.length % 8)) % 8)]);
  const nameBytes = Buffer.from(name + '\0', 'latin1');
  const data = Buffer.from(value, 'utf8');
  const datatype = Buffer.concat([Buffer.from([0x13, 0, 0, 0]), u32(data.length)]);
  const dataspace = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([Buffer.from([1, 0]), u16(nameBytes.length), u16(datatype.length), u16(dataspace.length), pad8(nameBytes), datatype, dataspace, data]);
}

/** An HDF5-like file: a user block, the signature and a version 0 superblock, then root attributes. */
function hdf5Like(attributes: [string, string][], userblock = 0, more: Buffer[] = []): Buffer {
  const superblock = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 8, 8, 0]), u16(4), u16(16), u32(0), Buffer.alloc(32, 0xff)]);
  return Buffer.concat([
    Buffer.alloc(userblock),
    HDF5_SIGNATURE,
    superblock,
    Buffer.alloc(200),
    ...attributes.map(([n, v]) => hdf5Attribute(n, v)),
    ...more,
    Buffer.alloc(4096),
  ]);
}

/** A global heap collection (GCOL) of strings, where h5py keeps variable-length str attributes. */
function globalHeap(strings: string[]): Buffer {
  const objects = strings.map((t, i) => {
    const data = Buffer.from(t, 'utf8');
    return Buffer.concat([u16(i + 1), u16(1), u32(0), u64(data.length), data, Buffer.alloc((8 - (data.length % 8)) % 8)]);
  });
  const free = Buffer.concat([u16(0), u16(0), u32(0), u64(64), Buffer.alloc(48)]);
  const body = Buffer.concat([...objects, free]);
  return Buffer.concat([Buffer.from('GCOL'), Buffer.from([1, 0, 0, 0]), u64(16 + body.length), body]);
}

/** A version 0 local heap ("HEAP") of link names, as the root group's symbol table has. */
function localHeap(names: string[]): Buffer {
  const data = Buffer.concat([
    Buffer.alloc(8),
    ...names.map((n) => {
      const b = Buffer.from(n + '\0');
      return Buffer.concat([b, Buffer.alloc((8 - (b.length % 8)) % 8)]);
    }),
  ]);
  return Buffer.concat([Buffer.from('HEAP'), Buffer.from([0, 0, 0, 0]), u64(data.length), u64(0xffffffffffffffffn), u64(0), data]);
}

const KERAS2_CONFIG = JSON.stringify({ class_name: 'Sequential', config: { name: 'sequential', layers: [{ class_name: 'Dense', config: { units: 2 } }] } });

// ---------------------------------------------------------------- helpers

function writeFile(name: string, content: string | Buffer): string {
  return path.join(makeModel({ [name]: content }), name);
}

async function detect(name: string, content: string | Buffer, options?: Parameters<typeof detectModelFormat>[1]): Promise<ModelFormat> {
  return detectModelFormat(writeFile(name, content), options);
}

async function rejectsWithCode(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isModelSigningError(e), `expected a ModelSigningError, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  });
}

/** Counts the bytes read through fs.promises file handles while `fn` runs. */
async function countingReads<T>(fn: () => Promise<T>): Promise<{ result: T; bytes: number; reads: number }> {
  const promises = fs.promises as { open: typeof fs.promises.open };
  const original = promises.open;
  let bytes = 0;
  let reads = 0;
  promises.open = async (...args: Parameters<typeof fs.promises.open>) => {
    const handle = await original(...args);
    const read = handle.read.bind(handle) as (...a: unknown[]) => Promise<fs.promises.FileReadResult<Buffer>>;
    (handle as { read: unknown }).read = async (...a: unknown[]) => {
      const r = await read(...a);
      bytes += r.bytesRead;
      reads++;
      return r;
    };
    return handle;
  };
  try {
    return { result: await fn(), bytes, reads };
  } finally {
    promises.open = original;
  }
}

// ---------------------------------------------------------------- tests

describe('Keras v3', () => {
  const kerasMembers: ZipMember[] = [
    { name: 'metadata.json', data: JSON.stringify({ keras_version: '3.3.3', date_saved: '2024-05-01@12:00:00' }) },
    {
      name: 'config.json',
      data: JSON.stringify({ module: 'keras', class_name: 'Sequential', config: { name: 'my_model', layers: [] }, registered_name: null }),
      deflate: true,
    },
    { name: 'model.weights.h5', data: Buffer.concat([HDF5_SIGNATURE, Buffer.alloc(64)]) },
  ];
  const kerasFormat: ModelFormat = {
    kind: 'keras',
    label: 'Keras v3 (.keras)',
    facts: { keras_version: '3.3.3', date_saved: '2024-05-01@12:00:00', class_name: 'Sequential', name: 'my_model', weights: 'model.weights.h5' },
  };

  it('a .keras zip: metadata.json stored, config.json deflated, the weights member', async () => {
    assert.deepEqual(await detect('model.bin', makeZip(kerasMembers)), kerasFormat);
  });

  it('sizes and offsets in zip64 extra fields (members past 4 GiB) are read from there', async () => {
    assert.deepEqual(await detect('model.keras', makeZip(kerasMembers, { zip64: true, zip64Sizes: true })), kerasFormat);
  });

  it('a zip64 extra field too short for the values it stands for ends the directory: unknown', async () => {
    const cut = makeZip(kerasMembers, { zip64: true, zip64Sizes: true });
    // The central directory's offset, from the zip64 end record (56 bytes, before the 20-byte locator and 22-byte end record).
    const cdStart = Number(cut.readBigUInt64LE(cut.length - 22 - 20 - 56 + 48));
    // Shorten the first member's zip64 field from 24 to 8 bytes (its offset and compressed size then have no value).
    const at = cut.indexOf(Buffer.concat([u16(0x0001), u16(24)]), cdStart);
    assert.equal(at, cdStart + 46 + 'metadata.json'.length);
    cut.writeUInt16LE(8, at + 2);
    assert.equal((await detect('model.keras', cut)).kind, 'unknown');
  });

  it('a config.json cut at maxHeaderBytes is searched instead of parsed', async () => {
    const layers = Array.from({ length: 400 }, (_, i) => ({ class_name: 'Dense', config: { name: `dense_${i}`, units: 8 } }));
    const config = JSON.stringify({ module: 'keras', class_name: 'Functional', config: { name: 'big', layers } });
    assert.ok(config.length > 4096);
    const file = makeZip([
      { name: 'metadata.json', data: JSON.stringify({ keras_version: '3.6.0' }) },
      { name: 'config.json', data: config, deflate: true },
    ]);
    const f = await detect('m.keras', file, { maxHeaderBytes: 4096 });
    assert.equal(f.kind, 'keras');
    assert.equal(f.facts.class_name, 'Functional');
    assert.equal(f.facts.name, 'big');
    assert.equal(f.facts.keras_version, '3.6.0');
  });
});

describe('HDF5', () => {
  it('a Keras 2 full model: model_config and training_config among the root attribute names', async () => {
    const f = await detect(
      'weights.bin',
      hdf5Like([
        ['backend', 'tensorflow'],
        ['keras_version', '2.15.0'],
        ['model_config', KERAS2_CONFIG],
        ['training_config', '{"loss": "mse"}'],
      ]),
    );
    assert.equal(f.kind, 'hdf5-model');
    assert.equal(f.label, 'Keras HDF5 model (.h5)');
    assert.deepEqual(f.facts, {
      superblock_version: 0,
      attributes_seen: 'model_config, training_config, keras_version, backend',
      keras_version: '2.15.0',
      backend: 'tensorflow',
      class_name: 'Sequential',
    });
  });

  it('a weights-only file behind a 512-byte user block: layer_names, weight_names', async () => {
    const f = await detect(
      'model.h5',
      hdf5Like(
        [
          ['backend', 'tensorflow'],
          ['keras_version', '2.15.0'],
          ['layer_names', 'dense\0dense_1'],
          ['weight_names', 'dense/kernel:0'],
        ],
        512,
      ),
    );
    assert.equal(f.kind, 'hdf5-weights');
    assert.equal(f.facts.userblock_bytes, 512);
    assert.equal(f.facts.attributes_seen, 'keras_version, backend, layer_names, weight_names');
    assert.equal(f.facts.layout, 'keras 2 (legacy)');
  });

  it("Keras 3's legacy .h5 save: str attributes kept in a global heap collection", async () => {
    // Variable-length strings: the attribute holds a heap reference (here 16 opaque bytes), the text lives in the GCOL.
    const ref = '\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10';
    const f = await detect(
      'model.h5',
      hdf5Like(
        [
          ['keras_version', ref],
          ['backend', ref],
          ['model_config', ref],
          ['training_config', ref],
        ],
        0,
        [globalHeap(['3.15.1', 'torch', KERAS2_CONFIG, '{"loss": "mse"}'])],
      ),
    );
    assert.equal(f.kind, 'hdf5-model');
    assert.equal(f.facts.keras_version, '3.15.1');
    assert.equal(f.facts.backend, 'torch');
    assert.equal(f.facts.class_name, 'Sequential');
  });

  it("Keras 3's own weights file: top-level groups layers/ and vars/", async () => {
    const f = await detect('model.weights.h5', hdf5Like([['name', 'my_model']], 0, [localHeap(['vars', 'layers', 'optimizer'])]));
    assert.equal(f.kind, 'hdf5-weights');
    assert.equal(f.facts.layout, 'keras 3');
  });

  it('an HDF5 file without Keras attributes is unknown, with the container named', async () => {
    const f = await detect('model.h5', hdf5Like([['title', 'measurements']]));
    assert.equal(f.kind, 'unknown');
    assert.equal(f.facts.container, 'hdf5');
  });
});

describe('PyTorch', () => {
  it('torch.save of a state dict: a zip with data.pkl importing only OrderedDict and tensor rebuilds', async () => {
    const f = await detect('model.ckpt', torchSaveZip(stateDictPickle(), 2));
    assert.deepEqual(f, {
      kind: 'pytorch-state-dict',
      label: 'PyTorch state dict',
      facts: { archive: 'archive', version: 3, tensors: 2, root: 'collections.OrderedDict', pickle_globals: 3 },
    });
  });

  it('torch.save of a whole model: data.pkl imports __main__.Net and torch.nn.modules.linear.Linear', async () => {
    const f = await detect('model.pt', torchSaveZip(fullModelPickle(), 1));
    assert.equal(f.kind, 'pytorch-full-model');
    assert.equal(f.label, 'PyTorch pickled model');
    assert.equal(f.facts.model_class, '__main__.Net');
    assert.equal(f.facts.tensors, 1);
  });

  it('a whole model from a package of its own is still found by its torch.nn layers', async () => {
    const pkl = fullModelPickle().toString('latin1').replace('c__main__\nNet\n', 'cmypkg.models\nNet\n');
    const f = await detect('model.pt', torchSaveZip(Buffer.from(pkl, 'latin1'), 1));
    assert.equal(f.kind, 'pytorch-full-model');
    assert.equal(f.facts.model_class, 'mypkg.models.Net');
  });

  it('a whole model pickled with protocol 4: STACK_GLOBAL imports are followed too', async () => {
    const f = await detect('model.pt', torchSaveZip(fullModelPickle4(), 0));
    assert.equal(f.kind, 'pytorch-full-model');
    assert.equal(f.facts.model_class, '__main__.Net');
    assert.equal(f.facts.pickle_globals, 3);
  });

  it('torch.jit.save: code/ and constants.pkl make it TorchScript', async () => {
    const file = makeZip(
      [
        { name: 'net/data.pkl', data: torchScriptPickle() },
        { name: 'net/code/__torch__.py', data: 'class Net(Module):\n  __parameters__ = []\n' },
        { name: 'net/code/__torch__.py.debug_pkl', data: new Pickle().proto().emptyTuple().stop().bytes() },
        { name: 'net/code/__torch__/torch/nn/modules/linear.py', data: 'class Linear(Module):\n  pass\n' },
        { name: 'net/constants.pkl', data: new Pickle().proto().emptyTuple().stop().bytes() },
        { name: 'net/data/0', data: FLOATS(4) },
        { name: 'net/version', data: '6\n' },
        { name: 'net/.data/version', data: '6\n' },
      ],
      { align: 64, zip64: true },
    );
    const f = await detect('model.onnx', file);
    assert.deepEqual(f, {
      kind: 'torchscript',
      label: 'TorchScript',
      facts: { archive: 'net', version: 6, tensors: 1, code_files: 2, model_class: '__torch__.Net' },
    });
  });

  it('a legacy (pre-zip) torch.save pickle, recognised by the magic number in its first pickle', async () => {
    const f = await detect('model.bin', legacyTorchFile());
    assert.equal(f.kind, 'pytorch-state-dict');
    assert.equal(f.label, 'PyTorch state dict (legacy)');
    assert.equal(f.facts.serialization, 'legacy');
    assert.equal(f.facts.root, 'collections.OrderedDict');
  });

  it('a zip with data.pkl but no version record is not a torch file', async () => {
    const f = await detect('model.pt', makeZip([{ name: 'archive/data.pkl', data: stateDictPickle() }]));
    assert.equal(f.kind, 'unknown');
    assert.equal(f.facts.container, 'zip');
  });
});

describe('safetensors', () => {
  it('two tensors, F16 and F32, with their data: count, dtypes, parameters, metadata', async () => {
    const f = await detect('weights.bin', safetensors(TWO_TENSORS, Buffer.alloc(28, 1)));
    assert.equal(f.kind, 'safetensors');
    assert.equal(f.label, 'safetensors');
    assert.equal(f.facts.tensors, 2);
    assert.equal(f.facts.dtypes, 'F16, F32');
    assert.equal(f.facts.parameters, 10);
    assert.equal(f.facts.metadata_format, 'pt');
    assert.equal(typeof f.facts.header_bytes, 'number');
  });

  it('a header over maxHeaderBytes is judged by its start and not parsed', async () => {
    const header: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) header[`layer.${i}.weight`] = { dtype: 'F32', shape: [1], data_offsets: [4 * i, 4 * i + 4] };
    const f = await detect('w.safetensors', safetensors(header, Buffer.alloc(400)), { maxHeaderBytes: 4096 });
    assert.equal(f.kind, 'safetensors');
    assert.equal(f.facts.tensors, undefined);
    assert.ok(Number(f.facts.header_bytes) > 4096);
  });

  it('data offsets past the end of the file are not safetensors', async () => {
    const f = await detect('w.safetensors', safetensors(TWO_TENSORS, Buffer.alloc(20)));
    assert.equal(f.kind, 'unknown');
  });
});

describe('GGUF', () => {
  it('v3 with general.architecture = llama among the first metadata entries', async () => {
    const f = await detect('model.safetensors', gguf());
    assert.deepEqual(f, {
      kind: 'gguf',
      label: 'GGUF',
      facts: { version: 3, tensors: 2, metadata_entries: 5, architecture: 'llama', name: 'tiny-llama', context_length: 2048, file_type: 0 },
    });
  });

  it('arrays of numbers (token types, scores) are stepped over to the entries after them', async () => {
    const i32s = Buffer.concat([1, 3, 3].map((v) => u32(v)));
    const file = ggufHeader([
      ggufKv('general.architecture', 8, ggufStr('llama')),
      ggufKv('tokenizer.ggml.token_type', 9, Buffer.concat([u32(5), u64(3), i32s])),
      ggufKv('tokenizer.ggml.scores', 9, Buffer.concat([u32(6), u64(2), Buffer.alloc(8)])),
      ggufKv('general.name', 8, ggufStr('after-arrays')),
    ]);
    assert.deepEqual((await detect('model.gguf', file)).facts, { version: 3, tensors: 0, metadata_entries: 4, architecture: 'llama', name: 'after-arrays' });
  });

  it('a context length and file type of any numeric type are shown; 64-bit values past 2^53 are not', async () => {
    const b = (n: number, write: (buf: Buffer) => void) => {
      const buf = Buffer.alloc(n);
      write(buf);
      return buf;
    };
    const cases: [type: number, value: Buffer, shown: number | undefined][] = [
      [0, b(1, (x) => x.writeUInt8(200)), 200],
      [1, b(1, (x) => x.writeInt8(-5)), -5],
      [2, b(2, (x) => x.writeUInt16LE(4096)), 4096],
      [3, b(2, (x) => x.writeInt16LE(-300)), -300],
      [5, b(4, (x) => x.writeInt32LE(-70000)), -70000],
      [6, b(4, (x) => x.writeFloatLE(0.5)), 0.5],
      [7, b(1, (x) => x.writeUInt8(1)), 1],
      [10, u64(2 ** 40), 2 ** 40],
      [10, u64(2n ** 60n), undefined],
      [11, b(8, (x) => x.writeBigInt64LE(-(2n ** 40n))), -(2 ** 40)],
      [11, b(8, (x) => x.writeBigInt64LE(-(2n ** 60n))), undefined],
      [12, b(8, (x) => x.writeDoubleLE(1.25)), 1.25],
    ];
    for (const [type, value, shown] of cases) {
      const file = ggufHeader([
        ggufKv('general.architecture', 8, ggufStr('phi3')),
        ggufKv('phi3.context_length', type, value),
        ggufKv('general.file_type', type, value),
      ]);
      const { facts } = await detect('model.gguf', file);
      assert.equal(facts.context_length, shown, `type ${type}`);
      assert.equal(facts.file_type, shown, `type ${type}`);
    }
  });

  it('a value of an unknown type ends the walk: the entries after it are not read', async () => {
    const file = ggufHeader([
      ggufKv('general.architecture', 8, ggufStr('llama')),
      ggufKv('general.future', 13, u64(0)),
      ggufKv('general.name', 8, ggufStr('unread')),
    ]);
    assert.deepEqual((await detect('model.gguf', file)).facts, { version: 3, tensors: 0, metadata_entries: 3, architecture: 'llama' });
  });

  it('GGUF v1: u32 counts and string lengths', async () => {
    const file = ggufHeader([ggufKv('general.architecture', 8, ggufStr('llama', 1), 1), ggufKv('general.name', 8, ggufStr('old', 1), 1)], 1);
    assert.deepEqual(await detect('model.gguf', file), {
      kind: 'gguf',
      label: 'GGUF',
      facts: { version: 1, tensors: 0, metadata_entries: 2, architecture: 'llama', name: 'old' },
    });
  });

  it('a GGUF cut after its magic is unknown', async () => {
    assert.equal((await detect('model.gguf', gguf().subarray(0, 12))).kind, 'unknown');
  });
});

describe('ONNX', () => {
  it('a ModelProto: ir_version, producer, opset; the graph is stepped over', async () => {
    const f = await detect('model.pb', onnxModel());
    assert.deepEqual(f, { kind: 'onnx', label: 'ONNX', facts: { ir_version: 8, producer_name: 'pytorch', producer_version: '2.1.0', opset: 17 } });
  });

  it('an implausible ir_version, or bytes that stop being protobuf, are unknown', async () => {
    assert.equal((await detect('model.onnx', onnxModel(14))).facts.ir_version, 14); // ONNX 1.23
    assert.equal((await detect('model.onnx', onnxModel(99))).kind, 'unknown');
    assert.equal(
      (await detect('model.onnx', Buffer.concat([Buffer.from([0x08, 0x07, 0x12, 0x07]), Buffer.from('pytorch'), Buffer.from([0x3f, 0xff, 0xff])]))).kind,
      'unknown',
    );
    assert.equal((await detect('model.onnx', onnxModel().subarray(0, 30))).kind, 'unknown');
  });
});

describe('not a model, or not readable', () => {
  it('a text file named model.safetensors is unknown: content, not name', async () => {
    assert.deepEqual(await detect('model.safetensors', 'This is not a model at all, just some text.\n'), { kind: 'unknown', label: 'Unknown', facts: {} });
  });

  it('a safetensors header cut short is unknown', async () => {
    const whole = safetensors(TWO_TENSORS, Buffer.alloc(28));
    assert.equal((await detect('model.safetensors', whole.subarray(0, 40))).kind, 'unknown');
  });

  it('a huge claimed header length is unknown, without trying to read it', async () => {
    const file = Buffer.concat([u64(0xfffffffffff0n), Buffer.from('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'), Buffer.alloc(4)]);
    const { result, bytes } = await countingReads(() => detect('model.safetensors', file));
    assert.equal(result.kind, 'unknown');
    assert.ok(bytes <= file.length);
  });

  it('a zip that is neither Keras nor PyTorch is unknown', async () => {
    const f = await detect(
      'model.keras',
      makeZip([
        { name: 'README.txt', data: 'hello' },
        { name: 'config.json', data: '{}' },
        { name: 'metadata.json', data: '{}', deflate: true },
      ]),
    );
    assert.deepEqual(f, { kind: 'unknown', label: 'Zip archive', facts: { container: 'zip', members: 3 } });
  });

  it('a truncated zip is unknown', async () => {
    const zip = torchSaveZip(stateDictPickle(), 2);
    assert.equal((await detect('model.pt', zip.subarray(0, zip.length - 30))).kind, 'unknown');
  });

  it('an empty file is unknown', async () => {
    const f = await detect('model.gguf', Buffer.alloc(0));
    assert.equal(f.kind, 'unknown');
    assert.equal(f.label, 'Empty file');
  });

  it('a missing file or a folder is FILE_READ_ERROR; a fired signal is CANCELLED; a silly limit is INVALID_OPTION', async () => {
    const dir = tempDir();
    await rejectsWithCode(detectModelFormat(path.join(dir, 'nope.safetensors')), 'FILE_READ_ERROR');
    await rejectsWithCode(detectModelFormat(dir), 'FILE_READ_ERROR');
    const file = writeFile('m.gguf', gguf());
    await rejectsWithCode(detectModelFormat(file, { signal: AbortSignal.abort() }), 'CANCELLED');
    await rejectsWithCode(detectModelFormat(file, { maxHeaderBytes: 10 }), 'INVALID_OPTION');
  });
});

describe('reading only what is needed', () => {
  it('a 256 MiB sparse file named .gguf that is not GGUF: only a small prefix is read', async () => {
    const file = path.join(tempDir(), 'model.gguf');
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, Buffer.from('NOT GGUF'), 0, 8, 0);
    fs.ftruncateSync(fd, 256 * 1024 * 1024);
    fs.closeSync(fd);
    await detectModelFormat(writeFile('warm.txt', 'x')); // load the code paths once
    const { result, bytes } = await countingReads(() => detectModelFormat(file));
    assert.equal(result.kind, 'unknown');
    // The 64 KiB head, and one 8-byte probe for an HDF5 signature behind a 64 KiB user block.
    assert.ok(bytes <= 64 * 1024 + 8, `read ${bytes} bytes`);
  });

  it('a 256 MiB safetensors (sparse data) is described from its header alone', async () => {
    const file = path.join(tempDir(), 'big');
    const n = 64 * 1024 * 1024;
    const head = safetensors({ w: { dtype: 'F32', shape: [8192, 8192], data_offsets: [0, 4 * n] } }, Buffer.alloc(0));
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, head, 0, head.length, 0);
    fs.ftruncateSync(fd, head.length + 4 * n);
    fs.closeSync(fd);
    const { result, bytes } = await countingReads(() => detectModelFormat(file));
    assert.equal(result.kind, 'safetensors');
    assert.equal(result.facts.parameters, n);
    assert.ok(bytes <= 64 * 1024, `read ${bytes} bytes`);
  });
});
