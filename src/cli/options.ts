import { DEFAULT_SHARD_SIZE } from '../core/manifest/manifest';
import { OptionSpecs } from './args';

// The reference CLI's options, command by command, plus this tool's additions.

export const PKI_METHODS = ['sigstore', 'key', 'certificate', 'pkcs11-key', 'pkcs11-certificate'] as const;
export type PkiMethod = (typeof PKI_METHODS)[number];
export type SupportedMethod = 'sigstore' | 'key' | 'certificate';

export const COMMON: OptionSpecs = {
  'ignore-paths': { kind: 'multi', metavar: 'PATH', help: 'File paths to ignore when signing or verifying.' },
  'ignore-git-paths': { kind: 'switch', default: true, help: 'Ignore git-related files (.git, .gitattributes, .github, .gitignore).' },
  'allow-symlinks': { kind: 'flag', help: 'Follow symbolic links that stay inside the model.' },
};

export const SERIALIZATION: OptionSpecs = {
  'hash-algorithm': { kind: 'string', metavar: '[sha256|blake2b|blake3]', default: 'sha256', help: 'Hash for the files.' },
  serialization: { kind: 'string', metavar: '[files|shards]', default: 'files', help: 'One digest per file, or per shard of a file.' },
  'shard-size': { kind: 'string', metavar: 'BYTES', default: String(DEFAULT_SHARD_SIZE), help: 'Shard size for --serialization shards.' },
};

const SIGN_COMMON: OptionSpecs = {
  signature: { kind: 'string', metavar: 'PATH', default: 'model.sig', help: 'Location of the signature file to generate.' },
  ...COMMON,
  ...SERIALIZATION,
};

const TRUST: OptionSpecs = {
  'use-staging': { kind: 'flag', help: 'Use Sigstore\'s staging instance (needs its --trust-config).' },
  'trust-config': { kind: 'string', metavar: 'PATH', help: 'A Sigstore ClientTrustConfig JSON: trusted root and signing config of a private instance.' },
};

const PRIVATE_KEY: OptionSpecs = {
  'private-key': { kind: 'string', required: true, metavar: 'PATH', help: 'Path to the private key, as a PEM-encoded file.' },
  password: { kind: 'string', metavar: 'TEXT', help: 'Password for the key encryption, if any.' },
};

export const SIGN_OPTIONS: Record<SupportedMethod, OptionSpecs> = {
  sigstore: {
    ...SIGN_COMMON,
    ...TRUST,
    'use-ambient-credentials': { kind: 'flag', help: 'Use the CI\'s identity token (GitHub Actions, SIGSTORE_ID_TOKEN).' },
    'identity-token': { kind: 'string', metavar: 'TOKEN', help: 'An OIDC identity token to sign with, instead of logging in.' },
    'oauth-force-oob': { kind: 'flag', help: 'Log in out of band: paste the code instead of a browser redirect.' },
    'client-id': { kind: 'string', metavar: 'ID', default: 'sigstore', help: 'OAuth client id for the login.' },
    'client-secret': { kind: 'string', metavar: 'SECRET', default: '', help: 'OAuth client secret for the login.' },
  },
  key: { ...SIGN_COMMON, ...PRIVATE_KEY },
  certificate: {
    ...SIGN_COMMON,
    ...PRIVATE_KEY,
    'signing-certificate': { kind: 'string', required: true, metavar: 'PATH', help: 'Path to the signing certificate, as a PEM-encoded file.' },
    'certificate-chain': { kind: 'multi', metavar: 'PATH', help: 'Certificate chain to embed, as PEM files (leaf issuer first).' },
  },
};

const VERIFY_COMMON: OptionSpecs = {
  signature: { kind: 'string', required: true, metavar: 'PATH', help: 'Location of the signature file to verify.' },
  ...COMMON,
  'ignore-unsigned-files': { kind: 'switch', default: false, help: 'Check only the signed files; files not in the signature are not reported.' },
  json: { kind: 'flag', help: 'Print the full result as JSON on stdout.' },
};

export const VERIFY_OPTIONS: Record<SupportedMethod, OptionSpecs> = {
  sigstore: {
    ...VERIFY_COMMON,
    identity: { kind: 'string', required: true, metavar: 'TEXT', help: 'The expected identity of the signer (email or workload URI), compared exactly.' },
    'identity-provider': { kind: 'string', required: true, metavar: 'URL', help: 'The expected OIDC issuer of that identity, compared exactly.' },
    ...TRUST,
    'refresh-trust-root': { kind: 'flag', help: 'Update the production trusted root through TUF first (a failure is only a warning).' },
  },
  key: { ...VERIFY_COMMON, 'public-key': { kind: 'string', required: true, metavar: 'PATH', help: 'Path to the public key used for verification.' } },
  certificate: {
    ...VERIFY_COMMON,
    'certificate-chain': { kind: 'multi', metavar: 'PATH', help: 'Trust anchors, as PEM files (default: the Mozilla CA store built into Node.js).' },
    'log-fingerprints': { kind: 'flag', help: 'Log the SHA-256 fingerprints of the anchors and the signature\'s certificates.' },
  },
};

export const DIGEST_OPTIONS: OptionSpecs = { ...COMMON, ...SERIALIZATION };

export const METHOD_HELP: Record<'sign' | 'verify', Record<SupportedMethod, string>> = {
  sign: {
    sigstore: 'Sign a model keylessly with Sigstore: a short-lived certificate for your identity, logged in Rekor.',
    key: 'Sign a model with an elliptic-curve private key.',
    certificate: 'Sign a model with a private key and its X.509 certificate chain.',
  },
  verify: {
    sigstore: 'Verify a model signed keylessly with Sigstore, for an exact identity and issuer.',
    key: 'Verify a model signed with a private key.',
    certificate: 'Verify a model signed with an X.509 certificate chain.',
  },
};
