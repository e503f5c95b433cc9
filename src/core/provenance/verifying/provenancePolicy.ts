// The policy checks of one provenance document, with slsa-verifier's meaning
// for `--source-uri`, `--source-tag`, `--source-versioned-tag`,
// `--source-branch` and `--builder-id`. Which facts count depends on who signed:
//  - slsa-github-generator's reusable workflows (certificate SAN): trusted by
//    default at release tags; the BYOB delegators vouch for the builder the
//    predicate names;
//  - any other GitHub Actions workflow (GitHub artifact attestations, `attest`
//    in CI): the signer and the source come from the certificate, never from
//    the predicate; trusted when `--builder-id` names it, or when it is a
//    workflow of the `--source-uri` repository itself (`gh attestation verify --repo`);
//  - Cloud Build (its KMS key): GoogleHostedWorker v0.2/v0.3 (v0.1 predicates)
//    or v1, with the source and tag as the signed predicate says;
//  - anyone else (an email identity, a key): `--builder-id` names the signer
//    (the SAN, or for a key its id or the builder the key vouches for), and the
//    predicate's source is a claim of that signer.
// Wherever the certificate and the predicate both state a fact, they must agree.
import { cloudBuildPolicy } from './policy/cloudBuild';
import { PolicyInput, PolicyOutcome, SignerFamilyPolicy, SignerKind } from './policy/family';
import { gitHubWorkflowPolicy } from './policy/gitHubWorkflow';
import { otherSignerPolicy } from './policy/otherSigner';
import { slsaGitHubGeneratorPolicy } from './policy/slsaGitHubGenerator';
import { PolicyCheck, ProvenanceDocument, ProvenanceSignatureCheck, ProvenanceSummary } from '../types';

export type { PolicyInput, PolicyOutcome, SignerKind } from './policy/family';

/** The signer families, asked in turn; the last takes any document. A new family is one module and one line here. */
const FAMILIES: readonly SignerFamilyPolicy[] = [cloudBuildPolicy, slsaGitHubGeneratorPolicy, gitHubWorkflowPolicy, otherSignerPolicy];

function familyOf(input: Pick<PolicyInput, 'document' | 'summary' | 'signature'>): { family: SignerFamilyPolicy; kind: SignerKind } {
  for (const family of FAMILIES) {
    const kind = family.signerKind(input);
    if (kind) return { family, kind };
  }
  throw new Error('unreachable: the last signer family takes any document');
}

export function signerKind(document: ProvenanceDocument, summary: ProvenanceSummary, signature: ProvenanceSignatureCheck): SignerKind {
  return familyOf({ document, summary, signature }).kind;
}

/** Every policy check for one document; the caller adds the signature and the subjects. */
export function evaluateProvenancePolicy(input: PolicyInput): PolicyOutcome {
  const policy = input.policy ?? {};
  const outcome = familyOf(input).family.evaluate(input, policy);
  if (policy.issuer !== undefined) outcome.checks.push(issuerCheck(input.signature, policy.issuer));
  return outcome;
}

/** Any signer: the certificate names the expected OIDC issuer, exactly (a key has none, so it fails). */
function issuerCheck(signature: ProvenanceSignatureCheck, expected: string): PolicyCheck {
  const actual = signature.certificate?.issuer;
  const ok = actual === expected;
  return {
    name: 'issuer', ok, expected, ...(actual !== undefined ? { actual } : {}),
    message: ok ? `the certificate's issuer is ${expected}` : actual === undefined ? `expected a certificate from ${expected}, but no certificate names an issuer` : `issuer mismatch: the certificate names ${actual}, not ${expected}`,
  };
}
