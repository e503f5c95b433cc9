import { GITHUB_ACTIONS_ISSUER } from '../sigstore/fulcioClaims';
import type { SignerCheck, SignerInfo } from '../verifying/verifier';
import { compileGlob } from './glob';
import { compileIdentityRegex } from './identityRegex';

/*
 * A keyless signer, described by what its Fulcio certificate says: the OIDC
 * issuer (always, exactly), and the identity exactly, an anchored identity
 * regex, or the CI claims Fulcio copies from the token into its extensions
 * (1.3.6.1.4.1.57264.1.9–.20, read from the verified certificate, never from
 * the statement). "Anything our training workflow released" is
 *
 *   { "issuer": "https://token.actions.githubusercontent.com",
 *     "repository": "acme/models", "signerWorkflow": "acme/models/.github/workflows/train.yml",
 *     "sourceRef": "refs/tags/v*" }
 *
 * Meanings, as `gh attestation verify` and cosign give their flags:
 * `repository` is the Source Repository URI (gh --repo), `repositoryOwner` the
 * Source Repository Owner URI (gh --owner), both `org/repo` or a URL, compared
 * without case as GitHub names are; `signerWorkflow` the Build Signer URI
 * without its `@ref` (gh --signer-workflow: the reusable workflow when one
 * signed); `sourceRef` the Source Repository Ref, exactly or as a glob whose
 * `*` stays within one `/` part; `trigger` the Build Trigger (cosign
 * --certificate-github-workflow-trigger), `runnerEnvironment` the Runner
 * Environment (`github-hosted`, gh --deny-self-hosted-runners), the ids the
 * immutable Source Repository (Owner) Identifier, all exactly.
 */
export interface SigstoreIdentityRule {
  issuer: string;
  identity?: string;
  identityRegex?: string;
  repository?: string;
  repositoryId?: string;
  repositoryOwner?: string;
  repositoryOwnerId?: string;
  signerWorkflow?: string;
  sourceRef?: string;
  trigger?: string;
  runnerEnvironment?: string;
}

export type ClaimField = Exclude<keyof SigstoreIdentityRule, 'issuer' | 'identity' | 'identityRegex'>;

interface ClaimSpec {
  /** The certificate claim (certificateClaims' name) it is compared with. */
  claim: string;
  /** The extension, for messages. */
  extension: string;
  /** The value as written, in the form the certificate holds; a string is why it is refused. */
  normalize: (value: string) => string | { why: string };
  matches: (expected: string, actual: string) => boolean;
}

const exact = (expected: string, actual: string) => expected === actual;
const anyValue = (value: string) => value;
const digits = (value: string) => (/^[0-9]+$/.test(value) ? value : { why: 'must be the numeric id' });

/**
 * `org/repo`, `github.com/org/repo` or `https://github.com/org/repo` (a first name with a dot is a host), as a URL
 * with `parts` path names (at least that many, if `more`).
 */
function githubUrl(parts: number, what: string, more = false) {
  return (value: string): string | { why: string } => {
    const url = value.startsWith('https://') ? value : /^[^/]*\.[^/]*\//.test(value) ? `https://${value}` : `https://github.com/${value}`;
    const m = /^https:\/\/([^/@\s]+)((?:\/[^/@\s]+)+)\/?$/.exec(url);
    const count = m ? m[2]!.split('/').length - 1 : 0;
    if (!m || count < parts || (count > parts && !more)) return { why: `must be ${what}` };
    return `https://${m[1]}${m[2]}`;
  };
}

/** Host and the first `parts` path names compared without case (GitHub's names are not case-sensitive), the rest exactly. */
function sameNames(parts: number) {
  return (expected: string, actual: string): boolean => {
    const split = (u: string) => {
      const names = u.split('/');
      return [
        names
          .slice(0, 3 + parts)
          .join('/')
          .toLowerCase(),
        names.slice(3 + parts).join('/'),
      ];
    };
    const [a, b] = [split(expected), split(actual)];
    return a[0] === b[0] && a[1] === b[1];
  };
}

