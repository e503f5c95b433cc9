// The shapes of provenance as the core reads, checks and creates it. The CLI
// (`model-signing provenance`, `attest`) and the extension's provenance panel
// both work from these; nothing here imports `vscode`.
import type { SigstoreIdentityRule } from '../policy/signerRule';
import type { CertificateClaims } from '../sigstore/fulcioClaims';
import type { ModelFormat } from '../formats/types';
import type { HashPool } from '../hashing/hashPool';
import type { TrustConfig } from '../sigstore/trustConfig';
import type { Bundle, DsseEnvelope } from '../signing/bundle';

export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
export const SLSA_PROVENANCE_V02 = 'https://slsa.dev/provenance/v0.2';
export const SLSA_PROVENANCE_V01 = 'https://slsa.dev/provenance/v0.1';
export const IN_TOTO_STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

/** The name of the reader (reading/forms/) that read a statement: 'sigstore-bundle', 'dsse', 'gcb'. Shown only; nothing decides on it. */
export type ProvenanceForm = string;

/** The ways a key may have signed a DSSE envelope: over the DSSE PAE, or (Cloud Build's regional keys) over the raw payload. */
export type SignatureScheme = 'dsse-signature' | 'raw-signature';

/** How a key signature over a statement is checked and named; its reader decides, from the form. */
export interface KeySignatureRules {
  /** What is said when no public key is given (before ": give its public key …"). */
  keyRequired: string;
  /** For each of the envelope's signatures, in order: the schemes to try, first to last. */
  schemes: SignatureScheme[][];
  /** What names a verified signer: its `keyid` (a KMS key name, shown only) or the given key's own hint (a DSSE keyid is not signed). */
  signerName: 'keyid' | 'public-key';
  /** The step a signature no key verifies is reported under. */
  failedStep: SignatureScheme;
}

/** How people are told what a statement is and where it sits in its file (the CLI report, the viewer). */
export interface ProvenanceLabel {
  /** The form in a few words: 'Sigstore bundle', 'DSSE envelope', 'Google Cloud Build provenance'. */
  form: string;
  /** The form with its detail, as the CLI report's header says it (a bundle's media type). */
  formDetail: string;
  /** What a position in the file is called ('line', 'Cloud Build item'), and whether it is said for a file's only statement. */
  position: { noun: string; always: boolean };
}

/** An in-toto statement's subject. */
export interface Subject {
  name: string;
  digest: Record<string, string>;
}

/** An in-toto statement, as parsed (predicate kept raw). */
export interface InTotoStatement {
  _type: string;
  subject: Subject[];
  predicateType: string;
  predicate: unknown;
}

/** Cloud Build's occurrence: its KMS key name (`keyid`) and region, and what gcloud printed beside the envelope. */
export interface CloudBuildOccurrence {
  keyId: string;
  region?: string;
  /** Whether `build.intotoStatement` (or `inTotoSlsaProvenanceV1`), the unsigned text copy, equals the signed statement; absent when there is no copy. */
  unsignedStatementMatches?: boolean;
  /** The occurrence's `kind` (Cloud Build writes `BUILD`). */
  kind?: string;
  /** The occurrence's `resourceUri` (`…@sha256:<hex>`). */
  resourceUri?: string;
  /** `image_summary.digest` and `fully_qualified_digest` of the gcloud output. */
  imageDigest?: string;
  fullyQualifiedDigest?: string;
}

/** One signed statement found in a provenance file. */
export interface ProvenanceDocument {
  form: ProvenanceForm;
  /** The file it was read from. */
  file: string;
  /** 0-based position within the file (line of a `.jsonl`, item of a GCB list); 0 otherwise. */
  index: number;
  envelope: DsseEnvelope;
  /** Present when the statement came in a Sigstore bundle. */
  bundle?: Bundle;
  /** PEM of the signing certificate when the envelope carries one (`signatures[].cert`) or the bundle does. */
  certificatePem?: string;
  /** Cloud Build's occurrence, when the statement came from gcloud. */
  gcb?: CloudBuildOccurrence;
  /** Said of it in reports and the viewer. */
  label: ProvenanceLabel;
  /** How a public key's signature over it is checked. */
  keySignature: KeySignatureRules;
  /** One of several provenances of one artifact (gcloud lists all of an image's): skipped, not failed, when its signature fails and another's verifies. */
  alternative: boolean;
  /** The DSSE payload bytes (decoded from standard or URL-safe base64). */
  payload: Buffer;
  statement: InTotoStatement;
}

