// The CLI's --json outputs, typed once as src/cli writes them (report.ts's toJson for `verify`,
// provenanceReport.ts and provenanceShow.ts for `provenance`), so tests read fields, never `any`.
import type {
  InTotoStatement,
  ManifestDiff,
  PolicyCheck,
  ProvenanceDocument,
  ProvenanceReport,
  ProvenanceSignatureCheck,
  ProvenanceSummary,
  ReportCheck,
  ReportVerdict,
  ResourceDescriptor,
  SignerCheck,
  SignerInfo,
  SigningTime,
  SubjectMatch,
  TrustRootSource,
} from '../../src/core';

/** `verify --json`. */
export interface VerifyJson {
  verified: boolean;
  signer: SignerInfo;
  model: { name: string; rootDigest: string };
  serialization: { method: string; hashType: string; allowSymlinks: boolean; shardSize?: number; ignorePaths: string[] };
  resources: ResourceDescriptor[];
  diff: ManifestDiff;
  warnings: string[];
  trustRoot?: { source: TrustRootSource; date: string; path?: string };
  /** Key and certificate signatures: the time the signature was checked at, and why. */
  validatedAt?: SigningTime;
  signerChecks?: SignerCheck[];
}

/** One statement of a provenance file, as both `provenance show` and `provenance verify` print it. */
export interface ProvenanceDocumentJson {
  file: string;
  index: number;
  form: ProvenanceDocument['form'];
  mediaType?: string;
  gcb?: ProvenanceDocument['gcb'];
  statement: InTotoStatement;
}

/** `provenance show --json`. */
export interface ProvenanceShowJson {
  statements: Array<ProvenanceDocumentJson & { summary: ProvenanceSummary; signer?: string; verified: false }>;
}

/** One report of `provenance verify --json`. */
export interface ProvenanceReportJson extends ProvenanceDocumentJson {
  ok: boolean;
  verdict: ReportVerdict;
  summary: ProvenanceSummary;
  signer?: string;
  verifiedBuilderId?: string;
  sourceFrom?: ProvenanceReport['sourceFrom'];
  signature: ProvenanceSignatureCheck;
  policy: PolicyCheck[];
  modelRootDigest?: string;
  subjects: SubjectMatch[];
  uncoveredFiles?: string[];
  checks: ReportCheck[];
  trustRoot?: ProvenanceReport['trustRoot'];
  warnings?: string[];
}

/** `provenance verify --json`. */
export interface ProvenanceVerifyJson {
  verified: boolean;
  reports: ProvenanceReportJson[];
}

export const verifyJson = (stdout: string): VerifyJson => JSON.parse(stdout) as VerifyJson;
export const provenanceShowJson = (stdout: string): ProvenanceShowJson => JSON.parse(stdout) as ProvenanceShowJson;
export const provenanceVerifyJson = (stdout: string): ProvenanceVerifyJson => JSON.parse(stdout) as ProvenanceVerifyJson;

/** The identity of a keyless signer; undefined for a key or a certificate. */
export function signerIdentity(signer: SignerInfo): string | undefined {
  return signer.method === 'sigstore' ? signer.identity : undefined;
}
