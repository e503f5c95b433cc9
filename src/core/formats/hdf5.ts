// HDF5 files, and the legacy Keras `.h5` full model vs weights-only file.
//
// An HDF5 file starts with the 8-byte format signature at offset 0, or after a
// user block at 512, 1024, 2048, … (a power of two of at least 512).
//
// Telling a Keras full model from a weights file properly means walking HDF5's
// object headers to the root group's attributes. That is too much parsing for a
// label, so this is a HEURISTIC ON THE ROOT GROUP'S ATTRIBUTE NAMES: Keras 2
// writes the root attributes first, near the start of the file, with their names
// in ASCII, so we look for those names in the first bytes after the signature:
//  - a full model (`model.save('m.h5')`) has `model_config` (and `training_config`
//    once compiled), besides `keras_version` and `backend`;
//  - a weights file (`model.save_weights('m.weights.h5')`) has `layer_names`
//    (each layer group has `weight_names`), besides `keras_version` and `backend`.
// A file that shows `keras_version` alone is taken for a model. Keras 3's own
// weights file (`model.save_weights('m.weights.h5')`) has no such attributes but
// top-level groups named `layers` and `vars`, whose names sit NUL-terminated in
// the root group's local heap: that too counts as weights. A file with none of
// these is a plain HDF5 file ('unknown' with container facts). Attributes moved
// to dense storage (over 64 KiB), or written past the scanned prefix, are missed.
//
// The values shown (keras_version, backend, the model's class_name) are found
// inline after the attribute name when Keras wrote them as fixed-length byte
// strings (tf.keras 2), or else among the strings of the first global heap
// collections (GCOL), where h5py puts variable-length str attributes (Keras 3's
// legacy .h5 saving).
import type { DetectContext, ModelFormat } from './types';

export const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** User-block sizes checked for the signature beyond offset 0 (512 B … 64 KiB). */
const MAX_USERBLOCK = 64 * 1024;

const MODEL_NAMES = ['model_config', 'training_config'] as const;
const WEIGHT_NAMES = ['layer_names', 'weight_names'] as const;
const ALL_NAMES = ['model_config', 'training_config', 'keras_version', 'backend', 'layer_names', 'weight_names'] as const;

/** Where the HDF5 signature is, or -1. */
export async function findHdf5Signature(ctx: DetectContext): Promise<number> {
  if (startsWith(ctx.head, 0)) return 0;
  for (let at = 512; at <= MAX_USERBLOCK && at + HDF5_SIGNATURE.length <= ctx.source.size; at *= 2) {
    const bytes =
      at + HDF5_SIGNATURE.length <= ctx.head.length ? ctx.head.subarray(at, at + HDF5_SIGNATURE.length) : await ctx.source.read(at, HDF5_SIGNATURE.length);
    if (bytes.equals(HDF5_SIGNATURE)) return at;
  }
  return -1;
}

export async function detectHdf5(ctx: DetectContext): Promise<ModelFormat | undefined> {
  const at = await findHdf5Signature(ctx);
  if (at < 0) return undefined;
  const scan = at === 0 && ctx.head.length >= Math.min(ctx.scanBytes, ctx.source.size) ? ctx.head : await ctx.source.read(at, ctx.scanBytes);

  const facts: Record<string, string | number> = {};
  const superblock = scan[HDF5_SIGNATURE.length];
  if (superblock !== undefined) facts.superblock_version = superblock;
  if (at > 0) facts.userblock_bytes = at;

  const seen = ALL_NAMES.filter((n) => findName(scan, n) >= 0);
  if (seen.length > 0) facts.attributes_seen = seen.join(', ');
  const heapStrings = globalHeapStrings(scan, superblock);
  // Fixed-length byte strings sit inline just after the attribute name; variable-length ones in a global heap.
  const version = valueAfter(scan, 'keras_version', VERSION) ?? heapStrings.find((t) => VERSION_ONLY.test(t));
  if (version) facts.keras_version = version;
  const backend = valueAfter(scan, 'backend', BACKEND) ?? heapStrings.find((t) => BACKEND_ONLY.test(t));
  if (backend) facts.backend = backend;
  const className = valueAfter(scan, 'model_config', CLASS_NAME, 1) ?? heapStrings.map((t) => CLASS_NAME_FIRST.exec(t)?.[1]).find((c) => c !== undefined);
  if (className && seen.includes('model_config')) facts.class_name = className;

  const has = (n: string) => seen.includes(n as (typeof ALL_NAMES)[number]);
  if (MODEL_NAMES.some(has)) return { kind: 'hdf5-model', label: 'Keras HDF5 model (.h5)', facts };
  if (WEIGHT_NAMES.some(has)) return { kind: 'hdf5-weights', label: 'Keras HDF5 weights (.weights.h5)', facts: { ...facts, layout: 'keras 2 (legacy)' } };
  if (has('keras_version')) return { kind: 'hdf5-model', label: 'Keras HDF5 model (.h5)', facts };
  if (findName(scan, 'layers') >= 0 && findName(scan, 'vars') >= 0) {
    return { kind: 'hdf5-weights', label: 'Keras HDF5 weights (.weights.h5)', facts: { ...facts, layout: 'keras 3' } };
  }
  return { kind: 'unknown', label: 'HDF5', facts: { container: 'hdf5', ...facts } };
}