/** The facts of a predicate, normalised across SLSA v0.1, v0.2, v1 and Cloud Build. Absent fields are unknown. */
export interface ProvenanceSummary {
  predicateType: string;
  /** v1 buildType, v0.2 buildType, v0.1 recipe.type. */
  buildType?: string;
  builderId?: string;
  /** The source repository as the predicate names it (e.g. `git+https://github.com/org/repo@refs/tags/v1`). */
  sourceUri?: string;
  /** The commit (sha1 or gitCommit digest) of the source. */
  sourceCommit?: string;
  /** The git ref built (`refs/tags/v1`, `refs/heads/main`), when known. */
  sourceRef?: string;
  /** Workflow file, ref and repository (GitHub builders). */
  workflow?: { path?: string; ref?: string; repository?: string };
  /** The run that built it: id, attempt and a link. */
  run?: { id?: string; attempt?: string; url?: string };
  /** The event that triggered the build (push, workflow_dispatch, …). */
  trigger?: string;
  /** External (v1) or build-config parameters, raw. */
  parameters?: unknown;
  /** Internal/system parameters, raw. */
  internalParameters?: unknown;
  /** Materials (v0.x) or resolvedDependencies (v1). */
  dependencies: Array<{ uri?: string; name?: string; digest?: Record<string, string> }>;
  startedOn?: string;
  finishedOn?: string;
  /** The predicate is not SLSA provenance: shown raw, never rejected for that alone. */
  unknownPredicate?: boolean;
}

/** What the signature check found. */
export interface ProvenanceSignatureCheck {
  /**
   * 'verified': signature, chain and (if any) log evidence hold.
   * 'incomplete': signature and chain hold but the signing time could not be proven offline (no log entry or timestamp).
   * 'failed': any check failed (see `error`).
   */
  status: 'verified' | 'incomplete' | 'failed';
  method: 'sigstore' | 'key';
  /** From the Fulcio certificate: SAN, issuer, and GitHub workflow claims (OIDs 1.3.6.1.4.1.57264.1.*). */
  certificate?: CertificateClaims;
  /** For a key: its SHA-256 hint or KMS key id. */
  keyId?: string;
  transparencyLog: 'present' | 'absent';
  /** When the signature was made, as proven by the log or a timestamp (ISO 8601). */
  signedAt?: string;
  error?: { code: string; message: string };
  /** Each cryptographic step and its outcome, in the order they were checked. */
  steps?: SignatureStep[];
  /** For a certificate with no signing-time evidence: the moment inside its validity at which its chain was checked (ISO 8601). */
  chainCheckedAt?: string;
}

/** One step of a signature check: 'absent' when the evidence is not in the file. */
export interface SignatureStep {
  name: 'dsse-signature' | 'raw-signature' | 'public-key' | 'certificate-chain' | 'transparency-log' | 'timestamp' | 'signing-time';
  status: 'ok' | 'failed' | 'absent';
  detail?: string;
}

/** The signer as its Fulcio certificate names it (read by the keyless method's reader). */
export type { CertificateClaims };

/** The user's expectations, with slsa-verifier's meaning. */
export interface ProvenancePolicy {
  /** `github.com/org/repo` (scheme optional). */
  sourceUri?: string;
  sourceTag?: string;
  sourceVersionedTag?: string;
  sourceBranch?: string;
  /** Builder id, with or without `@ref`. */
  builderId?: string;
  /** The OIDC issuer the signing certificate must name, compared exactly (as `verify sigstore --identity-provider`). */
  issuer?: string;
  /** The signer its certificate's claims must describe (its issuer is `issuer`), as for `verify sigstore`. */
  signer?: SigstoreIdentityRule;
}

/** One policy check and its outcome. */
export interface PolicyCheck {
  name:
    | 'source-uri'
    | 'source-tag'
    | 'source-versioned-tag'
    | 'source-branch'
    | 'builder-id'
    | 'trusted-builder'
    | 'certificate-agrees'
    /** The certificate's OIDC issuer is the expected one (`--identity-provider`). */
    | 'issuer'
    /** A claim of the signing certificate is the expected one (`--repository`, `--signer-workflow`, `--identity-regex`, ...). */
    | 'signer-claim'
    /** Cloud Build: the unsigned text copy of the statement equals the signed one. */
    | 'unsigned-statement'
    /** Cloud Build: the occurrence is a BUILD and its resourceUri and image digests name a subject. */
    | 'gcb-metadata';
  ok: boolean;
  expected?: string;
  actual?: string;
  message: string;
  /** What the user can set to make a failed check pass; the CLI names it as its flag, the provenance viewer as its control. */
  hint?: PolicyHint;
}

/**
 * An expectation the user can give (`--source-uri`, `--builder-id`, `--public-key`; the viewer's Expected Source and
 * Builder… and Verify With a Public Key…), and the value that would do.
 */
export interface PolicyHint {
  expect: 'source-uri' | 'builder-id' | 'public-key';
  value?: string;
  /** Or this one instead. */
  or?: PolicyHint;
}

