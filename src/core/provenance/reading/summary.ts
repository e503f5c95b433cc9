// The facts of a provenance predicate in one shape, whatever its version:
// SLSA v1 (`buildDefinition` / `runDetails`), v0.2 (`builder`, `invocation`,
// `materials`) and v0.1 as Cloud Build writes it (`recipe`). Nothing here is
// trusted: these are the predicate's claims, for display and for the policy to
// compare with what the signature proves. Unknown predicates are kept raw.
import { JsonObject as Json, arr, isObject, obj, str } from '../json';
import { InTotoStatement, ProvenanceSummary, SLSA_PROVENANCE_V01, SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1 } from '../types';

/** Normalises the predicate of a statement; an unknown predicate type gives `unknownPredicate` and no facts. */
export function summarizeProvenance(statement: Pick<InTotoStatement, 'predicateType' | 'predicate'>): ProvenanceSummary {
  const p = isObject(statement.predicate) ? statement.predicate : {};
  switch (statement.predicateType) {
    case SLSA_PROVENANCE_V1:
      return summarizeV1(statement.predicateType, p);
    case SLSA_PROVENANCE_V02:
      return summarizeV02(statement.predicateType, p);
    case SLSA_PROVENANCE_V01:
      return summarizeV01(statement.predicateType, p);
    default:
      return { predicateType: statement.predicateType, dependencies: [], unknownPredicate: true };
  }
}

function summarizeV1(predicateType: string, p: Json): ProvenanceSummary {
  const def = obj(p.buildDefinition);
  const run = obj(p.runDetails);
  const meta = obj(run.metadata);
  const external = obj(def.externalParameters);
  const internal = obj(def.internalParameters);
  const deps = arr(def.resolvedDependencies).map(descriptor);
  const workflow = obj(external.workflow);
  const buildConfigSource = obj(external.buildConfigSource);
  const localSource = obj(external.source);
  const githubInternal = obj(internal.github);
  const workflowRef = str(internal.GITHUB_WORKFLOW_REF);
  const source = deps.find((d) => d.uri?.startsWith('git+')) ?? deps[0];

  const s: ProvenanceSummary = { predicateType, dependencies: deps };
  set(s, 'buildType', str(def.buildType));
  set(s, 'builderId', str(obj(run.builder).id));
  // The source: the first git dependency (every GitHub builder writes it first), else what the parameters name.
  const sourceUri =
    source?.uri ??
    gitUri(str(workflow.repository), str(workflow.ref)) ??
    gitUri(str(buildConfigSource.repository), str(buildConfigSource.ref)) ??
    gitUri(str(localSource.uri), str(localSource.ref));
  set(s, 'sourceUri', sourceUri);
  set(s, 'sourceCommit', digestOf(source?.digest) ?? str(internal.GITHUB_SHA) ?? str(localSource.commit));
  set(s, 'sourceRef', refOf(sourceUri) ?? str(workflow.ref) ?? str(internal.GITHUB_REF) ?? str(buildConfigSource.ref) ?? str(localSource.ref));
  const wf = workflowOf(workflow, workflowRef, buildConfigSource);
  if (wf) s.workflow = wf;
  const invocation = str(meta.invocationId);
  const runIds: { id?: string; attempt?: string } = runOf(invocation) ?? {};
  const runId = str(internal.GITHUB_RUN_ID) ?? runIds.id;
  const attempt = str(internal.GITHUB_RUN_ATTEMPT) ?? runIds.attempt;
  if (invocation || runId) s.run = compact({ id: runId, attempt, url: isUrl(invocation) ? invocation : undefined });
  set(s, 'trigger', str(githubInternal.event_name) ?? str(internal.GITHUB_EVENT_NAME));
  if (def.externalParameters !== undefined) s.parameters = def.externalParameters;
  if (def.internalParameters !== undefined) s.internalParameters = def.internalParameters;
  set(s, 'startedOn', str(meta.startedOn));
  set(s, 'finishedOn', str(meta.finishedOn));
  return s;
}

function summarizeV02(predicateType: string, p: Json): ProvenanceSummary {
  const invocation = obj(p.invocation);
  const config = obj(invocation.configSource);
  const env = obj(invocation.environment);
  const meta = obj(p.metadata);
  const deps = arr(p.materials).map(descriptor);
  const configUri = str(config.uri);
  const s: ProvenanceSummary = { predicateType, dependencies: deps };
  set(s, 'buildType', str(p.buildType));
  set(s, 'builderId', str(obj(p.builder).id));
  set(s, 'sourceUri', configUri ?? deps[0]?.uri);
  set(s, 'sourceCommit', digestOf(obj(config.digest) as Record<string, string>) ?? digestOf(deps[0]?.digest) ?? str(env.github_sha1));
  set(s, 'sourceRef', refOf(configUri ?? deps[0]?.uri) ?? str(env.github_ref));
  const repo = repoOf(configUri ?? deps[0]?.uri);
  const wf = compact({ path: str(config.entryPoint), ref: str(env.github_ref) ?? refOf(configUri), repository: repo });
  if (Object.keys(wf).length > 0) s.workflow = wf;
  const runId = str(env.github_run_id);
  const attempt = str(env.github_run_attempt);
  if (runId) {
    s.run = compact({
      id: runId,
      attempt,
      url: repo?.startsWith('https://github.com/') ? `${repo}/actions/runs/${runId}${attempt ? `/attempts/${attempt}` : ''}` : undefined,
    });
  } else if (str(meta.buildInvocationID)) {
    s.run = { id: str(meta.buildInvocationID) };
  }
  set(s, 'trigger', str(env.github_event_name));
  if (invocation.parameters !== undefined) s.parameters = invocation.parameters;
  if (invocation.environment !== undefined) s.internalParameters = invocation.environment;
  set(s, 'startedOn', str(meta.buildStartedOn));
  set(s, 'finishedOn', str(meta.buildFinishedOn));
  return s;
}

