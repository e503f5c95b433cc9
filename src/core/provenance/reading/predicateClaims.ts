// Where a predicate and a Fulcio certificate say the same thing in two places:
// the repository, ref, commit, workflow, trigger and run of a GitHub Actions
// build. The certificate's values come from GitHub's OIDC token (authenticated);
// the predicate's are written by whoever signed. Every pair found is compared.
import { isObject, obj, str } from '../json';
import { repoOf, runOf } from './summary';
import { CertificateClaims, InTotoStatement } from '../types';

/** A certificate value a predicate field can be compared with (some derived from the raw claims). */
export type CertificateFact =
  | 'buildSignerUri'
  | 'sourceRepositoryUri'
  | 'sourceRepositoryRef'
  | 'sourceRepositoryDigest'
  | 'sourceRepositoryIdentifier'
  | 'sourceRepositoryOwnerIdentifier'
  | 'buildConfigUri'
  | 'buildConfigPath'
  | 'buildConfigDigest'
  | 'buildTrigger'
  | 'runInvocationUri'
  | 'runId'
  | 'runAttempt'
  | 'runnerEnvironment';

/** One predicate field that names something the certificate also names. */
export interface PredicateFact {
  /** Where in the predicate, e.g. `predicate.invocation.environment.github_ref`. */
  field: string;
  fact: CertificateFact;
  value: string;
}

/** Every GitHub Actions fact a predicate states, whatever its version and build type. */
export function predicateFacts(statement: Pick<InTotoStatement, 'predicate'>): PredicateFact[] {
  const p = obj(statement.predicate);
  const facts: PredicateFact[] = [];
  const add = (field: string, fact: CertificateFact, value: unknown) => {
    const v = str(value);
    if (v !== undefined) facts.push({ field, fact, value: v });
  };
  const source = (field: string, uri: unknown, digest: unknown) => {
    const u = str(uri);
    if (u?.startsWith('git+https://')) {
      add(`${field}.uri (repository)`, 'sourceRepositoryUri', repoOf(u));
      const at = u.indexOf('@');
      if (at >= 0) add(`${field}.uri (ref)`, 'sourceRepositoryRef', u.slice(at + 1));
    }
    const d = obj(digest);
    add(`${field}.digest`, 'sourceRepositoryDigest', d.gitCommit ?? d.sha1);
  };

  // SLSA v1.
  const def = obj(p.buildDefinition);
  const run = obj(p.runDetails);
  if (Object.keys(def).length > 0 || Object.keys(run).length > 0) {
    add('predicate.runDetails.builder.id', 'buildSignerUri', obj(run.builder).id);
    const invocation = str(obj(run.metadata).invocationId);
    if (invocation && runOf(invocation)) add('predicate.runDetails.metadata.invocationId', 'runInvocationUri', invocation);
    const deps = Array.isArray(def.resolvedDependencies) ? def.resolvedDependencies : [];
    // The dependency summary.ts shows as the source (the first git+ one, else the first), so what is shown is what is checked.
    const git = deps.findIndex((d) => str(obj(d).uri)?.startsWith('git+'));
    const at = git >= 0 ? git : 0;
    if (deps.length > 0) source(`predicate.buildDefinition.resolvedDependencies[${at}]`, obj(deps[at]).uri, obj(deps[at]).digest);
    const ext = obj(def.externalParameters);
    const wf = obj(ext.workflow);
    const wfBase = 'predicate.buildDefinition.externalParameters.workflow';
    add(`${wfBase}.repository`, 'sourceRepositoryUri', wf.repository);
    add(`${wfBase}.ref`, 'sourceRepositoryRef', wf.ref);
    add(`${wfBase}.path`, 'buildConfigPath', wf.path);
    const internal = obj(def.internalParameters);
    const gh = obj(internal.github);
    const ghBase = 'predicate.buildDefinition.internalParameters.github';
    add(`${ghBase}.event_name`, 'buildTrigger', gh.event_name);
    add(`${ghBase}.repository_id`, 'sourceRepositoryIdentifier', gh.repository_id);
    add(`${ghBase}.repository_owner_id`, 'sourceRepositoryOwnerIdentifier', gh.repository_owner_id);
    add(`${ghBase}.runner_environment`, 'runnerEnvironment', gh.runner_environment);
    githubEnvironment(internal, 'predicate.buildDefinition.internalParameters', true, add);
  }

  // SLSA v0.2.
  const invocation = obj(p.invocation);
  if (Object.keys(invocation).length > 0 || isObject(p.builder)) {
    if (!isObject(p.recipe)) add('predicate.builder.id', 'buildSignerUri', obj(p.builder).id);
    const config = obj(invocation.configSource);
    source('predicate.invocation.configSource', config.uri, config.digest);
    add('predicate.invocation.configSource.entryPoint', 'buildConfigPath', config.entryPoint);
    const materials = Array.isArray(p.materials) ? p.materials : [];
    if (materials.length > 0) source('predicate.materials[0]', obj(materials[0]).uri, obj(materials[0]).digest);
    githubEnvironment(obj(invocation.environment), 'predicate.invocation.environment', false, add);
    const id = str(obj(p.metadata).buildInvocationID);
    const m = /^([0-9]+)-([0-9]+)$/.exec(id ?? '');
    if (m) {
      add('predicate.metadata.buildInvocationID (run)', 'runId', m[1]);
      add('predicate.metadata.buildInvocationID (attempt)', 'runAttempt', m[2]);
    }
  }
  return facts;
}

