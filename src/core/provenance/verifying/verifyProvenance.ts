// Verifying a provenance file against a model: for every signed statement in
// it, the signature (offline), the policy (slsa-verifier's flags), and the
// subjects against the files on disk. One report per statement; reading errors
// (not provenance, no such file, a bad key) throw, verification failures do not.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { throwIfAborted } from '../../abort';
import { HashPool, InlineHashPool, WorkerHashPool } from '../../hashing/hashPool';
import { readKeyFile } from '../../io/readInputFile';
import { bundleKind } from '../../methods/registry';
import { loadPublicKey } from '../../signing/keys';
import { TrustConfig, resolveTrustConfig } from '../../sigstore/trustConfig';
import { readProvenanceFile } from '../reading/provenanceFile';
import { evaluateProvenancePolicy } from './provenancePolicy';
import { checkProvenanceSignature } from './provenanceSignature';
import { ModelDigests, hashModelForProvenance, matchSubjects, uncoveredFiles } from './subjects';
import { summarizeProvenance } from '../reading/summary';
import { ProvenanceDocument, ProvenanceReport, ProvenanceSignatureCheck, VerifyProvenanceOptions } from '../types';
import { reportChecks, verdictOf } from './verdict';

/**
 * Checks every statement of a provenance file. A report's verdict comes from
 * its checks (verdict.ts): the signature verified (or, with `allowIncomplete`,
 * held without proof of its time), every policy check holds, and, when a model
 * is given, every subject holds and every file of it is covered (subjects.ts).
 * As slsa-verifier does, a Cloud Build file passes on the items whose signature
 * verifies: the others are skipped, when at least one verifies.
 */
export async function verifyProvenance(file: string, options: VerifyProvenanceOptions = {}): Promise<ProvenanceReport[]> {
  const signal = options.signal;
  const documents = await readProvenanceFile(file, { signal });
  const publicKey = options.publicKeyPath ? loadPublicKey(readKeyFile(options.publicKeyPath, 'public key')) : undefined;
  const { trustConfig, warnings } = await trustFor(documents, options);
  const model = options.modelPath ? await hashModel(file, options.modelPath, options) : undefined;

  const signatures: ProvenanceSignatureCheck[] = [];
  for (const document of documents) {
    throwIfAborted(signal);
    signatures.push(await checkProvenanceSignature(document, { trustConfig, publicKey }));
  }
  const skipped = alternativesToSkip(documents, signatures);

  const reports: ProvenanceReport[] = [];
  for (const [i, document] of documents.entries()) {
    throwIfAborted(signal);
    const signature = signatures[i]!;
    const summary = summarizeProvenance(document.statement);
    const outcome = evaluateProvenancePolicy({ document, summary, signature, policy: options.policy });
    const subjects = model && !skipped.has(i) ? await matchSubjects(document.statement.subject, model, { signal }) : [];
    const uncovered = model && !skipped.has(i) ? uncoveredFiles(subjects, model) : [];
    const checks = reportChecks({
      signature,
      allowIncomplete: options.allowIncomplete,
      skipped: skipped.has(i),
      policy: outcome.checks,
      subjects,
      uncoveredFiles: uncovered,
      singleFile: model?.isFile,
      fileDigests: model?.files,
    });
    const verdict = verdictOf(checks);
    reports.push({
      document,
      summary,
      signature,
      policy: skipped.has(i) ? [] : outcome.checks,
      subjects,
      ...(model ? { modelRootDigest: `sha256:${model.rootDigest}` } : {}),
      ...(uncovered.length > 0 ? { uncoveredFiles: uncovered } : {}),
      checks,
      verdict,
      ok: verdict === 'ok',
      ...(signature.status !== 'failed' && outcome.verifiedBuilderId ? { verifiedBuilderId: outcome.verifiedBuilderId } : {}),
      signer: outcome.signer,
      ...(outcome.sourceFrom ? { sourceFrom: outcome.sourceFrom } : {}),
      ...(trustConfig && usesTrust(document)
        ? { trustRoot: { source: trustConfig.source, date: trustConfig.date, ...(trustConfig.path ? { path: trustConfig.path } : {}) } }
        : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
    });
  }
  return reports;
}

/**
 * The alternatives to leave out: those whose signature fails while another alternative's verifies
 * (`gcloud --show-provenance` lists every provenance of the image; slsa-verifier goes on to the
 * next item when one does not verify). With none verifying, none is skipped and each fails.
 */
function alternativesToSkip(documents: readonly ProvenanceDocument[], signatures: readonly ProvenanceSignatureCheck[]): Set<number> {
  const alternatives = documents.flatMap((d, i) => (d.alternative ? [i] : []));
  if (!alternatives.some((i) => signatures[i]!.status === 'verified')) return new Set();
  return new Set(alternatives.filter((i) => signatures[i]!.status === 'failed'));
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
  if (given) return { pool: given, dispose: () => Promise.resolve() };
  const script = path.join(__dirname, 'hashWorker.js');
  const pool: HashPool = fs.existsSync(script) ? new WorkerHashPool({ workerScript: script }) : new InlineHashPool();
  return { pool, dispose: () => pool.dispose() };
}
