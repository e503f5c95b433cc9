// Provenance made by the tests: in-toto statements with SLSA v0.2, v1 (GitHub's
// workflow build type, a BYOB delegator's) and Cloud Build v0.1 predicates,
// signed into every form the reader takes — Sigstore bundles v0.1/v0.2/v0.3
// from the local Sigstore stand-in (Fulcio certificates carrying GitHub
// workflow claims from the minted token), `.intoto.jsonl` (envelope with the
// certificate, no log entry), a bare DSSE envelope signed by a key, and
// `gcloud --show-provenance` JSON signed over the raw payload by a P-256 key.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Bundle } from '../../src/core/signing/bundle';
import { pae } from '../../src/core/signing/dsse';
import { StaticTokenProvider } from '../../src/core/sigstore/identityToken';
import { SigstoreSigner } from '../../src/core/sigstore/sigstoreSigner';
import { TrustConfig } from '../../src/core/sigstore/trustConfig';
import { VECTORS, tempDir } from './fixtures';

/** The real provenance of ../shared/vectors/slsa-verifier (its README says what each is and what a verifier must conclude). */
const SV = path.join(VECTORS, 'slsa-verifier');
export const SLSA_VECTORS = {
  GENERIC: path.join(SV, 'gha_generic/v2.0.0/binary-linux-amd64-push-v13.0.30.intoto.jsonl'),
  GENERIC_ARTIFACT: path.join(SV, 'gha_generic/v2.0.0/binary-linux-amd64-push-v13.0.30'),
  MAVEN: path.join(SV, 'gha_maven/v2.1.0/binary-linux-amd64-workflow_dispatch.build.slsa'),
  MAVEN_ARTIFACT: path.join(SV, 'gha_maven/v2.1.0/binary-linux-amd64-workflow_dispatch'),
  GCB02: path.join(SV, 'gcb_container/v0.2/gcloud-container-github.json'),
  GCB03: path.join(SV, 'gcb_container/v0.3/gcloud-container-github.json'),
  BCR: path.join(SV, 'bcr/MODULE-wrong-signer.bazel.intoto.jsonl'),
  BCR_ARTIFACT: path.join(SV, 'bcr/MODULE-wrong-signer.bazel'),
  GLOBAL_KEY: path.join(SV, 'gcb-keys/global.key'),
  US_WEST2_KEY: path.join(SV, 'gcb-keys/us-west2.key'),
  /** Their source repository. */
  EXAMPLE: 'github.com/slsa-framework/example-package',
} as const;
import type { LocalSigstore } from './localSigstore';

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
export const GENERIC_GENERATOR = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml';
export const LOWPERMS_DELEGATOR = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/delegator_lowperms-generic_slsa3.yml';
export const IN_TOTO = 'application/vnd.in-toto+json';

export interface Subject {
  name: string;
  digest: Record<string, string>;
}

/** A GitHub Actions run, as its OIDC token (and so the Fulcio certificate) describes it. */
export interface GitHubRun {
  /** `org/repo`. */
  repository: string;
  ref: string;
  sha: string;
  /** `.github/workflows/train.yml`. */
  workflowPath: string;
  eventName: string;
  runId: string;
  runAttempt: string;
  repositoryId: string;
  ownerId: string;
  /** The certificate SAN: the job's workflow (a reusable builder, or the repository's own workflow), with `@ref`. */
  signer: string;
}

export function gitHubRun(overrides: Partial<GitHubRun> = {}): GitHubRun {
  const base: GitHubRun = {
    repository: 'acme/models',
    ref: 'refs/tags/v1.2.3',
    sha: 'a'.repeat(40),
    workflowPath: '.github/workflows/train.yml',
    eventName: 'push',
    runId: '4242',
    runAttempt: '1',
    repositoryId: '1001',
    ownerId: '2002',
    signer: '',
    ...overrides,
  };
  if (!base.signer) base.signer = `https://github.com/${base.repository}/${base.workflowPath}@${base.ref}`;
  return base;
}

