// Keyless signing and verification with Sigstore, apart from the rest of the
// core so that callers can load it only when they need it.
export * from './trustConfig';
export * from './identity';
export * from './sigstoreSigner';
export * from './sigstoreVerifier';
export * from './githubSession';
export * from './fulcioCredentialSigner';
export * from './timestampAuthority';