export const CLAIM_SPECS: Record<ClaimField, ClaimSpec> = {
  repository: {
    claim: 'sourceRepositoryUri',
    extension: 'Source Repository URI',
    normalize: githubUrl(2, 'a repository: org/repo or its URL'),
    matches: sameNames(2),
  },
  repositoryId: { claim: 'sourceRepositoryIdentifier', extension: 'Source Repository Identifier', normalize: digits, matches: exact },
  repositoryOwner: {
    claim: 'sourceRepositoryOwnerUri',
    extension: 'Source Repository Owner URI',
    normalize: githubUrl(1, 'an owner: org or its URL'),
    matches: sameNames(1),
  },
  repositoryOwnerId: { claim: 'sourceRepositoryOwnerIdentifier', extension: 'Source Repository Owner Identifier', normalize: digits, matches: exact },
  signerWorkflow: {
    claim: 'buildSignerUri',
    extension: 'Build Signer URI',
    normalize: (value) =>
      value.includes('@')
        ? { why: 'names the workflow without its @ref (give the ref as sourceRef)' }
        : githubUrl(3, 'a workflow file: org/repo/.github/workflows/NAME.yml, or its URL', true)(value),
    matches: (expected, actual) => sameNames(2)(expected, actual.replace(/@[^@]*$/, '')),
  },
  sourceRef: {
    claim: 'sourceRepositoryRef',
    extension: 'Source Repository Ref',
    normalize: (value) => {
      try {
        compileGlob(value, { caseInsensitive: false });
        return value;
      } catch (e) {
        return { why: `must be a ref or a glob of refs: ${e instanceof Error ? e.message : String(e)}` };
      }
    },
    matches: (expected, actual) => compileGlob(expected, { caseInsensitive: false }).test(actual),
  },
  trigger: { claim: 'buildTrigger', extension: 'Build Trigger', normalize: anyValue, matches: exact },
  runnerEnvironment: { claim: 'runnerEnvironment', extension: 'Runner Environment', normalize: anyValue, matches: exact },
};

export const CLAIM_FIELDS = Object.keys(CLAIM_SPECS) as ClaimField[];

/** Fields that say who signed; a rule needs one, as an issuer alone or a trigger alone accepts anyone. */
const WHO_FIELDS: ReadonlyArray<keyof SigstoreIdentityRule> = [
  'identity',
  'identityRegex',
  'repository',
  'repositoryId',
  'repositoryOwner',
  'repositoryOwnerId',
  'signerWorkflow',
];

/**
 * A rule's fields as given (a policy entry, flags), checked and in the form the certificate holds them;
 * `fail(field, why)` is called for the first wrong one and must throw.
 */
export function checkSignerRule(given: Partial<Record<keyof SigstoreIdentityRule, string>>, fail: (field: string, why: string) => never): SigstoreIdentityRule {
  if (given.issuer === undefined) fail('issuer', 'is required');
  const rule: SigstoreIdentityRule = { issuer: given.issuer };
  if (given.identity !== undefined) rule.identity = given.identity;
  if (given.identityRegex !== undefined) {
    try {
      compileIdentityRegex(given.identityRegex);
    } catch (e) {
      fail('identityRegex', (e as { data?: { why?: string } }).data?.why ?? String(e));
    }
    rule.identityRegex = given.identityRegex;
  }
  if (rule.identity !== undefined && rule.identityRegex !== undefined) fail('identityRegex', 'give either identity or identityRegex, not both');
  for (const field of CLAIM_FIELDS) {
    const value = given[field];
    if (value === undefined) continue;
    const normal = CLAIM_SPECS[field].normalize(value);
    if (typeof normal !== 'string') fail(field, normal.why);
    rule[field] = normal;
  }
  if (!WHO_FIELDS.some((f) => rule[f] !== undefined))
    fail('identity', `is required, or one of ${WHO_FIELDS.slice(1).join(', ')}: the issuer alone accepts anyone it signs for`);
  return rule;
}

type SigstoreSigner = Extract<SignerInfo, { method: 'sigstore' }>;