const VERSION = /\d+\.\d+(?:\.\d+)?(?:[-+.][0-9A-Za-z]+)*/;
const VERSION_ONLY = /^\d+\.\d+(?:\.\d+)?(?:[-+.][0-9A-Za-z]+)*$/;
const BACKEND = /tensorflow|theano|cntk|jax|torch|numpy|openvino/;
const BACKEND_ONLY = /^(?:tensorflow|theano|cntk|jax|torch|numpy|openvino)$/;
const CLASS_NAME = /\{\s*"class_name"\s*:\s*"([A-Za-z_][\w.]*)"/;
const CLASS_NAME_FIRST = /^\{\s*"class_name"\s*:\s*"([A-Za-z_][\w.]*)"/;

/**
 * The leading text of the objects in the global heap collections found in the
 * buffer (at most 256 characters each): "GCOL", version 1, 3 reserved bytes,
 * the collection size, then objects of index (u16), reference count (u16),
 * 4 reserved bytes, size, and data padded to 8 bytes; index 0 is the free space.
 */
function globalHeapStrings(buf: Buffer, superblockVersion: number | undefined): string[] {
  // Size of lengths: byte 14 of a version 0/1 superblock, byte 10 of version 2/3 (8 from h5py).
  const sizeAt = superblockVersion === undefined ? -1 : superblockVersion <= 1 ? 14 : 10;
  const lengthSize = sizeAt >= 0 && buf[sizeAt] !== undefined && [2, 4, 8].includes(buf[sizeAt]) ? buf[sizeAt] : 8;
  const readLength = (p: number): number => (lengthSize === 8 ? Number(buf.readBigUInt64LE(p)) : lengthSize === 4 ? buf.readUInt32LE(p) : buf.readUInt16LE(p));
  const out: string[] = [];
  const magic = Buffer.from('GCOL', 'latin1');
  for (let at = buf.indexOf(magic); at >= 0 && out.length < 64; at = buf.indexOf(magic, at + 4)) {
    if (buf[at + 4] !== 1 || at + 8 + lengthSize > buf.length) continue;
    const end = Math.min(buf.length, at + readLength(at + 8));
    let p = at + 8 + lengthSize;
    while (p + 8 + lengthSize <= end && out.length < 64) {
      const index = buf.readUInt16LE(p);
      const size = readLength(p + 8);
      if (index === 0 || !Number.isSafeInteger(size) || size < 0) break;
      const data = p + 8 + lengthSize;
      out.push(buf.toString('utf8', data, Math.min(data + size, data + 256, buf.length)));
      p = data + Math.ceil(size / 8) * 8;
    }
  }
  return out;
}

function startsWith(buf: Buffer, at: number): boolean {
  return buf.length >= at + HDF5_SIGNATURE.length && buf.subarray(at, at + HDF5_SIGNATURE.length).equals(HDF5_SIGNATURE);
}

/** The offset of `name` as a whole NUL-terminated attribute name, or -1. */
function findName(buf: Buffer, name: string): number {
  const needle = Buffer.from(name + '\0', 'latin1');
  for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + 1)) {
    const before = i > 0 ? buf[i - 1]! : 0;
    // not the tail of a longer identifier
    if (!(before === 0x5f || (before >= 0x30 && before <= 0x39) || (before >= 0x41 && before <= 0x5a) || (before >= 0x61 && before <= 0x7a))) return i;
  }
  return -1;
}

/** The first match of `pattern` within a short window after the attribute name. */
function valueAfter(buf: Buffer, name: string, pattern: RegExp, group = 0): string | undefined {
  const i = findName(buf, name);
  if (i < 0) return undefined;
  const window = buf.toString('latin1', i + name.length + 1, Math.min(buf.length, i + name.length + 1 + 160));
  return pattern.exec(window)?.[group];
}
