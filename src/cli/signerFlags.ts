// The flags that describe a keyless signer by its certificate (`verify sigstore`, `provenance verify`): an exact
// identity, an anchored identity regex, or the Fulcio claims of a CI workflow; the issuer always, exactly.
import { SigstoreIdentityRule, checkSignerRule } from '../core/policy/signerRule';
import { OptionSpecs, Parsed, UsageError } from './args';

/** Each flag and the rule field it sets. */
const FIELDS: Record<string, keyof SigstoreIdentityRule> = {
  identity: 'identity',
  'identity-provider': 'issuer',
  'identity-regex': 'identityRegex',
  repository: 'repository',
  'repository-id': 'repositoryId',
  'repository-owner': 'repositoryOwner',
  'repository-owner-id': 'repositoryOwnerId',
  'signer-workflow': 'signerWorkflow',
  'source-ref': 'sourceRef',
  trigger: 'trigger',
  'runner-environment': 'runnerEnvironment',
};

/** The claim flags (beside `--identity` and `--identity-provider`, which each command declares its own way). */
export const SIGNER_CLAIM_OPTIONS: OptionSpecs = {
  'identity-regex': {
    kind: 'string',
    metavar: 'RE2',
    help: "The signer's identity as a regular expression (cosign's --certificate-identity-regexp, RE2 syntax), always anchored at both ends.",
  },
  repository: { kind: 'string', metavar: 'ORG/REPO', help: "The certificate's source repository (gh --repo), e.g. acme/models." },
  'repository-id': { kind: 'string', metavar: 'ID', help: "The source repository's immutable numeric id." },
  'repository-owner': { kind: 'string', metavar: 'ORG', help: "The source repository's owner (gh --owner)." },
  'repository-owner-id': { kind: 'string', metavar: 'ID', help: "The owner's immutable numeric id." },
  'signer-workflow': {
    kind: 'string',
    metavar: 'ORG/REPO/PATH',
    help: 'The workflow that signed, at any ref (gh --signer-workflow), e.g. acme/models/.github/workflows/train.yml.',
  },
  'source-ref': { kind: 'string', metavar: 'REF', help: 'The ref the workflow ran for, exactly or as a glob: refs/tags/v*.' },
  trigger: { kind: 'string', metavar: 'EVENT', help: 'The event that started the workflow, e.g. push (not pull_request).' },
  'runner-environment': { kind: 'string', metavar: 'ENV', help: 'Where the job ran: github-hosted (not self-hosted).' },
};

/** Whether any claim flag (or --identity-regex) was given. */
export function hasClaimFlags(p: Parsed): boolean {
  return Object.keys(SIGNER_CLAIM_OPTIONS).some((flag) => p.strings[flag] !== undefined);
}

/**
 * The rule the flags describe; a wrong or missing value is a usage error naming its flag. `identityFlag`:
 * whether the command has `--identity` (`provenance verify` names an exact signer with `--builder-id`).
 */
export function signerRuleFromFlags(p: Parsed, identityFlag = true): SigstoreIdentityRule {
  const given: Partial<Record<keyof SigstoreIdentityRule, string>> = {};
  for (const [flag, field] of Object.entries(FIELDS)) {
    const value = p.strings[flag];
    if (value === undefined) continue;
    if (value.trim() === '') throw new UsageError(`Invalid value for '--${flag}': it is empty.`);
    given[field] = value;
  }
  const flagOf = (field: string) => Object.keys(FIELDS).find((f) => FIELDS[f] === field) ?? field;
  return checkSignerRule(given, (field, why) => {
    if (field === 'issuer') throw new UsageError("Missing option '--identity-provider'.");
    if (field === 'identity' && given.identity === undefined) {
      const claims = '--identity-regex, --repository, --repository-owner or --signer-workflow';
      throw new UsageError(identityFlag ? `Missing option '--identity' (or describe the signer with ${claims}).` : `Name the signer with ${claims}.`);
    }
    throw new UsageError(`Invalid value for '--${flagOf(field)}': ${why}.`);
  });
}
