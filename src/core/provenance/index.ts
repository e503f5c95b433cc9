// SLSA provenance for models: reading it in the forms builders write, checking
// its signature, policy and subjects (verifyProvenance), and creating it (attest).
export * from './types';
export * from './provenanceFile';
export * from './inTotoStatement';
export * from './summary';
export * from './certificateClaims';
export * from './predicateClaims';
export * from './gitRefs';
export * from './builderPolicy';
export * from './provenanceSignature';
export * from './provenancePolicy';
export * from './subjects';
export * from './verifyProvenance';
export * from './verdict';
export * from './attest';
export * from './attestOutput';
export * from './attestStatement';
export * from './githubEnvironment';
