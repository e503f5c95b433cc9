import { DEFAULT_SHARD_SIZE } from '../core/manifest/manifest';
import { PKCS11_METHODS, Pkcs11MethodId } from '../core/methods/pkcs11Methods';
import { MethodId, SIGNING_METHODS } from '../core/methods/registry';
import type { MethodInput } from '../core/methods/signingMethod';
import { OptionSpecs } from './args';
import { REVISION } from './modelPath';
import { SIGNER_CLAIM_OPTIONS } from './signerFlags';

// The reference CLI's options, command by command, plus this tool's additions.

/** The reference CLI's method names; `verify` refuses the PKCS #11 ones, which only sign (`verify key` checks what they write). */
export const REFERENCE_METHODS: readonly string[] = ['sigstore', 'key', 'certificate', 'pkcs11-key', 'pkcs11-certificate'];

export const COMMON: OptionSpecs = {
  'ignore-paths': { kind: 'multi', metavar: 'PATH', help: 'File paths to ignore when signing or verifying.' },
  'ignore-git-paths': { kind: 'switch', default: true, help: 'Ignore git-related files (.git, .gitattributes, .github, .gitignore).' },
  'allow-symlinks': { kind: 'flag', help: 'Follow symbolic links that stay inside the model.' },
  ...REVISION,
  cache: {
    kind: 'optional',
    metavar: 'DIR',
    help:
      'Reuse the digests of files unchanged since an earlier run with this cache (default folder: model-signing/digests in the user cache folder). ' +
      'Unchanged means the same device, inode, size, mtime and ctime: like git and rsync, this trusts that such a file has the same content. ' +
      'Without --cache every file is hashed.',
  },
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
  'use-staging': { kind: 'flag', help: "Use Sigstore's staging instance (its trusted root and signing config are built in)." },
  'trust-config': { kind: 'string', metavar: 'PATH', help: 'A Sigstore ClientTrustConfig JSON: trusted root and signing config of a private instance.' },
};

/** Key and certificate signatures: an RFC 3161 timestamp proves when they were made (keyless ones always get one). */
const TIMESTAMP_SIGN: OptionSpecs = {
  'tsa-url': { kind: 'string', metavar: 'URL', help: "A Sigstore timestamp authority's URL: add an RFC 3161 timestamp over the signature." },
};

const TIMESTAMP_VERIFY: OptionSpecs = {
  'tsa-certificate-chain': {
    kind: 'multi',
    metavar: 'PATH',
    help: "A timestamp authority's certificate chain, PEM, its signing certificate first (default: those of --trust-config, else the Sigstore public-good root).",
  },
  'trust-config': {
    kind: 'string',
    metavar: 'PATH',
    help: "A Sigstore ClientTrustConfig JSON whose timestamp authorities are trusted for the signature's timestamps.",
  },
};

/** The CLI's own flags beside a method's declared inputs: for keyless, how to log in and which instance to use. */
const SIGN_EXTRAS: Partial<Record<MethodId, OptionSpecs>> = {
  key: TIMESTAMP_SIGN,
  certificate: TIMESTAMP_SIGN,
  sigstore: {
    ...TRUST,
    'use-ambient-credentials': {
      kind: 'flag',
      help: "Use the CI's or cloud's identity token (GitHub Actions, Google Cloud, Buildkite, GitLab CI, CircleCI, SIGSTORE_ID_TOKEN).",
    },
    'identity-token': { kind: 'string', metavar: 'TOKEN', help: 'An OIDC identity token to sign with, instead of logging in.' },
    'oauth-force-oob': { kind: 'flag', help: 'Log in out of band: paste the code instead of a browser redirect.' },
    'client-id': { kind: 'string', metavar: 'ID', default: 'sigstore', help: 'OAuth client id for the login.' },
    'client-secret': { kind: 'string', metavar: 'SECRET', default: '', help: 'OAuth client secret for the login.' },
  },
};

const VERIFY_COMMON: OptionSpecs = {
  signature: { kind: 'string', required: true, metavar: 'PATH', help: 'Location of the signature file to verify.' },
  ...COMMON,
  'ignore-unsigned-files': { kind: 'switch', default: false, help: 'Check only the signed files; files not in the signature are not reported.' },
  json: { kind: 'flag', help: 'Print the full result as JSON on stdout.' },
};

const VERIFY_EXTRAS: Partial<Record<MethodId, OptionSpecs>> = {
  sigstore: {
    ...SIGNER_CLAIM_OPTIONS,
    ...TRUST,
    'refresh-trust-root': { kind: 'flag', help: 'Update the production trusted root through TUF first (a failure is only a warning).' },
  },
  key: TIMESTAMP_VERIFY,
  certificate: {
    'log-fingerprints': { kind: 'flag', help: "Log the SHA-256 fingerprints of the anchors and the signature's certificates." },
    ...TIMESTAMP_VERIFY,
  },
};

/** A method's declared inputs as flags: several files are a repeatable option, anything else a string. */
function inputFlags(inputs: readonly MethodInput[]): OptionSpecs {
  return Object.fromEntries(
    inputs.map((i) => [
      i.flag,
      i.kind === 'certificates'
        ? { kind: 'multi', metavar: i.metavar, help: i.help }
        : { kind: 'string', ...(i.required ? { required: true } : {}), metavar: i.metavar, help: i.help },
    ]),
  );
}

function byMethod<T>(make: (m: (typeof SIGNING_METHODS)[number]) => T): Record<MethodId, T> {
  return Object.fromEntries(SIGNING_METHODS.map((m) => [m.id, make(m)])) as Record<MethodId, T>;
}

export const SIGN_OPTIONS = byMethod<OptionSpecs>((m) => ({ ...SIGN_COMMON, ...inputFlags(m.inputs.sign), ...SIGN_EXTRAS[m.id] }));

export const VERIFY_OPTIONS = byMethod<OptionSpecs>((m) => ({ ...VERIFY_COMMON, ...inputFlags(m.inputs.verify), ...VERIFY_EXTRAS[m.id] }));

/** `sign pkcs11-key` and `sign pkcs11-certificate`: the common flags and their inputs, as the reference. */
export const PKCS11_SIGN_OPTIONS = Object.fromEntries(
  PKCS11_METHODS.map((m) => [m.id, { ...SIGN_COMMON, ...inputFlags(m.inputs), ...TIMESTAMP_SIGN }]),
) as Record<Pkcs11MethodId, OptionSpecs>;

export const DIGEST_OPTIONS: OptionSpecs = { ...COMMON, ...SERIALIZATION };

export const METHOD_HELP = { sign: byMethod((m) => m.help.sign), verify: byMethod((m) => m.help.verify) };
