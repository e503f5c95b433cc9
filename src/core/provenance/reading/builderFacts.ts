// The predicate fields the builder policies compare, read once into types: what
// slsa-github-generator and Cloud Build write beyond the summary's facts, in the
// places slsa-verifier reads them. Like the summary, these are claims; the
// policy modules decide what they are worth.
import { JsonObject, arr, isObject, obj, str } from '../json';
import { InTotoStatement, SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1 } from '../types';

/** The `github_*` (v0.2) or `GITHUB_*` (v1) variables slsa-github-generator records about the ref. */
export interface GitHubRefEnvironment {
  refType?: string;
  ref?: string;
  baseRef?: string;
  eventName?: string;
  /** The event payload's fields, when the predicate records a payload. */
  event?: { baseRef: string; releaseTarget?: string };
}

export interface GeneratorFacts {
  /** The workflow that triggered the build, as a `git+https://github.com/o/r@ref` URI. */
  trigger?: string;
  /** The first material (v0.2) or resolved dependency (v1). */
  source?: string;
  environment: GitHubRefEnvironment;
}

/** slsa-github-generator's facts: v0.2 from `invocation`, any other version laid out as v1 (as slsa-verifier does). */
export function readGeneratorFacts(statement: Pick<InTotoStatement, 'predicateType' | 'predicate'>): GeneratorFacts {
  const p = obj(statement.predicate);
  if (statement.predicateType === SLSA_PROVENANCE_V02) {
    const invocation = obj(p.invocation);
    return {
      trigger: str(obj(invocation.configSource).uri),
      source: str(obj(arr(p.materials)[0]).uri),
      environment: refEnvironment(obj(invocation.environment), false),
    };
  }
  const def = obj(p.buildDefinition);
  const internal = obj(def.internalParameters);
  const m = /^([^/]+\/[^/]+)\/.*@(.+)$/.exec(str(internal.GITHUB_WORKFLOW_REF) ?? '');
  return {
    trigger: m ? `git+https://github.com/${m[1]}@${m[2]}` : undefined,
    source: str(obj(arr(def.resolvedDependencies)[0]).uri),
    environment: refEnvironment(internal, true),
  };
}

function refEnvironment(env: JsonObject, upper: boolean): GitHubRefEnvironment {
  const get = (k: string) => env[upper ? k.toUpperCase() : k];
  const baseRef = get('github_base_ref');
  const payload = get('github_event_payload');
  return {
    refType: str(get('github_ref_type')),
    ref: str(get('github_ref')),
    ...(typeof baseRef === 'string' && baseRef !== '' ? { baseRef } : {}),
    eventName: str(get('github_event_name')),
    ...(isObject(payload)
      ? { event: { baseRef: typeof payload.base_ref === 'string' ? payload.base_ref : '', releaseTarget: str(obj(payload.release).target_commitish) } }
      : {}),
  };
}

export interface CloudBuildFacts {
  /** The source: v1 `buildConfigSource` as `repository@ref`, earlier versions the first material. */
  sourceUri?: string;
  /** The TAG_NAME substitution. */
  tagName?: string;
  /** v1: the build config's ref, which a tag build must name `refs/tags/<TAG_NAME>`. */
  configRef?: string;
  /** v0.1: the `@type` of `recipe.arguments` as written (any JSON value), the Build resource for Cloud Build. */
  buildResourceType?: unknown;
}

export function readCloudBuildFacts(statement: Pick<InTotoStatement, 'predicateType' | 'predicate'>): CloudBuildFacts {
  const p = obj(statement.predicate);
  if (statement.predicateType === SLSA_PROVENANCE_V1) {
    const def = obj(p.buildDefinition);
    const cfg = obj(obj(def.externalParameters).buildConfigSource);
    return {
      sourceUri: str(cfg.repository) && str(cfg.ref) ? `${str(cfg.repository)}@${str(cfg.ref)}` : undefined,
      tagName: str(obj(obj(def.internalParameters).systemSubstitutions).TAG_NAME),
      configRef: str(cfg.ref),
    };
  }
  const args = obj(obj(p.recipe).arguments);
  return { sourceUri: str(obj(arr(p.materials)[0]).uri), tagName: str(obj(args.substitutions).TAG_NAME), buildResourceType: args['@type'] };
}
