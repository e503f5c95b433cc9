// Shared shapes of the format detectors (see detectModelFormat.ts).
import type { ByteSource } from './source';

export type ModelFormatKind =
  'keras' | 'hdf5-model' | 'hdf5-weights' | 'pytorch-state-dict' | 'pytorch-full-model' | 'torchscript' | 'safetensors' | 'gguf' | 'onnx' | 'unknown';

/** What a file holds, found from its bytes: a kind, a label to show, and a few key facts. */
export interface ModelFormat {
  kind: ModelFormatKind;
  /** A short human label, e.g. 'safetensors', 'Keras v3 (.keras)', 'TorchScript'. */
  label: string;
  /** Key facts for display, e.g. { tensors: 2, dtypes: 'F16,F32' }. Keys are snake_case. */
  facts: Record<string, string | number>;
}

/** What every detector gets: the open file, its first bytes, and the read limits. */
export interface DetectContext {
  source: ByteSource;
  /** The first bytes of the file (HEAD_BYTES, or the whole file if smaller). */
  head: Buffer;
  /** The most bytes any one structure (header, central directory, zip member) may take. */
  maxHeaderBytes: number;
  /** How far heuristic scans (HDF5 attribute names, pickle opcodes) look. */
  scanBytes: number;
}

export type Detector = (ctx: DetectContext) => Promise<ModelFormat | undefined>;

export function unknown(facts: Record<string, string | number> = {}): ModelFormat {
  return { kind: 'unknown', label: 'Unknown', facts };
}
