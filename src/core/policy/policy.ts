// Verification policies: the file and setting (policyFile.ts), which entry governs a model (policyMatch.ts),
// path globs (glob.ts). Whether a signer passes and pinning one are the methods' (../methods/policyVerdict.ts,
// ../methods/pinSigner.ts): each method matches policy entries its own way.
export * from './glob';
export * from './jsonLocation';
export * from './policyFile';
export * from './policyMatch';
export * from './signerRule';
export * from './identityRegex';