/** A subject against the model on disk. */
export interface SubjectMatch {
  subject: Subject;
  /**
   * 'root-digest': its sha256 is the model's OMS root digest (whatever the subject or the folder is called);
   * 'file': a folder's file bound by name and digest, or a single-file model matched by digest (slsa-verifier's meaning);
   * 'none': neither.
   */
  matchedBy: 'file' | 'root-digest' | 'none';
  /** Model-relative POSIX paths of the files it binds (the file of its name; for a single file, the file itself). */
  files: string[];
  /**
   * 'ok': it holds. 'failed': it fails the report (a folder's subject that binds nothing: a file missing, renamed
   * or changed, or a model whose root digest changed). 'other-artifact': a single-file model's subject for another
   * artifact, which says nothing about this one (slsa-verifier matches an artifact to any subject by digest).
   */
  status: 'ok' | 'failed' | 'other-artifact';
  /** The subject's name is a file of the model, but its digest differs: a changed file. */
  changedFile?: string;
  /** A folder's files with this subject's digest under another name: the named file renamed or copied. */
  sameContent?: string[];
  /** The subject is named after the model folder but its digest is not the model's root digest. */
  changedModel?: boolean;
  /** The detected model format of the matched (or named) file, when it is a model file. */
  format?: ModelFormat;
}

/** One line of a report's verdict: what was checked and how it came out. */
export interface ReportCheck {
  kind: 'signature' | 'policy' | 'subject' | 'file';
  /** The policy check's name, the subject's name, or the file's model-relative path. */
  name: string;
  /** 'pass' and 'fail' decide the verdict; 'skip' marks a statement left out (see ProvenanceReport.verdict); 'info' says nothing about it. */
  status: 'pass' | 'fail' | 'skip' | 'info';
  message: string;
  /** A policy check's hint (PolicyCheck.hint). */
  hint?: PolicyHint;
}

/** A statement's verdict: 'skipped' only for a Cloud Build item whose signature did not verify while another item's did. */
export type ReportVerdict = 'ok' | 'failed' | 'skipped';

/** Everything known about one signed statement, checked against a model. */
export interface ProvenanceReport {
  document: ProvenanceDocument;
  summary: ProvenanceSummary;
  signature: ProvenanceSignatureCheck;
  policy: PolicyCheck[];
  /** Empty when no model path was given. */
  subjects: SubjectMatch[];
  /** The model's OMS root digest (`sha256:<hex>`), when a model was given. */
  modelRootDigest?: string;
  /**
   * Model-relative paths of the model's files no subject covers: of a folder, unless a subject is its root digest,
   * those no subject names; of a single file, the file when no subject has its digest. Any fails the report.
   */
  uncoveredFiles?: string[];
  /** Every check, in order: the signature, each policy check, each subject, each uncovered file. The verdict is made from these alone. */
  checks: ReportCheck[];
  /** verdictOf(checks). */
  verdict: ReportVerdict;
  /** verdict === 'ok'. */
  ok: boolean;
  /** The builder as verified (slsa-verifier's "Verified build using builder …"): the certificate's workflow, or the predicate's builder for BYOB and Cloud Build; absent when no builder could be trusted. */
  verifiedBuilderId?: string;
  /** Who signed it, in one line: the certificate SAN (and issuer), or the key id. */
  signer?: string;
  /** Where the source facts used by the policy came from: the signing certificate (authenticated) or only the predicate (a claim). */
  sourceFrom?: 'certificate' | 'predicate';
  /** The Sigstore trusted root certificates were checked against, when one was needed. */
  trustRoot?: { source: 'embedded' | 'tuf' | 'trust-config' | 'staging'; date: string; path?: string };
  /** Said, never fatal: e.g. a trusted root that could not be refreshed. */
  warnings?: string[];
}

export interface VerifyProvenanceOptions {
  /** The model folder (or single file) the subjects are matched against; omit to check signature and policy only. */
  modelPath?: string;
  policy?: ProvenancePolicy;
  /** Sigstore trust material (default: the production root, offline). */
  trustConfigPath?: string;
  /** Sigstore trust material already loaded; wins over `trustConfigPath`. */
  trustConfig?: TrustConfig;
  /** A PEM public key for key-signed provenance (GCB's KMS key, or `attest --method key`). */
  publicKeyPath?: string;
  /** Accept a Sigstore signature with no log entry or timestamp (status 'incomplete') as ok. Default false. */
  allowIncomplete?: boolean;
  /** Where the model is hashed (the worker pool); default a WorkerHashPool on dist/hashWorker.js when it exists beside the bundle, else hashing inline. */
  pool?: HashPool;
  /** More paths left out of the model, absolute or relative to it (the provenance file is always left out). */
  ignorePaths?: readonly string[];
  /** Leave out `.git`, `.gitattributes`, `.github`, `.gitignore` at the model root (default true, as `model-signing digest`). */
  ignoreGitPaths?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}
