// The public API of the core: hashing, manifests, signing and verification.
// Nothing here (or below) imports `vscode`.
export * from './errors';
export * from './hashing/algorithm';
export * from './hashing/walk';
export * from './hashing/fileHasher';
export * from './hashing/hashPool';
export * from './manifest/manifest';
export * from './manifest/serializer';
export * from './signing/bundle';
export * from './signing/dsse';
export * from './signing/statement';
export * from './signing/keys';
export * from './signing/certificates';
export * from './signing/signer';
export * from './signing/keySigner';
export * from './signing/certificateSigner';
export * from './signing/signModel';
export * from './verifying/verifier';
export * from './verifying/dsseSignature';
export * from './verifying/keyVerifier';
export * from './verifying/certificateVerifier';
export * from './verifying/verifyModel';
export * from './sigstore/trustConfig';
export * from './sigstore/identity';
export * from './sigstore/sigstoreSigner';
export * from './sigstore/sigstoreVerifier';
