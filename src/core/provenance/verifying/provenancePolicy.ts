// The policy checks of one provenance document, with slsa-verifier's meaning
// for `--source-uri`, `--source-tag`, `--source-versioned-tag`,
// `--source-branch` and `--builder-id`. Which facts count depends on who signed:
// each signer family (policy/) says which documents are its own and checks them.
// Wherever the certificate and the predicate both state a fact, they must agree.
import { SigstoreIdentityRule, checkSigner, describeFailedCheck } from '../../policy/signerRule';
import { cloudBuildPolicy } from './policy/cloudBuild';
import { PolicyInput, PolicyOutcome, SignerFacts, SignerFamilyPolicy, SignerKind } from './policy/family';
import { gitHubWorkflowPolicy } from './policy/gitHubWorkflow';
import { otherSignerPolicy } from './policy/otherSigner';
import { slsaGitHubGeneratorPolicy } from './policy/slsaGitHubGenerator';
import { PolicyCheck, ProvenanceDocument, ProvenanceSignatureCheck, ProvenanceSummary } from '../types';

export type { PolicyInput, PolicyOutcome, SignerKind } from './policy/family';

/** The signer families, asked in turn, before anyone else's. A new family is one module and one line here. */
const FAMILIES: readonly SignerFamilyPolicy[] = [cloudBuildPolicy, slsaGitHubGeneratorPolicy, gitHubWorkflowPolicy];

function familyOf(input: SignerFacts): { family: SignerFamilyPolicy; kind: SignerKind } {
  for (const family of FAMILIES) {
    const kind = family.signerKind(input);
    if (kind) return { family, kind };
  }
  return { family: otherSignerPolicy, kind: otherSignerPolicy.signerKind(input) };
}

export function signerKind(document: ProvenanceDocument, summary: ProvenanceSummary, signature: ProvenanceSignatureCheck): SignerKind {
  return familyOf({ document, summary, signature }).kind;
}

/** Every policy check for one document; the caller adds the signature and the subjects. */
export function evaluateProvenancePolicy(input: PolicyInput): PolicyOutcome {
  const policy = input.policy ?? {};
  const outcome = familyOf(input).family.evaluate(input, policy);
  if (policy.issuer !== undefined) outcome.checks.push(issuerCheck(input.signature, policy.issuer));
  if (policy.signer) outcome.checks.push(...signerClaimChecks(input.signature, policy.signer));
  return outcome;
}

/** Each claim the signer rule names, read from the verified certificate (the issuer is issuerCheck's). */
function signerClaimChecks(signature: ProvenanceSignatureCheck, rule: SigstoreIdentityRule): PolicyCheck[] {
  const c = signature.certificate;
  const signer = { method: 'sigstore' as const, identity: c?.subjectAlternativeName ?? '', issuer: c?.issuer ?? '', claims: c?.claims ?? {} };
  return checkSigner(rule, signer)
    .filter((check) => check.field !== 'issuer')
    .map((check) => ({
      name: 'signer-claim' as const,
      ok: c !== undefined && check.ok,
      expected: check.expected,
      ...(check.actual !== undefined && c ? { actual: check.actual } : {}),
      message: !c
        ? `expected a certificate whose ${check.certificate} is ${check.expected}, but the provenance is not signed with a certificate`
        : check.ok
          ? `the certificate's ${check.certificate} is ${check.actual ?? ''}${check.field === 'identityRegex' ? `, matching ${check.expected}` : ''}`
          : describeFailedCheck(check),
    }));
}

/** Any signer: the certificate names the expected OIDC issuer, exactly (a key has none, so it fails). */
function issuerCheck(signature: ProvenanceSignatureCheck, expected: string): PolicyCheck {
  const actual = signature.certificate?.issuer;
  const ok = actual === expected;
  return {
    name: 'issuer',
    ok,
    expected,
    ...(actual !== undefined ? { actual } : {}),
    message: ok
      ? `the certificate's issuer is ${expected}`
      : actual === undefined
        ? `expected a certificate from ${expected}, but no certificate names an issuer`
        : `issuer mismatch: the certificate names ${actual}, not ${expected}`,
  };
}
