// Builders and builder ids, with slsa-verifier's meaning: the reusable workflows
// of slsa-github-generator trusted by default (and the BYOB delegators, whose
// builder id comes from the predicate), Cloud Build's hosted workers, and how a
// `--builder-id` (with or without `@ref`) matches an id.

const GENERATOR = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/';

/** slsa-github-generator's builders and the build types each writes. */
export const SLSA_GITHUB_BUILDERS: Record<string, { buildTypes: readonly string[]; delegator?: boolean }> = {
  [`${GENERATOR}generator_generic_slsa3.yml`]: { buildTypes: ['https://github.com/slsa-framework/slsa-github-generator/generic@v1'] },
  [`${GENERATOR}generator_container_slsa3.yml`]: { buildTypes: ['https://github.com/slsa-framework/slsa-github-generator/container@v1'] },
  [`${GENERATOR}builder_go_slsa3.yml`]: {
    buildTypes: [
      'https://github.com/slsa-framework/slsa-github-generator/go@v1',
      'https://github.com/slsa-framework/slsa-github-generator@v1',
      'https://github.com/slsa-framework/slsa-github-generator-go@v1',
    ],
  },
  [`${GENERATOR}builder_container-based_slsa3.yml`]: { buildTypes: ['https://slsa.dev/container-based-build/v0.1?draft'] },
  // "Bring your own builder": the certificate names the delegator, the predicate the real builder.
  [`${GENERATOR}delegator_generic_slsa3.yml`]: {
    buildTypes: ['https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0'],
    delegator: true,
  },
  [`${GENERATOR}delegator_lowperms-generic_slsa3.yml`]: {
    buildTypes: ['https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0'],
    delegator: true,
  },
};

/** When no builder id is given, a BYOB builder must be one of slsa-github-generator's own workflows. */
export const TRUSTED_BYOB_BUILDER_PREFIX = GENERATOR;

/** Cloud Build's hosted worker (SLSA v0.1 provenance names its version; v1 does not). */
export const GCB_BUILDER = 'https://cloudbuild.googleapis.com/GoogleHostedWorker';
export const GCB_V01_BUILDERS = [`${GCB_BUILDER}@v0.2`, `${GCB_BUILDER}@v0.3`] as const;
export const GCB_V1_BUILD_TYPE = 'https://cloud.google.com/build/gcb-buildtypes/google-worker/v1';
export const GCB_BUILD_RESOURCE = 'type.googleapis.com/google.devtools.cloudbuild.v1.Build';

/** GitHub's own build type for a workflow run (actions/attest-build-provenance, `gh attestation`). */
export const GITHUB_ATTESTATION_BUILD_TYPE = 'https://actions.github.io/buildtypes/workflow/v1';

export interface BuilderId {
  name: string;
  /** The part after '@' (`v1.2.3`, `refs/tags/v1.2.3`, `v0.3`); empty when there is none. */
  version: string;
}

/** Splits `name@version`; undefined for more than one '@' or an empty version. */
export function parseBuilderId(id: string): BuilderId | undefined {
  const parts = id.split('@');
  if (parts.length === 1) return { name: parts[0]!, version: '' };
  if (parts.length === 2 && parts[1] !== '') return { name: parts[0]!, version: parts[1]! };
  return undefined;
}

export function formatBuilderId(b: BuilderId): string {
  return b.version ? `${b.name}@${b.version}` : b.name;
}

/**
 * Whether `expected` names the builder `actual`: the names must be equal; a
 * version in `expected` must be equal too, where `v1.2.3` also matches
 * `refs/tags/v1.2.3` when `allowRef` (slsa-verifier's MatchesLoose). With
 * `full`, a version is required to match even when `expected` has none.
 * Returns why not, or undefined for a match.
 */
export function builderIdMismatch(actual: BuilderId, expected: string, { allowRef = true, full = false } = {}): string | undefined {
  const want = parseBuilderId(expected);
  if (!want) return `'${expected}' is not a builder id (name, optionally @version)`;
  if (want.name !== actual.name) return `expected builder '${want.name}', got '${actual.name}'`;
  if ((want.version !== '' || full) && want.version !== actual.version) {
    if (allowRef && `refs/tags/${want.version}` === actual.version) return undefined;
    return `expected version '${want.version || '(none)'}' of ${want.name}, got '${actual.version || '(none)'}'`;
  }
  return undefined;
}

export function isSlsaGitHubBuilder(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(SLSA_GITHUB_BUILDERS, name);
}

export function isDelegator(name: string): boolean {
  return SLSA_GITHUB_BUILDERS[name]?.delegator === true;
}

export function isGcbBuilder(id: string | undefined): boolean {
  return !!id && (id === GCB_BUILDER || id.startsWith(`${GCB_BUILDER}@`));
}

/** The repository (`https://github.com/org/repo`) of a workflow URI `https://github.com/org/repo/.github/workflows/x.yml@ref`. */
export function workflowRepository(uri: string): string | undefined {
  const m = /^(https:\/\/github\.com\/[^/]+\/[^/@]+)\/\.github\/workflows\//.exec(uri);
  return m?.[1];
}
