import { displayText } from './display';

/**
 * Every failure the core reports is a ModelSigningError with a stable `code`
 * and structured `data`; callers switch on `code`, never on message text.
 */
export type ErrorCode =
  // reading the model
  | 'MODEL_NOT_FOUND'
  | 'EMPTY_MODEL'
  | 'SPECIAL_FILE'
  | 'SYMLINK_NOT_ALLOWED'
  | 'SYMLINK_OUTSIDE_MODEL'
  | 'SYMLINK_CYCLE'
  | 'FILE_READ_ERROR'
  | 'FILE_CHANGED_WHILE_HASHING'
  /** A listed file was swapped (another file, a link, a pipe) before it was opened for hashing. */
  | 'FILE_REPLACED'
  /** A file or folder name whose bytes are not valid UTF-8 (OMS names are UTF-8). */
  | 'FILE_NAME_NOT_UTF8'
  | 'CANCELLED'
  // options given by the caller
  | 'INVALID_OPTION'
  // keys and certificates
  | 'KEY_INVALID'
  | 'KEY_UNSUPPORTED'
  | 'KEY_PASSWORD_REQUIRED'
  /** A private key given where a public key is expected. */
  | 'KEY_IS_PRIVATE'
  | 'CERTIFICATE_INVALID'
  | 'CERTIFICATE_KEY_MISMATCH'
  // reading a signature
  | 'SIGNATURE_FILE_UNREADABLE'
  | 'BUNDLE_INVALID'
  | 'PAYLOAD_INVALID'
  // checking a signature
  | 'KEY_MISMATCH'
  | 'SIGNATURE_INVALID'
  | 'CERTIFICATE_CHAIN_INVALID'
  | 'CERTIFICATE_USAGE_INVALID'
  | 'ROOT_DIGEST_MISMATCH'
  | 'MANIFEST_MISMATCH'
  // Sigstore keyless
  | 'TRUST_CONFIG_INVALID'
  | 'SIGNING_SERVICE_FAILED'
  | 'IDENTITY_MISMATCH'
  | 'TLOG_INVALID'
  | 'TIMESTAMP_INVALID'
  // RFC 3161 timestamps of key and certificate signatures (sigstore/timestampAuthority.ts)
  /** The timestamp authority could not be reached or gave no timestamp. */
  | 'TIMESTAMP_FAILED'
  /** A timestamp signed by an authority the user does not trust. */
  | 'TIMESTAMP_UNTRUSTED'
  // OIDC identity tokens for keyless signing
  | 'IDENTITY_TOKEN_UNAVAILABLE'
  | 'IDENTITY_TOKEN_INVALID'
  | 'OIDC_LOGIN_FAILED'
  // signing with the GitHub account of the editor's session (sigstore/githubSession.ts)
  | 'GITHUB_API_FAILED'
  | 'LOGIN_IDENTITY_MISMATCH'
  // writing
  | 'WRITE_FAILED'
  /** The output file exists and replacing it was not allowed (provenance/attest.ts). */
  | 'OUTPUT_EXISTS'
  /** The output would land in a Hugging Face cache's own folders (blobs/, snapshots/, refs/, .no_exist/), which huggingface_hub reads as the repository. */
  | 'OUTPUT_IN_HF_CACHE'
  // SLSA provenance (provenance/*): a file that is no provenance, one that cannot be read, a key-signed one with no key given
  | 'PROVENANCE_INVALID'
  | 'PROVENANCE_UNREADABLE'
  | 'PUBLIC_KEY_REQUIRED'
  // verification policy files and settings (policy/policy.ts)
  | 'POLICY_INVALID'
  | 'POLICY_UNREADABLE'
  // PKCS #11 tokens (pkcs11/*): a malformed URI, a module that cannot be loaded, what the URI names not on the token, the PIN
  | 'PKCS11_URI_INVALID'
  | 'PKCS11_UNAVAILABLE'
  | 'PKCS11_MODULE_NOT_FOUND'
  | 'PKCS11_TOKEN_NOT_FOUND'
  | 'PKCS11_OBJECT_NOT_FOUND'
  | 'PKCS11_PIN_REQUIRED'
  | 'PKCS11_PIN_INCORRECT'
  | 'PKCS11_FAILED'
  // the Hugging Face Hub (hub/*): a repo, revision or file it does not have; access it refused; a failed or malformed answer
  | 'HUB_NOT_FOUND'
  | 'HUB_ACCESS_DENIED'
  | 'HUB_REQUEST_FAILED'
  | 'HUB_RESPONSE_INVALID'
  /** The signature's serialization (shards, or a hash other than sha256) cannot be checked from the Hub's listing. */
  | 'HUB_NEEDS_BYTES'
  /** A downloaded file's bytes differ from what the signature (and the listing) say. */
  | 'HUB_FILE_MISMATCH';

/**
 * The message is for people, so whatever it quotes (a file name, an identity, a provenance
 * field) is escaped with displayText: no error can rewrite a terminal or reorder a notification.
 * `data` keeps the values exactly.
 */
export class ModelSigningError<D extends object = Record<string, unknown>> extends Error {
  readonly code: ErrorCode;
  readonly data: D;
  override readonly cause?: unknown;

  constructor(code: ErrorCode, message: string, data?: D, cause?: unknown) {
    super(displayText(message));
    this.code = code;
    this.data = (data ?? {}) as D;
    this.cause = cause;
    this.name = new.target.name;
  }
}

/** The model could not be read or hashed. */
export class HashingError<D extends object = Record<string, unknown>> extends ModelSigningError<D> {}

/** A signature, key, certificate or option is malformed. */
export class FormatError<D extends object = Record<string, unknown>> extends ModelSigningError<D> {}

/** The signature does not hold: bad crypto, wrong key, untrusted chain, or the model differs. */
export class VerificationError<D extends object = Record<string, unknown>> extends ModelSigningError<D> {}

export function isModelSigningError(e: unknown): e is ModelSigningError {
  return e instanceof ModelSigningError;
}

/** Node's errno code of a caught error, if any. */
export function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined;
}
