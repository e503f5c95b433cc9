// A model's own signature is not part of the model. `sign` and `verify` leave
// out the signature path they are given; `attest` and `provenance verify` are
// not given one, so they recognise it: a file of the model folder that is an
// OMS signature (a Sigstore bundle whose DSSE payload is an OMS statement)
// every signed file of which is a file of this model. Nothing is verified here:
// a file that only looks like a signature of the model is left out too, and a
// signed file that is missing still shows when the model is verified.
import * as fs from 'node:fs';
import { throwIfAborted } from '../abort';
import { readInputText } from '../io/readInputFile';
import { ModelListing, listModelFiles } from '../hashing/walk';
import { Manifest, ResourceDescriptor, SerializationMethod, parseShardName, rootDigestOf } from '../manifest/manifest';
import { SerializeOptions, serializeListing } from '../manifest/serializer';
import { MAX_BUNDLE_BYTES, bundlePayload, parseBundle } from './bundle';
import { toManifest } from './statement';

/** Bytes read to see whether a file can be JSON at all: most model files are not, and are never read whole. */
const HEAD_BYTES = 64;

/** The names (model-relative) of the files of a listed model folder that are OMS signatures of it, sorted. */
export async function findSignatureFiles(listing: ModelListing, signal?: AbortSignal): Promise<string[]> {
  if (listing.isFile) return [];
  const names = new Set(listing.files.map((f) => f.name));
  const found: string[] = [];
  for (const file of listing.files) {
    throwIfAborted(signal);
    if (file.size > MAX_BUNDLE_BYTES || !(await startsLikeJson(file.path))) continue;
    const signed = await signedManifest(file.path);
    if (signed && signsFilesOf(signed, names, file.name)) found.push(file.name);
  }
  return found;
}

/** A listing without the given files; they join its ignore paths, as a signature path given to `sign` does. */
export function withoutFiles(listing: ModelListing, names: readonly string[]): ModelListing {
  if (names.length === 0) return listing;
  const left = new Set(names);
  return {
    ...listing,
    files: listing.files.filter((f) => !left.has(f.name)),
    ignorePaths: [...new Set([...listing.ignorePaths, ...names])].sort(),
  };
}

export interface ModelWithoutSignatures {
  manifest: Manifest;
  /** The signature files left out, model-relative. */
  signatures: string[];
}

/** serializeModel, leaving out the files that are OMS signatures of the model (attest, provenance verify). */
export async function serializeModelWithoutSignatures(modelPath: string, options: SerializeOptions): Promise<ModelWithoutSignatures> {
  const listing = await listModelFiles(modelPath, options);
  const signatures = await findSignatureFiles(listing, options.signal);
  return { manifest: await serializeListing(modelPath, withoutFiles(listing, signatures), options), signatures };
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

/** The root digest of a manifest without the resources of the given files: what `digest` would print had they been ignored. */
export function rootDigestWithout(manifest: Manifest, names: readonly string[]): string {
  const left = new Set(names);
  return rootDigestOf(manifest.resources.filter((r) => !left.has(fileOf(r, manifest.serialization.method) ?? r.name)));
}

/** The file a resource is (files) or is a shard of (shards). */
function fileOf(r: ResourceDescriptor, method: SerializationMethod): string | undefined {
  return method === 'shards' ? parseShardName(r.name)?.path : r.name;
}
