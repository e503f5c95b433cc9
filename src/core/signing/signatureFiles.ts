// A model's own signature is not part of the model. `sign` and `verify` leave
// out the signature path they are given; `attest` and `provenance verify` are
// not given one, so they recognise it: a file of the model folder that is an
// OMS signature (a Sigstore bundle whose DSSE payload is an OMS statement)
// every signed file of which is a file of this model. Nothing is verified here:
// a file that only looks like a signature of the model is left out too, and a
// signed file that is missing still shows when the model is verified.
import * as fs from 'node:fs';
import { eachBounded } from '../io/eachBounded';
import { readInputText } from '../io/readInputFile';
import { ModelListing, listModelFiles } from '../hashing/walk';
import { Manifest, ResourceDescriptor, SerializationMethod, parseShardName } from '../manifest/manifest';
import { SerializeOptions, serializeListing } from '../manifest/serializer';
import { MAX_BUNDLE_BYTES, bundlePayload, parseBundle } from './bundle';
import { toManifest } from './statement';

/** Bytes read to see whether a file can be JSON at all: most model files are not, and are never read whole. */
const HEAD_BYTES = 64;

/** Files whose head is read at once. */
const READ_CONCURRENCY = 32;

/** The names (model-relative) of the files of a listed model folder that are OMS signatures of it, sorted. */
export async function findSignatureFiles(listing: ModelListing, signal?: AbortSignal): Promise<string[]> {
  if (listing.isFile) return [];
  const names = new Set(listing.files.map((f) => f.name));
  const isSignature = new Array<boolean>(listing.files.length).fill(false);
  // Every file's head is read: a few at once, as most are small and the reads wait on the thread pool, not the disk.
  await eachBounded(
    listing.files,
    READ_CONCURRENCY,
    async (file, i) => {
      if (file.size > MAX_BUNDLE_BYTES || !(await startsLikeJson(file.path))) return;
      const signed = await signedManifest(file.path);
      isSignature[i] = signed !== undefined && signsFilesOf(signed, names, file.name);
    },
    signal,
  );
  return listing.files.filter((_, i) => isSignature[i]).map((f) => f.name);
}

export interface ModelWithoutSignatures {
  manifest: Manifest;
  /** The signature files left out, model-relative. */
  signatures: string[];
}

/**
 * serializeModel, leaving out the files that are OMS signatures of the model (attest, provenance verify). The
 * signatures are looked for while the workers hash, and their resources dropped after: a signature is small.
 */
export async function serializeModelWithoutSignatures(modelPath: string, options: SerializeOptions): Promise<ModelWithoutSignatures> {
  const listing = await listModelFiles(modelPath, options);
  const [signatures, manifest] = await Promise.all([findSignatureFiles(listing, options.signal), serializeListing(modelPath, listing, options)]);
  return { manifest: manifestWithout(manifest, signatures), signatures };
}

async function startsLikeJson(file: string): Promise<boolean> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    // O_NONBLOCK: a file swapped for a FIFO since it was listed opens at once instead of waiting for a writer.
    fh = await fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(HEAD_BYTES), 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString('latin1').trimStart().startsWith('{');
  } catch {
    return false; // Hashing reports what is wrong with the file.
  } finally {
    await fh?.close();
  }
}

async function signedManifest(file: string): Promise<Manifest | undefined> {
  try {
    const text = await readInputText(file, { what: 'signature file', maxBytes: MAX_BUNDLE_BYTES, unreadableCode: 'SIGNATURE_FILE_UNREADABLE' });
    return toManifest(bundlePayload(parseBundle(text)));
  } catch {
    return undefined; // Not a signature: a model file like any other.
  }
}

/** Every file the signature names is another file of the model. */
function signsFilesOf(signed: Manifest, names: ReadonlySet<string>, self: string): boolean {
  return signed.resources.every((r) => {
    const name = fileOf(r, signed.serialization.method);
    return name !== undefined && name !== self && names.has(name);
  });
}

/** A manifest without the resources of the given files, which join its ignore paths: what serializing with them ignored gives. */
export function manifestWithout(manifest: Manifest, names: readonly string[]): Manifest {
  if (names.length === 0) return manifest;
  const left = new Set(names);
  const { serialization } = manifest;
  return new Manifest(
    manifest.modelName,
    { ...serialization, ignorePaths: [...new Set([...serialization.ignorePaths, ...names])].sort() },
    manifest.resources.filter((r) => !left.has(fileOf(r, serialization.method) ?? r.name)),
  );
}

/** The file a resource is (files) or is a shard of (shards). */
function fileOf(r: ResourceDescriptor, method: SerializationMethod): string | undefined {
  return method === 'shards' ? parseShardName(r.name)?.path : r.name;
}