/** Token claims from which the local Fulcio writes GitHub workflow extensions (URI SAN = `sub`). */
export function gitHubClaims(run: GitHubRun): Record<string, string> {
  return {
    sub: run.signer,
    iss: GITHUB_ISSUER,
    repository: run.repository,
    repository_owner: run.repository.split('/')[0]!,
    ref: run.ref,
    sha: run.sha,
    event_name: run.eventName,
    job_workflow_ref: run.signer.replace(/^https:\/\/github\.com\//, ''),
    workflow_ref: `${run.repository}/${run.workflowPath}@${run.ref}`,
    workflow_sha: run.sha,
    run_id: run.runId,
    run_attempt: run.runAttempt,
    repository_id: run.repositoryId,
    repository_owner_id: run.ownerId,
    runner_environment: 'github-hosted',
  };
}

export function statement(predicateType: string, subjects: Subject[], predicate: unknown, type = 'https://in-toto.io/Statement/v1') {
  return { _type: type, subject: subjects, predicateType, predicate };
}

/** SLSA v1 with GitHub's workflow build type, as actions/attest-build-provenance (and `attest` in CI) write it. */
export function githubWorkflowV1(subjects: Subject[], run: GitHubRun, builderId = run.signer) {
  const repo = `https://github.com/${run.repository}`;
  return statement('https://slsa.dev/provenance/v1', subjects, {
    buildDefinition: {
      buildType: 'https://actions.github.io/buildtypes/workflow/v1',
      externalParameters: { workflow: { ref: run.ref, repository: repo, path: run.workflowPath } },
      internalParameters: {
        github: { event_name: run.eventName, repository_id: run.repositoryId, repository_owner_id: run.ownerId, runner_environment: 'github-hosted' },
      },
      resolvedDependencies: [{ uri: `git+${repo}@${run.ref}`, digest: { gitCommit: run.sha } }],
    },
    runDetails: { builder: { id: builderId }, metadata: { invocationId: `${repo}/actions/runs/${run.runId}/attempts/${run.runAttempt}` } },
  });
}

/** SLSA v0.2 as slsa-github-generator's generic generator writes it. */
export function genericGeneratorV02(subjects: Subject[], run: GitHubRun) {
  const repo = `https://github.com/${run.repository}`;
  const tag = run.ref.startsWith('refs/tags/');
  return statement(
    'https://slsa.dev/provenance/v0.2',
    subjects,
    {
      builder: { id: run.signer },
      buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
      invocation: {
        configSource: { uri: `git+${repo}@${run.ref}`, digest: { sha1: run.sha }, entryPoint: run.workflowPath },
        parameters: {},
        environment: {
          github_event_name: run.eventName,
          github_event_payload: { base_ref: tag ? 'refs/heads/main' : null, ref: run.ref },
          github_base_ref: '',
          github_ref: run.ref,
          github_ref_type: tag ? 'tag' : 'branch',
          github_repository_id: run.repositoryId,
          github_repository_owner_id: run.ownerId,
          github_run_attempt: run.runAttempt,
          github_run_id: run.runId,
          github_sha1: run.sha,
        },
      },
      metadata: {
        buildInvocationID: `${run.runId}-${run.runAttempt}`,
        completeness: { parameters: true, environment: false, materials: false },
        reproducible: false,
      },
      materials: [{ uri: `git+${repo}@${run.ref}`, digest: { sha1: run.sha } }],
    },
    'https://in-toto.io/Statement/v0.1',
  );
}

/** SLSA v1 as a BYOB builder writes it through the delegator (the builder id names the real builder). */
export function byobV1(subjects: Subject[], run: GitHubRun, builderId: string) {
  const repo = `https://github.com/${run.repository}`;
  return statement(
    'https://slsa.dev/provenance/v1',
    subjects,
    {
      buildDefinition: {
        buildType: 'https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0',
        externalParameters: { inputs: {} },
        internalParameters: {
          GITHUB_EVENT_NAME: run.eventName,
          GITHUB_REF: run.ref,
          GITHUB_REF_TYPE: run.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
          GITHUB_REPOSITORY: run.repository,
          GITHUB_RUN_ID: run.runId,
          GITHUB_RUN_ATTEMPT: run.runAttempt,
          GITHUB_SHA: run.sha,
          GITHUB_WORKFLOW_REF: `${run.repository}/${run.workflowPath}@${run.ref}`,
          GITHUB_WORKFLOW_SHA: run.sha,
        },
        resolvedDependencies: [{ uri: `git+${repo}@${run.ref}`, digest: { gitCommit: run.sha } }],
      },
      runDetails: { builder: { id: builderId }, metadata: { invocationId: `${repo}/actions/runs/${run.runId}/attempts/${run.runAttempt}` } },
    },
    'https://in-toto.io/Statement/v0.1',
  );
}

/** Cloud Build's SLSA v0.1 statement (GoogleHostedWorker v0.2 or v0.3), which it signs with `predicate` and also `slsaProvenance`. */
export function cloudBuildV01(digest: string, { version = 'v0.3', repo = 'https://github.com/acme/models', sha = 'b'.repeat(40), tag = 'v7' } = {}) {
  const builder = `https://cloudbuild.googleapis.com/GoogleHostedWorker@${version}`;
  const predicate = {
    builder: { id: builder },
    materials: version === 'v0.2' ? [{ uri: `${repo}/commit/${sha}` }] : [{ digest: { sha1: sha }, uri: repo }],
    metadata: { buildInvocationId: 'build-1', buildStartedOn: '2026-01-01T00:00:00Z', buildFinishedOn: '2026-01-01T00:01:00Z' },
    recipe: {
      arguments: { '@type': 'type.googleapis.com/google.devtools.cloudbuild.v1.Build', id: 'build-1', substitutions: { TAG_NAME: tag, COMMIT_SHA: sha } },
      entryPoint: 'cloudbuild.yaml',
      type: version === 'v0.2' ? builder : 'https://cloudbuild.googleapis.com/CloudBuildYaml@v0.1',
    },
  };
  const subject = [{ digest: { sha256: digest }, name: 'https://us-docker.pkg.dev/acme/models/model:v7' }];
  return { _type: 'https://in-toto.io/Statement/v0.1', predicate, predicateType: 'https://slsa.dev/provenance/v0.1', slsaProvenance: predicate, subject };
}

/**
 * `gcloud … --show-provenance --format json` output for a signed statement:
 * the key signs the raw payload (Cloud Build's regional scheme), the sig is
 * base64url, and `build.intotoStatement` is the unsigned copy.
 */
export function gcloudOutput(st: ReturnType<typeof cloudBuildV01>, key: crypto.KeyObject, { region = 'us-west2', base64url = true } = {}) {
  const payload = Buffer.from(JSON.stringify(st));
  const sig = crypto.sign('sha256', payload, { key, dsaEncoding: 'der' });
  const digest = st.subject[0]!.digest.sha256;
  const { predicate: _signedOnly, ...unsigned } = st;
  return {
    image_summary: {
      digest: `sha256:${digest}`,
      fully_qualified_digest: `us-docker.pkg.dev/acme/models/model@sha256:${digest}`,
      registry: 'us-docker.pkg.dev',
      repository: 'models',
    },
    provenance_summary: {
      provenance: [
        {
          build: { intotoStatement: unsigned },
          createTime: '2026-01-01T00:01:01Z',
          envelope: {
            payload: payload.toString('base64'),
            payloadType: IN_TOTO,
            signatures: [
              {
                keyid: `projects/verified-builder/locations/${region}/keyRings/attestor/cryptoKeys/builtByGCB/cryptoKeyVersions/1`,
                sig: base64url ? sig.toString('base64url') : sig.toString('base64'),
              },
            ],
          },
          kind: 'BUILD',
          noteName: 'projects/verified-builder/notes/intoto_build-1',
          resourceUri: `https://us-docker.pkg.dev/acme/models/model@sha256:${digest}`,
        },
      ],
    },
  };
}

/** Signs a statement keylessly against the local Sigstore: a v0.3 bundle with a Fulcio certificate, a Rekor entry and a timestamp. */
export async function signKeyless(st: unknown, sigstore: LocalSigstore, trust: TrustConfig, claims: Record<string, unknown>): Promise<Bundle> {
  const token = await sigstore.mintToken(claims);
  return new SigstoreSigner({ trustConfig: trust, identity: new StaticTokenProvider(token) }).sign(Buffer.from(JSON.stringify(st)));
}

/** The same signed content as an older bundle: v0.1 and v0.2 carry the leaf as a one-certificate chain. */
export function asBundleVersion(bundle: Bundle, version: '0.1' | '0.2' | '0.3'): Bundle {
  if (version === '0.3') return bundle;
  const { certificate, ...rest } = bundle.verificationMaterial;
  return {
    mediaType: `application/vnd.dev.sigstore.bundle+json;version=${version}`,
    verificationMaterial: { ...rest, x509CertificateChain: { certificates: [{ rawBytes: certificate!.rawBytes }] } },
    dsseEnvelope: bundle.dsseEnvelope,
  };
}

/** The envelope of a keyless bundle with its certificate inside the signature and no log entry: the generic generator's `.intoto.jsonl` line. */
export function asIntotoLine(bundle: Bundle): string {
  const der = Buffer.from(bundle.verificationMaterial.certificate!.rawBytes, 'base64');
  const cert = `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE-----\n`;
  const env = bundle.dsseEnvelope;
  return JSON.stringify({ payloadType: env.payloadType, payload: env.payload, signatures: [{ keyid: '', sig: env.signatures[0]!.sig, cert }] });
}

/** A bare DSSE envelope signed by a key over the PAE; `urlSafe` writes payload and sig as base64url. */
export function keyEnvelope(st: unknown, key: crypto.KeyObject, { urlSafe = false, keyid = '' } = {}) {
  const payload = Buffer.from(JSON.stringify(st));
  const sig = crypto.sign('sha256', pae(IN_TOTO, payload), { key, dsaEncoding: 'der' });
  const enc = (b: Buffer) => b.toString(urlSafe ? 'base64url' : 'base64');
  return { payloadType: IN_TOTO, payload: enc(payload), signatures: [{ keyid, sig: enc(sig) }] };
}

export function ecKeys(): { privateKey: crypto.KeyObject; publicKey: crypto.KeyObject; publicKeyPath: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const publicKeyPath = path.join(tempDir('ms-prov-key-'), 'key.pub');
  fs.writeFileSync(publicKeyPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKey, publicKey, publicKeyPath };
}

/** Writes text (or JSON) to a new file in a temp folder. */
export function writeProvenance(name: string, content: unknown): string {
  const file = path.join(tempDir('ms-prov-'), name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

export function sha256(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** A small safetensors file (one F32 tensor), for format detection of matched subjects. */
export function tinySafetensors(): Buffer {
  let json = JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([len, Buffer.from(json), Buffer.alloc(8, 1)]);
}

/** What the tests read and edit of gcloud's `--show-provenance` JSON (slsa-verifier's Cloud Build files). */
export interface GcloudProvenance {
  provenance_summary: {
    provenance: Array<{
      resourceUri: string;
      build: { intotoStatement: { slsaProvenance: { materials: Array<{ uri: string }> } } };
      envelope: { payload: string; signatures: Array<{ keyid?: string; sig: string }> };
    }>;
  };
}

export function readGcloudProvenance(file: string): GcloudProvenance {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as GcloudProvenance;
}

/**
 * slsa-verifier's Cloud Build files with several provenance items, made from the single-item
 * `gcloud-container-github.json` as slsa-verifier made its own: the one item three times, the
 * last byte of the signature flipped in every item but those listed as valid.
 */
export function multipleGcbProvenance(singleItemFile: string, validItems: readonly number[]): string {
  const doc = readGcloudProvenance(singleItemFile);
  const item = doc.provenance_summary.provenance[0]!;
  doc.provenance_summary.provenance = [0, 1, 2].map((i) => {
    const copy = structuredClone(item);
    if (!validItems.includes(i)) {
      const sig = copy.envelope.signatures[0]!;
      const der = Buffer.from(sig.sig, 'base64url');
      der[der.length - 1]! ^= 0x01;
      sig.sig = der.toString('base64url');
    }
    return copy;
  });
  const file = path.join(tempDir('ms-gcb-'), `gcloud-container-multiple-${validItems.length > 0 ? 'valid' : 'invalid'}.json`);
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}
