// SLSA provenance for models: reading it in the forms builders write, checking
// its signature, policy and subjects (verifyProvenance), and creating it (attest).
export * from './types';
export * from './reading/provenanceFile';
export * from './reading/inTotoStatement';
export * from './reading/summary';
export * from './reading/certificateClaims';
export * from './reading/predicateClaims';
export * from './verifying/gitRefs';
export * from './verifying/builderPolicy';
export * from './verifying/provenanceSignature';
export * from './verifying/provenancePolicy';
export * from './verifying/subjects';
export * from './verifying/verifyProvenance';
export * from './verifying/verdict';
export * from './attesting/attest';
export * from './attesting/attestOutput';
export * from './attesting/attestStatement';
export * from './attesting/githubEnvironment';