/** Every check the rule makes of the signer, passed or not, in the rule's field order. */
export function checkSigner(rule: SigstoreIdentityRule, signer: SigstoreSigner): SignerCheck[] {
  const checks: SignerCheck[] = [
    { field: 'issuer', certificate: 'OIDC Issuer', expected: rule.issuer, actual: signer.issuer, ok: signer.issuer === rule.issuer },
  ];
  if (rule.identity !== undefined)
    checks.push({ field: 'identity', certificate: 'SAN', expected: rule.identity, actual: signer.identity, ok: signer.identity === rule.identity });
  if (rule.identityRegex !== undefined) {
    const ok = compileIdentityRegex(rule.identityRegex).test(signer.identity);
    checks.push({ field: 'identityRegex', certificate: 'SAN', expected: rule.identityRegex, actual: signer.identity, ok });
  }
  const fields = CLAIM_FIELDS.filter((f) => rule[f] !== undefined);
  if (fields.length > 0 && signer.claimConflicts?.length) {
    checks.push({ field: 'claimConflicts', certificate: 'deprecated extensions', expected: 'none', actual: signer.claimConflicts.join('; '), ok: false });
  }
  for (const field of fields) {
    const spec = CLAIM_SPECS[field];
    const actual = signer.claims?.[spec.claim];
    const expected = rule[field]!;
    checks.push({
      field,
      certificate: spec.extension,
      expected,
      ...(actual !== undefined ? { actual } : {}),
      ok: actual !== undefined && spec.matches(expected, actual),
    });
  }
  return checks;
}

/** Whether the rule accepts the signer. */
export function signerMatches(rule: SigstoreIdentityRule, signer: SigstoreSigner): boolean {
  return checkSigner(rule, signer).every((c) => c.ok);
}

const LABELS: Record<ClaimField | 'identityRegex', string> = {
  identityRegex: 'identity matching',
  repository: 'repository',
  repositoryId: 'repository id',
  repositoryOwner: 'owner',
  repositoryOwnerId: 'owner id',
  signerWorkflow: 'workflow',
  sourceRef: 'ref',
  trigger: 'trigger',
  runnerEnvironment: 'runner',
};

/** The rule in one line: `alice@example.com (issuer …)`, or its claims: `workflow …, ref refs/tags/v* (issuer …)`. */
export function describeRule(rule: SigstoreIdentityRule): string {
  const parts = [
    ...(rule.identity !== undefined ? [rule.identity] : []),
    ...(['identityRegex', ...CLAIM_FIELDS] as const).filter((f) => rule[f] !== undefined).map((f) => `${LABELS[f]} ${rule[f]}`),
  ];
  return `${parts.join(', ')} (issuer ${rule.issuer})`;
}

/** A failed check in words: `Build Trigger is pull_request, not push`. */
export function describeFailedCheck(c: SignerCheck): string {
  if (c.field === 'claimConflicts') return `its deprecated and newer extensions disagree (${c.actual})`;
  const what = c.certificate;
  if (c.actual === undefined) return `the certificate has no ${what}`;
  return c.field === 'identityRegex' ? `${what} ${c.actual} does not match ${c.expected}` : `${what} is ${c.actual}, not ${c.expected}`;
}

/**
 * For a signer that is a GitHub Actions workflow: the rule that accepts that workflow of that repository at any
 * ref, by the certificate's claims (Build Signer URI without its ref, Source Repository URI and its immutable
 * id), from the same issuer. Undefined for any other signer, or a certificate whose claims disagree.
 */
export function workflowRuleOf(signer: SigstoreSigner): SigstoreIdentityRule | undefined {
  const c = signer.claims ?? {};
  if (signer.issuer !== GITHUB_ACTIONS_ISSUER || signer.claimConflicts?.length || !c.buildSignerUri || !c.sourceRepositoryUri) return undefined;
  const at = c.buildSignerUri.lastIndexOf('@');
  if (at < 0) return undefined;
  const given = {
    issuer: signer.issuer,
    repository: c.sourceRepositoryUri,
    ...(c.sourceRepositoryIdentifier ? { repositoryId: c.sourceRepositoryIdentifier } : {}),
    signerWorkflow: c.buildSignerUri.slice(0, at),
  };
  try {
    return checkSignerRule(given, (field, why) => {
      throw new Error(`${field} ${why}`);
    });
  } catch {
    return undefined;
  }
}
