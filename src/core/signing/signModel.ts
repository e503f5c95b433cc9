import * as path from 'node:path';
import { throwIfAborted } from '../abort';
import { HashingError } from '../errors';
import { refuseOutputInCache } from '../huggingface/cacheLayout';
import { writeFileAtomic } from '../io/atomicWrite';
import { Manifest } from '../manifest/manifest';
import { SerializeOptions, serializeModel } from '../manifest/serializer';
import { Bundle, serializeBundle } from './bundle';
import { Signer } from './signer';
import { statementToJson, toStatement } from './statement';
import { Timestamper, bundleSignature, withTimestamp } from './timestamps';

export interface SignModelOptions extends SerializeOptions {
  signer: Signer;
  /** Where to write the bundle; always left out of the model. Nothing is written when absent. */
  signaturePath?: string;
  /** A timestamp authority to stamp the signature, so that a certificate's signature outlives the certificate. */
  timestamper?: Timestamper;
}

export interface SignResult {
  manifest: Manifest;
  bundle: Bundle;
}

/** Hashes a model, signs its statement, and writes the bundle atomically. */
export async function signModel(modelPath: string, options: SignModelOptions): Promise<SignResult> {
  if (options.signaturePath) refuseOutputInCache(options.signaturePath, 'signature');
  const ignorePaths = [...(options.ignorePaths ?? [])];
  if (options.signaturePath) ignorePaths.push(path.resolve(options.signaturePath));
  const manifest = await serializeModel(modelPath, { ...options, ignorePaths });
  if (manifest.resources.length === 0) {
    throw new HashingError('EMPTY_MODEL', `Nothing to sign: the model '${modelPath}' has no file left after ignores`, { path: modelPath });
  }
  const payload = Buffer.from(statementToJson(toStatement(manifest, { recordEmptyIgnorePaths: true })), 'utf8');
  let bundle = await options.signer.sign(payload, { signal: options.signal });
  if (options.timestamper) bundle = withTimestamp(bundle, await options.timestamper.timestamp(bundleSignature(bundle), { signal: options.signal }));
  // A cancel that lands while signing still leaves no file behind.
  throwIfAborted(options.signal);
  if (options.signaturePath) await writeFileAtomic(options.signaturePath, serializeBundle(bundle));
  return { manifest, bundle };
}
