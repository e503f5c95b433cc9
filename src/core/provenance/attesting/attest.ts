// `attest`: SLSA v1 provenance for a model, signed into a Sigstore bundle.
// The model is hashed once, as `model-signing digest` hashes it (files,
// sha256, the default ignores) but without its OMS signature (signing it again
// must not break the provenance); its root digest is the subject, and with
// `perFile` every file's digest from the same manifest is one too.
import * as path from 'node:path';
import { throwIfAborted } from '../../abort';
import { HashingError } from '../../errors';
import type { Manifest } from '../../manifest/manifest';
import type { SerializeOptions } from '../../manifest/serializer';
import { Bundle, serializeBundle } from '../../signing/bundle';
import { serializeModelWithoutSignatures } from '../../signing/signatureFiles';
import type { Signer } from '../../signing/signer';
import { checkOutputFree, writeOutputAtomic } from './attestOutput';
import { BuildContext, ProvenanceOverrides, buildContext, modelSubjects, provenancePredicate, provenanceStatement } from './attestStatement';
import type { Environment } from './githubEnvironment';
import type { InTotoStatement } from '../types';
import { refuseOutputInCache } from '../../huggingface/cacheLayout';

export interface AttestOptions extends Omit<SerializeOptions, 'method' | 'hashAlgorithm' | 'shardSize'> {
  signer: Signer;
  /** Where to write the bundle (always left out of the model); nothing is written when absent. */
  output?: string;
  /** Replace an existing output file. Default false: an existing file is an OUTPUT_EXISTS error. */
  overwrite?: boolean;
  /** One subject per file besides the root digest. */
  perFile?: boolean;
  /** Where to read a GitHub Actions run from; default `process.env`. */
  environment?: Environment;
  /** Flags; each one replaces what the environment says. */
  overrides?: ProvenanceOverrides;
}

export interface AttestResult {
  statement: InTotoStatement;
  /** The exact bytes that were signed (the DSSE payload). */
  payload: Buffer;
  bundle: Bundle;
  manifest: Manifest;
  /** Where the build facts came from. */
  origin: BuildContext['origin'];
}

/** Hashes the model, builds its provenance, signs it, and writes the bundle atomically. */
export async function attestModel(modelPath: string, options: AttestOptions): Promise<AttestResult> {
  const startedOn = new Date();
  // Everything that can be wrong with the options fails before the model is read.
  const context = buildContext(options.environment ?? process.env, options.overrides);
  const overwrite = options.overwrite ?? false;
  if (options.output) refuseOutputInCache(options.output, 'provenance');
  if (options.output) checkOutputFree(options.output, overwrite);

  const ignorePaths = [...(options.ignorePaths ?? [])];
  if (options.output) ignorePaths.push(path.resolve(options.output));
  const { manifest } = await serializeModelWithoutSignatures(modelPath, { ...options, ignorePaths, method: 'files', hashAlgorithm: 'sha256' });
  if (manifest.resources.length === 0) {
    throw new HashingError('EMPTY_MODEL', `Nothing to attest: the model '${modelPath}' has no file left after ignores`, { path: modelPath });
  }
  const finishedOn = new Date();

  const statement = provenanceStatement(modelSubjects(manifest, options.perFile), provenancePredicate(context, { startedOn, finishedOn }));
  const payload = Buffer.from(JSON.stringify(statement), 'utf8');
  const bundle = await options.signer.sign(payload, { signal: options.signal });
  // A cancel that lands while signing still leaves no file behind.
  throwIfAborted(options.signal);
  if (options.output) await writeOutputAtomic(options.output, serializeBundle(bundle), overwrite);
  return { statement, payload, bundle, manifest, origin: context.origin };
}