/** SLSA v0.1, as Cloud Build writes it (`recipe.arguments` is the Build resource). */
function summarizeV01(predicateType: string, p: Json): ProvenanceSummary {
  const recipe = obj(p.recipe);
  const args = obj(recipe.arguments);
  const subs = obj(args.substitutions);
  const meta = obj(p.metadata);
  const deps = arr(p.materials).map(descriptor);
  const uri = deps[0]?.uri;
  const s: ProvenanceSummary = { predicateType, dependencies: deps };
  set(s, 'buildType', str(recipe.type));
  set(s, 'builderId', str(obj(p.builder).id));
  set(s, 'sourceUri', uri);
  set(s, 'sourceCommit', digestOf(deps[0]?.digest) ?? /\/commit\/([0-9a-f]{40})$/.exec(uri ?? '')?.[1] ?? str(subs.COMMIT_SHA));
  const tag = str(subs.TAG_NAME);
  const branch = str(subs.BRANCH_NAME);
  set(s, 'sourceRef', tag ? `refs/tags/${tag}` : branch ? `refs/heads/${branch}` : undefined);
  const entry = str(recipe.entryPoint);
  if (entry) s.workflow = { path: entry };
  const id = str(meta.buildInvocationId) ?? str(args.id);
  if (id) s.run = { id };
  set(s, 'trigger', str(subs.TRIGGER_NAME));
  if (recipe.arguments !== undefined) s.parameters = recipe.arguments;
  if (recipe.environment !== undefined) s.internalParameters = recipe.environment;
  set(s, 'startedOn', str(meta.buildStartedOn));
  set(s, 'finishedOn', str(meta.buildFinishedOn));
  return s;
}

function workflowOf(workflow: Json, workflowRef: string | undefined, buildConfigSource: Json): ProvenanceSummary['workflow'] | undefined {
  if (str(workflow.path) || str(workflow.repository)) {
    return compact({ path: str(workflow.path), ref: str(workflow.ref), repository: str(workflow.repository) });
  }
  if (workflowRef) {
    // GITHUB_WORKFLOW_REF: `org/repo/.github/workflows/x.yml@refs/heads/main`.
    const at = workflowRef.lastIndexOf('@');
    const full = at < 0 ? workflowRef : workflowRef.slice(0, at);
    const parts = full.split('/');
    return compact({
      path: parts.slice(2).join('/') || undefined,
      ref: at < 0 ? undefined : workflowRef.slice(at + 1),
      repository: parts.length >= 2 ? `https://github.com/${parts[0]}/${parts[1]}` : undefined,
    });
  }
  if (str(buildConfigSource.path)) {
    return compact({ path: str(buildConfigSource.path), ref: str(buildConfigSource.ref), repository: str(buildConfigSource.repository) });
  }
  return undefined;
}

/** `https://github.com/o/r/actions/runs/123/attempts/2` → id and attempt. */
export function runOf(url: string | undefined): { id: string; attempt?: string } | undefined {
  const m = /\/actions\/runs\/([0-9]+)(?:\/attempts\/([0-9]+))?\/?$/.exec(url ?? '');
  return m ? (compact({ id: m[1]!, attempt: m[2] }) as { id: string; attempt?: string }) : undefined;
}

/** The `@ref` of a `git+https://host/repo@ref` URI. */
export function refOf(uri: string | undefined): string | undefined {
  if (!uri?.startsWith('git+')) return undefined;
  const at = uri.indexOf('@');
  return at < 0 ? undefined : uri.slice(at + 1) || undefined;
}

/** The repository of a source URI, as `https://host/org/repo`: no `git+`, no `@ref`, no `/commit/…`. */
export function repoOf(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  let u = uri.replace(/^git\+/, '');
  const at = u.indexOf('@');
  if (at >= 0 && u.startsWith('http')) u = u.slice(0, at);
  return u.replace(/\/commit\/[0-9a-f]+$/, '').replace(/#.*$/, '');
}

function gitUri(repo: string | undefined, ref: string | undefined): string | undefined {
  if (!repo) return undefined;
  const base = repo.startsWith('git+') ? repo : `git+${repo}`;
  return ref ? `${base}@${ref}` : base;
}

function descriptor(d: unknown): { uri?: string; name?: string; digest?: Record<string, string> } {
  const o = obj(d);
  const digest = isObject(o.digest)
    ? (Object.fromEntries(Object.entries(o.digest).filter(([, v]) => typeof v === 'string')) as Record<string, string>)
    : undefined;
  return compact({ uri: str(o.uri), name: str(o.name), digest });
}

function digestOf(d: Record<string, string> | undefined): string | undefined {
  return d ? (d.gitCommit ?? d.sha1 ?? d.sha256 ?? undefined) : undefined;
}

function isUrl(v: string | undefined): v is string {
  return !!v && /^https?:\/\//.test(v);
}

function set<K extends keyof ProvenanceSummary>(s: ProvenanceSummary, key: K, value: ProvenanceSummary[K] | undefined): void {
  if (value !== undefined) s[key] = value;
}

function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
