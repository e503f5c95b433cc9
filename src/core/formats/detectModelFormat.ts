// Model format detection by content: magic numbers and container layout, never
// the file name. Each family lives in its own file; this runs them in turn over
// one open file, reading only headers, directories and small members — a few
// reads of at most `maxHeaderBytes` each, whatever the size of the model.
import { ModelSigningError, isModelSigningError } from '../errors';
import { detectGguf } from './gguf';
import { detectHdf5 } from './hdf5';
import { detectKeras } from './keras';
import { detectOnnx } from './onnx';
import { detectLegacyTorch, detectTorchZip } from './pytorch';
import { detectSafetensors } from './safetensors';
import { ByteSource } from './source';
import { unknown, type DetectContext, type Detector, type ModelFormat } from './types';
import { listZip } from './zip';

export type { ModelFormat, ModelFormatKind } from './types';

export interface DetectModelFormatOptions {
  signal?: AbortSignal;
  /**
   * The most bytes read for any one structure: a safetensors JSON header, a zip
   * central directory, a zip member such as a Keras config.json. Larger ones are
   * read in part or judged from their start. Default 16 MiB, at least 4 KiB.
   */
  maxHeaderBytes?: number;
}

export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024 * 1024;
/** The first bytes read from every file, enough for all the magic numbers. */
const HEAD_BYTES = 64 * 1024;
/** How far the heuristic scans look (HDF5 attribute names, the opcodes of a torch data.pkl). */
const SCAN_BYTES = 512 * 1024;

async function detectZip(ctx: DetectContext): Promise<ModelFormat | undefined> {
  const zip = await listZip(ctx);
  if (!zip) return undefined;
  return (
    (await detectKeras(ctx, zip)) ??
    (await detectTorchZip(ctx, zip)) ?? { kind: 'unknown', label: 'Zip archive', facts: { container: 'zip', members: zip.declared } }
  );
}

/** Tried in this order; the first to recognise the file wins. */
const DETECTORS: readonly Detector[] = [detectGguf, detectSafetensors, detectHdf5, detectZip, detectLegacyTorch, detectOnnx];

/**
 * What model format a file holds, found from its content. Never throws for an
 * unrecognised, truncated or malformed file ('unknown'); throws FILE_READ_ERROR
 * when the file cannot be opened or read (or is not a regular file), CANCELLED
 * when the signal fires, INVALID_OPTION for a bad maxHeaderBytes.
 */
export async function detectModelFormat(filePath: string, options: DetectModelFormatOptions = {}): Promise<ModelFormat> {
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(maxHeaderBytes) || maxHeaderBytes < 4096) {
    throw new ModelSigningError('INVALID_OPTION', `maxHeaderBytes must be an integer of at least 4096, not ${maxHeaderBytes}`, { option: 'maxHeaderBytes' });
  }
  const source = await ByteSource.open(filePath, options.signal);
  try {
    if (source.size === 0) return { kind: 'unknown', label: 'Empty file', facts: { bytes: 0 } };
    const head = await source.read(0, Math.min(HEAD_BYTES, maxHeaderBytes));
    const ctx: DetectContext = { source, head, maxHeaderBytes, scanBytes: Math.min(SCAN_BYTES, maxHeaderBytes) };
    for (const detect of DETECTORS) {
      let found: ModelFormat | undefined;
      try {
        found = await detect(ctx);
      } catch (e) {
        // Read errors and cancellation propagate; anything else is a malformed file: not this format.
        if (isModelSigningError(e)) throw e;
      }
      if (found) return found;
    }
    // A pickle that is none of the above (a plain pickle, a joblib dump, …).
    if (head[0] === 0x80 && head[1] !== undefined && head[1] >= 2 && head[1] <= 5) return unknown({ container: 'pickle', pickle_protocol: head[1] });
    return unknown();
  } finally {
    await source.close().catch(() => undefined);
  }
}
