// Command, view and setting ids, declared once.
export const COMMANDS = {
  signModel: 'modelSigning.signModel',
  verifyModel: 'modelSigning.verifyModel',
  copyDigest: 'modelSigning.copyDigest',
  pinSigner: 'modelSigning.pinSigner',
} as const;

export const VIEWS = { manifest: 'modelSigning.manifest' } as const;

export const SETTINGS = {
  section: 'modelSigning',
  trustConfig: 'sigstore.trustConfig',
  useDigestCache: 'verify.useDigestCache',
  policy: 'verify.policy',
  githubApiUrl: 'github.apiUrl',
} as const;

/** workspaceState keys. */
export const STATE = { signingMethod: 'modelSigning.signingMethod' } as const;

/** The signature file of a model folder; a single-file model's is `<file>.sig`. */
export const SIGNATURE_NAME = 'model.sig';
