// What the provenance suites share: the local Sigstore stand-in with its trust config, a
// worker pool, and verifyProvenance on them. Registers before/after hooks, so call it at
// the top of a test file; the fields are set once the `before` hook has run.
import { after, before } from 'node:test';
import type { WorkerHashPool } from '../../src/core';
import { ProvenanceReport, VerifyProvenanceOptions, verifyProvenance } from '../../src/core/provenance';
import { TrustConfig, loadTrustConfig } from '../../src/core/sigstore/trustConfig';
import { pool } from './fixtures';
import { LocalSigstore, startLocalSigstoreWithTrustFile } from './localSigstore';

export interface ProvenanceSuite {
  sigstore: LocalSigstore;
  trust: TrustConfig;
  readonly hashing: WorkerHashPool;
  /** verifyProvenance against the local Sigstore, hashing on the suite's pool. */
  verify: (file: string, options?: VerifyProvenanceOptions) => Promise<ProvenanceReport[]>;
}

export function provenanceSuite(): ProvenanceSuite {
  const suite = {
    hashing: pool(2),
    verify: (file: string, options: VerifyProvenanceOptions = {}) => verifyProvenance(file, { trustConfig: suite.trust, pool: suite.hashing, ...options }),
  } as ProvenanceSuite;
  before(async () => {
    const started = await startLocalSigstoreWithTrustFile();
    suite.sigstore = started.sigstore;
    suite.trust = loadTrustConfig(started.trustConfigPath);
  });
  after(() => suite.sigstore.stop());
  return suite;
}
