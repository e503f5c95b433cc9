// Verifying a provenance file against a model: for every signed statement in
// it, the signature (offline), the policy (slsa-verifier's flags), and the
// subjects against the files on disk. One report per statement; reading errors
// (not provenance, no such file, a bad key) throw, verification failures do not.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { throwIfAborted } from '../errors';
import { HashPool, InlineHashPool, WorkerHashPool } from '../hashing/hashPool';
import { readKeyFile } from '../io/readInputFile';
import { bundleKind } from '../signing/bundle';
import { loadPublicKey } from '../signing/keys';
import { TrustConfig, resolveTrustConfig } from '../sigstore/trustConfig';
import { readProvenanceFile } from './provenanceFile';
import { evaluateProvenancePolicy } from './provenancePolicy';
import { checkProvenanceSignature } from './provenanceSignature';
import { ModelDigests, hashModelForProvenance, matchSubjects, subjectsHold, uncoveredFiles } from './subjects';
import { summarizeProvenance } from './summary';
import { ProvenanceDocument, ProvenanceReport, VerifyProvenanceOptions } from './types';

/**
 * Checks every statement of a provenance file. `ok` on a report: the signature
 * verified (or, with `allowIncomplete`, held without proof of its time), every
 * policy check holds, and, when a model is given, a subject matches it, every
 * file of it is covered (by the root digest or a file's digest), and none
 * names a file of it that changed.
 */
export async function verifyProvenance(file: string, options: VerifyProvenanceOptions = {}): Promise<ProvenanceReport[]> {
  const signal = options.signal;
  const documents = await readProvenanceFile(file, { signal });
  const publicKey = options.publicKeyPath ? loadPublicKey(readKeyFile(options.publicKeyPath, 'public key')) : undefined;
  const { trustConfig, warnings } = await trustFor(documents, options);
  const model = options.modelPath ? await hashModel(file, options.modelPath, options) : undefined;

  const reports: ProvenanceReport[] = [];
  for (const document of documents) {
    throwIfAborted(signal);
    const summary = summarizeProvenance(document.statement);
    const signature = await checkProvenanceSignature(document, { trustConfig, publicKey });
    const outcome = evaluateProvenancePolicy({ document, summary, signature, policy: options.policy });
    const subjects = model ? await matchSubjects(document.statement.subject, model, { signal }) : [];
    const signatureOk = signature.status === 'verified' || (signature.status === 'incomplete' && options.allowIncomplete === true);
    const ok = signatureOk && outcome.checks.every((c) => c.ok) && (!model || subjectsHold(subjects, model));
    const uncovered = model ? uncoveredFiles(subjects, model) : [];
    reports.push({
      document,
      summary,
      signature,
      policy: outcome.checks,
      subjects,
      ...(model ? { modelRootDigest: `sha256:${model.rootDigest}` } : {}),
      ...(uncovered.length > 0 ? { uncoveredFiles: uncovered } : {}),
      ok,
      ...(signature.status !== 'failed' && outcome.verifiedBuilderId ? { verifiedBuilderId: outcome.verifiedBuilderId } : {}),
      signer: outcome.signer,
      ...(outcome.sourceFrom ? { sourceFrom: outcome.sourceFrom } : {}),
      ...(trustConfig && usesTrust(document) ? { trustRoot: { source: trustConfig.source, date: trustConfig.date, ...(trustConfig.path ? { path: trustConfig.path } : {}) } } : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
    });
  }
  return reports;
}

/** The Sigstore trusted root, resolved only when a statement is signed with a certificate. */
async function trustFor(documents: ProvenanceDocument[], options: VerifyProvenanceOptions): Promise<{ trustConfig?: TrustConfig; warnings: string[] }> {
  if (options.trustConfig) return { trustConfig: options.trustConfig, warnings: [] };
  if (!documents.some(usesTrust)) return { warnings: [] };
  const { config, warnings } = await resolveTrustConfig({ trustConfigPath: options.trustConfigPath });
  return { trustConfig: config, warnings };
}

function usesTrust(d: ProvenanceDocument): boolean {
  return d.certificatePem !== undefined || (d.bundle !== undefined && bundleKind(d.bundle) !== 'key');
}

/** Hashes the model once for all statements; the provenance file is left out when it lies inside the model. */
async function hashModel(provenanceFile: string, modelPath: string, options: VerifyProvenanceOptions): Promise<ModelDigests> {
  const { pool, dispose } = poolFor(options.pool);
  try {
    return await hashModelForProvenance(modelPath, {
      pool,
      ignorePaths: [...(options.ignorePaths ?? []).map((p) => path.resolve(modelPath, p)), path.resolve(provenanceFile)],
      ignoreGitPaths: options.ignoreGitPaths,
      signal: options.signal,
      onProgress: options.onProgress ? (p) => options.onProgress!(p.bytesDone, p.bytesTotal) : undefined,
    });
  } finally {
    await dispose();
  }
}

/** The caller's pool, else worker threads on the hashWorker.js beside this bundle, else inline (sources run directly). */
function poolFor(given?: HashPool): { pool: HashPool; dispose: () => Promise<void> } {
  if (given) return { pool: given, dispose: async () => undefined };
  const script = path.join(__dirname, 'hashWorker.js');
  const pool: HashPool = fs.existsSync(script) ? new WorkerHashPool({ workerScript: script }) : new InlineHashPool();
  return { pool, dispose: () => pool.dispose() };
}
