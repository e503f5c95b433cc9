// Git refs, source URIs and version tags with slsa-verifier's meaning.

/** `refs/tags/v1` → `v1`; undefined when the ref is not a tag. */
export function tagOf(ref: string | undefined): string | undefined {
  return refName(ref, 'tags');
}

/** `refs/heads/main` → `main`; undefined when the ref is not a branch. */
export function branchOf(ref: string | undefined): string | undefined {
  return refName(ref, 'heads');
}

function refName(ref: string | undefined, type: 'tags' | 'heads'): string | undefined {
  const m = /^refs\/([^/]+)\/(.+)$/.exec(ref ?? '');
  return m && m[1] === type ? m[2] : undefined;
}

/**
 * `github.com/org/repo`, `https://github.com/org/repo` or
 * `git+https://github.com/org/repo` → `https://github.com/org/repo`
 * (slsa-verifier's `--source-uri` takes the first; the others mean the same).
 */
export function normaliseRepository(uri: string): string {
  let u = uri.trim().replace(/^git\+/, '');
  if (!u.includes('://')) u = `https://${u}`;
  return u.replace(/\/+$/, '');
}

/** Semantic versions as Go's golang.org/x/mod/semver reads them: `vMAJOR[.MINOR[.PATCH[-pre][+build]]]`. */
export interface Semver {
  major: string;
  minor?: string;
  patch?: string;
  prerelease?: string;
  build?: string;
}

const SEMVER =
  /^v(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*)(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?)?)?$/;

export function parseSemver(v: string): Semver | undefined {
  const m = SEMVER.exec(v);
  if (!m) return undefined;
  return { major: m[1]!, minor: m[2], patch: m[3], prerelease: m[4], build: m[5] };
}

/**
 * `--source-versioned-tag`: the expected version fixes the major, and the
 * minor and patch if it names them (`v13` and `v13.0` match `v13.0.30`;
 * `v13.1` and `v13.0.29` do not). Build metadata is ignored, a pre-release
 * is part of the patch. Returns why not, or undefined for a match.
 */
export function versionedTagMismatch(actualTag: string, expected: string): string | undefined {
  const want = parseSemver(expected);
  if (!want) return `'${expected}' is not a semantic version such as v1, v1.2 or v1.2.3`;
  const have = parseSemver(actualTag);
  if (!have) return `the source tag '${actualTag}' is not a semantic version`;
  if (have.major !== want.major) return `major version: expected v${want.major}, got v${have.major}`;
  const haveMinor = have.minor ?? '0';
  if (want.minor !== undefined && haveMinor !== want.minor) return `minor version: expected ${want.minor}, got ${haveMinor}`;
  const havePatch = (have.patch ?? '0') + (have.prerelease ? `-${have.prerelease}` : '');
  const wantPatch = want.patch === undefined ? undefined : want.patch + (want.prerelease ? `-${want.prerelease}` : '');
  if (wantPatch !== undefined && havePatch !== wantPatch) return `patch version: expected ${wantPatch}, got ${havePatch}`;
  return undefined;
}

/** A builder's release tag: `refs/tags/vX.Y.Z`, no pre-release, no build metadata. */
export function isReleaseTagRef(ref: string): boolean {
  const tag = tagOf(ref);
  const v = tag ? parseSemver(tag) : undefined;
  return !!v && v.patch !== undefined && !v.prerelease && !v.build;
}