/** The `GITHUB_*` variables slsa-github-generator records (upper case in v1, `github_*` in v0.2). */
function githubEnvironment(
  env: Record<string, unknown>,
  base: string,
  upper: boolean,
  add: (field: string, fact: CertificateFact, value: unknown) => void,
): void {
  const key = (k: string) => (upper ? `GITHUB_${k.toUpperCase()}` : `github_${k}`);
  const get = (k: string) => env[key(k)];
  add(`${base}.${key('event_name')}`, 'buildTrigger', get('event_name'));
  add(`${base}.${key('ref')}`, 'sourceRepositoryRef', get('ref'));
  add(`${base}.${key(upper ? 'sha' : 'sha1')}`, 'sourceRepositoryDigest', get(upper ? 'sha' : 'sha1'));
  add(`${base}.${key('repository_id')}`, 'sourceRepositoryIdentifier', get('repository_id'));
  add(`${base}.${key('repository_owner_id')}`, 'sourceRepositoryOwnerIdentifier', get('repository_owner_id'));
  add(`${base}.${key('run_id')}`, 'runId', get('run_id'));
  add(`${base}.${key('run_attempt')}`, 'runAttempt', get('run_attempt'));
  const repo = str(get('repository'));
  if (repo) add(`${base}.${key('repository')}`, 'sourceRepositoryUri', `https://github.com/${repo}`);
  const workflowRef = str(get('workflow_ref'));
  if (workflowRef) add(`${base}.${key('workflow_ref')}`, 'buildConfigUri', `https://github.com/${workflowRef}`);
  add(`${base}.${key('workflow_sha')}`, 'buildConfigDigest', get('workflow_sha'));
}

/** The certificate's side of each fact, derived where the certificate holds it in another form. */
export function certificateFacts(c: CertificateClaims): Partial<Record<CertificateFact, string>> {
  const claims = c.claims;
  const out: Partial<Record<CertificateFact, string>> = {};
  const keys: CertificateFact[] = [
    'sourceRepositoryUri',
    'sourceRepositoryRef',
    'sourceRepositoryDigest',
    'sourceRepositoryIdentifier',
    'sourceRepositoryOwnerIdentifier',
    'buildConfigUri',
    'buildConfigDigest',
    'buildTrigger',
    'runInvocationUri',
    'runnerEnvironment',
  ];
  for (const k of keys) if (claims[k]) out[k] = claims[k];
  out.buildSignerUri = claims.buildSignerUri ?? c.subjectAlternativeName;
  const repo = claims.sourceRepositoryUri;
  const config = claims.buildConfigUri;
  if (repo && config?.startsWith(`${repo}/`)) {
    const rest = config.slice(repo.length + 1);
    const at = rest.lastIndexOf('@');
    out.buildConfigPath = at < 0 ? rest : rest.slice(0, at);
  }
  const runIds = runOf(claims.runInvocationUri);
  if (runIds) {
    out.runId = runIds.id;
    if (runIds.attempt) out.runAttempt = runIds.attempt;
  }
  return out;
}
