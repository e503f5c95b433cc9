// Command, view and setting ids, declared once.
export const COMMANDS = {
  signModel: 'modelSigning.signModel',
  verifyModel: 'modelSigning.verifyModel',
  copyDigest: 'modelSigning.copyDigest',
  pinSigner: 'modelSigning.pinSigner',
  openModelProvenance: 'modelSigning.openModelProvenance',
  verifyShownModel: 'modelSigning.verifyShownModel',
  verifyHubModel: 'modelSigning.verifyHubModel',
  downloadHubModel: 'modelSigning.downloadHubModel',
} as const;

export const VIEWS = { manifest: 'modelSigning.manifest' } as const;

export const SETTINGS = {
  section: 'modelSigning',
  trustConfig: 'sigstore.trustConfig',
  useDigestCache: 'verify.useDigestCache',
  digestCacheFolder: 'verify.digestCacheFolder',
  verifyOnOpen: 'verify.onOpen',
  policy: 'verify.policy',
  githubApiUrl: 'github.apiUrl',
  timestampAuthorityUrl: 'timestampAuthority.url',
  timestampAuthorityChain: 'timestampAuthority.certificateChain',
} as const;

/** workspaceState keys. */
export const STATE = { signingMethod: 'modelSigning.signingMethod' } as const;

/** The signature file of a model folder; a single-file model's is `<file>.sig`. */
export const SIGNATURE_NAME = 'model.sig';

/** Single-file models, as the Explorer menu offers Sign and Verify Model on them (package.json's `when`). */
export const MODEL_FILE_EXTENSIONS = [
  'safetensors',
  'gguf',
  'onnx',
  'pt',
  'pth',
  'bin',
  'h5',
  'keras',
  'ckpt',
  'pb',
  'tflite',
  'msgpack',
  'npz',
  'pkl',
  'joblib',
  'mlmodel',
];
