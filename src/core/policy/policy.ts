// Verification policies: the file and setting (policyFile.ts), which entry governs a model and whether its
// signer passes (policyMatch.ts), trust on first use (pin.ts), path globs (glob.ts).
export * from './glob';
export * from './jsonLocation';
export * from './pin';
export * from './policyFile';
export * from './policyMatch';
