// What every signer family's policy module provides, and the checks they share.
// A family decides which documents are its own (by who signed them) and what
// the facts of those documents are worth.
import { PolicyCheck, ProvenanceDocument, ProvenancePolicy, ProvenanceSignatureCheck, ProvenanceSummary } from '../../types';

export interface PolicyInput {
  document: ProvenanceDocument;
  summary: ProvenanceSummary;
  signature: ProvenanceSignatureCheck;
  policy?: ProvenancePolicy;
}

export interface PolicyOutcome {
  checks: PolicyCheck[];
  /** The builder the checks vouch for, when they do. */
  verifiedBuilderId?: string;
  /** Who signed, in one line. */
  signer: string;
  sourceFrom?: 'certificate' | 'predicate';
}

/** Who signed a document, which decides what its facts are worth. */
export type SignerKind = 'slsa-github-generator' | 'github-workflow' | 'cloud-build' | 'certificate' | 'key';

/** One family of signers: which documents are its own, and their policy checks. */
export interface SignerFamilyPolicy {
  /** The kind of signer, when the document is this family's. */
  signerKind(input: SignerFacts): SignerKind | undefined;
  evaluate(input: PolicyInput, policy: ProvenancePolicy): PolicyOutcome;
}

export type SignerFacts = Pick<PolicyInput, 'document' | 'summary' | 'signature'>;

/** The family asked last, which takes every document the others leave. */
export interface FallbackFamilyPolicy extends SignerFamilyPolicy {
  signerKind(input: SignerFacts): SignerKind;
}

/** A failed source-uri check for a builder anyone can run: without an expected source, any repository's build would pass. */
export function sourceRequired(actual: string | undefined, why: string): PolicyCheck {
  return {
    name: 'source-uri',
    ok: false,
    ...(actual ? { actual } : {}),
    message: `no expected source: ${why} (slsa-verifier requires one)${actual ? `; this was built from ${actual}` : ''}`,
    hint: { expect: 'source-uri', ...(actual ? { value: actual } : {}) },
  };
}

/** Whether the builder is trusted: the builder checks hold (source and ref checks are apart). */
export function trusted(checks: PolicyCheck[]): boolean {
  return checks.filter((c) => c.name === 'trusted-builder' || c.name === 'builder-id' || c.name === 'certificate-agrees').every((c) => c.ok);
}
