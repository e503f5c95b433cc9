// The real provenance in ../shared/vectors/slsa-verifier, checked against what
// its README says a correct verifier concludes for each file and flag, offline,
// with the embedded production trusted root and with the model-transparency
// test trust config (the same Sigstore production root).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FormatError } from '../../src/core/errors';
import { ProvenancePolicy, ProvenanceReport, VerifyProvenanceOptions, verifyProvenance } from '../../src/core/provenance';
import { loadTrustConfig, productionTrustConfig } from '../../src/core/sigstore/trustConfig';
import { DsseEnvelope, InTotoStatement } from '../../src/core';
import { MT, pool, tempDir } from '../helpers/fixtures';
import { SLSA_VECTORS, readGcloudProvenance } from '../helpers/provenance';

const { GENERIC, GENERIC_ARTIFACT, MAVEN, MAVEN_ARTIFACT, GCB02, GCB03, BCR, BCR_ARTIFACT, GLOBAL_KEY, US_WEST2_KEY, EXAMPLE } = SLSA_VECTORS;

const CUSTOM_TRUST = path.join(MT, 'tests/_signing/testdata/custom_trust_config.json');

const WORKFLOWS = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows';
const production = productionTrustConfig();
const hashing = pool(2);

async function one(file: string, options: VerifyProvenanceOptions): Promise<ProvenanceReport> {
  const reports = await verifyProvenance(file, { trustConfig: production, pool: hashing, ...options });
  assert.equal(reports.length, 1);
  return reports[0]!;
}

function check(r: ProvenanceReport, name: string) {
  const c = r.policy.find((p) => p.name === name);
  assert.ok(c, `no ${name} check in ${r.policy.map((p) => p.name).join(', ')}`);
  return c;
}

function failing(r: ProvenanceReport): string[] {
  return r.policy.filter((c) => !c.ok).map((c) => c.name);
}

const steps = (r: ProvenanceReport) => Object.fromEntries((r.signature.steps ?? []).map((s) => [s.name, s.status]));

describe('slsa-verifier vectors: generic generator, DSSE with certificate, no log entry', () => {
  const base: ProvenancePolicy = { sourceUri: EXAMPLE };

  it("signature and chain hold at the certificate's own time, but it is incomplete, never verified", async () => {
    for (const trustConfig of [production, loadTrustConfig(CUSTOM_TRUST)]) {
      const r = await one(GENERIC, { trustConfig, modelPath: GENERIC_ARTIFACT, policy: base });
      assert.equal(r.document.form, 'dsse');
      assert.equal(r.signature.status, 'incomplete');
      assert.equal(r.signature.transparencyLog, 'absent');
      assert.equal(r.signature.signedAt, undefined);
      assert.equal(r.signature.chainCheckedAt, '2024-04-22T21:36:01.000Z');
      assert.deepEqual(steps(r), {
        'dsse-signature': 'ok',
        'certificate-chain': 'ok',
        'transparency-log': 'absent',
        timestamp: 'absent',
        'signing-time': 'absent',
      });
      assert.deepEqual(failing(r), []);
      assert.equal(r.ok, false, 'an unproven signing time is not ok by default');
      assert.equal(r.verifiedBuilderId, `${WORKFLOWS}/generator_generic_slsa3.yml@refs/tags/v2.0.0`);
      assert.equal(r.signature.certificate?.claims.sourceRepositoryUri, 'https://github.com/slsa-framework/example-package');
      assert.equal(r.signature.certificate?.claims.runInvocationUri, 'https://github.com/slsa-framework/example-package/actions/runs/8791219607/attempts/1');
      assert.equal(r.signature.certificate?.notAfter, '2024-04-22T21:46:01.000Z');
      assert.deepEqual(
        r.subjects.map((s) => [s.subject.name, s.matchedBy, s.files]),
        [['gha_generic-binary-linux-amd64-v13.0.30', 'file', ['binary-linux-amd64-push-v13.0.30']]],
      );
    }
  });

  it('with --allow-incomplete: ok for the builder given bare, @v2.0.0, @refs/tags/v2.0.0 or not at all; still status incomplete', async () => {
    for (const builderId of [
      undefined,
      `${WORKFLOWS}/generator_generic_slsa3.yml`,
      `${WORKFLOWS}/generator_generic_slsa3.yml@v2.0.0`,
      `${WORKFLOWS}/generator_generic_slsa3.yml@refs/tags/v2.0.0`,
    ]) {
      const r = await one(GENERIC, { modelPath: GENERIC_ARTIFACT, allowIncomplete: true, policy: { ...base, builderId } });
      assert.equal(r.ok, true, `${builderId}: ${JSON.stringify(r.policy)}`);
      assert.equal(r.signature.status, 'incomplete');
    }
  });

  it('--source-versioned-tag v13, v13.0, v13.0.30 match; v13.0.29, v13.0.31, v13.1, v12.9, v2, v0 do not', async () => {
    for (const tag of ['v13', 'v13.0', 'v13.0.30']) {
      const r = await one(GENERIC, { allowIncomplete: true, policy: { ...base, sourceVersionedTag: tag } });
      assert.equal(check(r, 'source-versioned-tag').ok, true, tag);
      assert.equal(r.ok, true, tag);
    }
    for (const tag of ['v13.0.29', 'v13.0.31', 'v13.1', 'v12.9', 'v2', 'v0']) {
      const r = await one(GENERIC, { allowIncomplete: true, policy: { ...base, sourceVersionedTag: tag } });
      assert.equal(check(r, 'source-versioned-tag').ok, false, tag);
      assert.match(check(r, 'source-versioned-tag').message, /versioned tag mismatch/);
      assert.equal(r.ok, false, tag);
    }
  });

  it("--source-tag v13.0.30 matches; v13.0.29, v13.0 and v13 do not; --source-branch main passes (the push payload's base_ref)", async () => {
    assert.equal((await one(GENERIC, { allowIncomplete: true, policy: { ...base, sourceTag: 'v13.0.30' } })).ok, true);
    for (const tag of ['v13.0.29', 'v13.0', 'v13']) {
      const r = await one(GENERIC, { allowIncomplete: true, policy: { ...base, sourceTag: tag } });
      assert.deepEqual(failing(r), ['source-tag'], tag);
      assert.match(check(r, 'source-tag').message, /tag mismatch: expected .* got v13\.0\.30/);
    }
    const branch = await one(GENERIC, { allowIncomplete: true, policy: { ...base, sourceBranch: 'main' } });
    assert.equal(check(branch, 'source-branch').ok, true);
    assert.equal(branch.ok, true);
  });

  it('a wrong source, an untrusted builder, or an artifact that is not the subject fails', async () => {
    for (const sourceUri of [
      `${EXAMPLE}A`,
      'github.com/slsa-framework/example-packag',
      'github.com/slsa-frameworkX/example-package',
      'github.com/org/example-package',
    ]) {
      const r = await one(GENERIC, { allowIncomplete: true, policy: { sourceUri } });
      assert.deepEqual(failing(r), ['source-uri'], sourceUri);
      assert.equal(r.ok, false);
    }
    const untrusted = await one(GENERIC, { allowIncomplete: true, policy: { ...base, builderId: `${WORKFLOWS}/not-trusted.yml` } });
    assert.deepEqual(failing(untrusted), ['builder-id']);
    assert.match(check(untrusted, 'builder-id').message, /untrusted reusable workflow/);
    assert.equal(untrusted.verifiedBuilderId, undefined);
    const other = await one(GENERIC, { allowIncomplete: true, modelPath: MAVEN_ARTIFACT, policy: base });
    assert.deepEqual(
      other.subjects.map((s) => s.matchedBy),
      ['none'],
    );
    assert.equal(other.ok, false);
  });

  it('a changed payload or signature fails the signature check', async () => {
    const env = JSON.parse(fs.readFileSync(GENERIC, 'utf8')) as DsseEnvelope;
    const st = JSON.parse(Buffer.from(env.payload, 'base64').toString()) as InTotoStatement;
    st.subject[0]!.digest.sha256 = '0'.repeat(64);
    const edited = path.join(tempDir(), 'edited.intoto.jsonl');
    fs.writeFileSync(edited, JSON.stringify({ ...env, payload: Buffer.from(JSON.stringify(st)).toString('base64') }));
    const r = await one(edited, { allowIncomplete: true, policy: base });
    assert.equal(r.signature.status, 'failed');
    assert.equal(r.signature.error?.code, 'SIGNATURE_INVALID');
    assert.equal(r.ok, false);
  });
});

describe('slsa-verifier vectors: BYOB Maven builder, Sigstore bundle v0.2', () => {
  const base: ProvenancePolicy = { sourceUri: EXAMPLE };

  it('verifies fully offline: chain, SET and inclusion proof, signing time inside the certificate window', async () => {
    for (const trustConfig of [production, loadTrustConfig(CUSTOM_TRUST)]) {
      const r = await one(MAVEN, { trustConfig, modelPath: MAVEN_ARTIFACT, policy: base });
      assert.equal(r.document.form, 'sigstore-bundle');
      assert.equal(r.document.bundle?.mediaType, 'application/vnd.dev.sigstore.bundle+json;version=0.2');
      assert.equal(r.signature.status, 'verified');
      assert.equal(r.signature.transparencyLog, 'present');
      assert.equal(r.signature.signedAt, '2025-02-25T21:58:32.000Z');
      assert.equal(steps(r)['transparency-log'], 'ok');
      assert.match(r.signature.steps!.find((s) => s.name === 'transparency-log')!.detail!, /174304174 \(inclusion promise and inclusion proof\)/);
      assert.equal(r.ok, true, JSON.stringify(r.policy));
      assert.equal(r.signature.certificate?.subjectAlternativeName, `${WORKFLOWS}/delegator_lowperms-generic_slsa3.yml@refs/tags/v2.1.0`);
      assert.equal(r.verifiedBuilderId, `${WORKFLOWS}/builder_maven_slsa3.yml@refs/tags/v2.1.0`);
      assert.equal(r.summary.builderId, r.verifiedBuilderId);
      assert.equal(r.summary.sourceCommit, '4d329c75e7ec1725f7c9ce917a8799d408d06be3');
      assert.deepEqual(
        r.subjects.map((s) => [s.subject.name, s.matchedBy]),
        [['test-java-project-1.23.90.jar', 'file']],
      );
      // A JAR is a zip: detected, but not as a model format.
      assert.equal(r.subjects[0]!.format, undefined);
    }
  });

  it('the builder may be the Maven builder (bare, @v2.1.0, @refs/tags/v2.1.0) or left out; --source-branch main passes', async () => {
    for (const builderId of [
      undefined,
      `${WORKFLOWS}/builder_maven_slsa3.yml`,
      `${WORKFLOWS}/builder_maven_slsa3.yml@v2.1.0`,
      `${WORKFLOWS}/builder_maven_slsa3.yml@refs/tags/v2.1.0`,
    ]) {
      const r = await one(MAVEN, { modelPath: MAVEN_ARTIFACT, policy: { ...base, builderId, sourceBranch: 'main' } });
      assert.equal(r.ok, true, `${builderId}: ${JSON.stringify(r.policy)}`);
    }
  });

  it('fails: branch master, any tag or versioned tag (a branch build), a wrong source, an untrusted builder id (compared with the predicate)', async () => {
    const master = await one(MAVEN, { policy: { ...base, sourceBranch: 'master' } });
    assert.deepEqual(failing(master), ['source-branch']);
    for (const policy of [{ sourceTag: 'v1.23.90' }, { sourceTag: '' }, { sourceVersionedTag: 'v1' }]) {
      const r = await one(MAVEN, { policy: { ...base, ...policy } });
      assert.equal(r.ok, false, JSON.stringify(policy));
      assert.match(r.policy.find((c) => !c.ok)!.message, /invalid ref/);
    }
    assert.deepEqual(failing(await one(MAVEN, { policy: { sourceUri: 'github.com/slsa-framework/example-packageA' } })), ['source-uri']);
    const untrusted = await one(MAVEN, { policy: { ...base, builderId: `${WORKFLOWS}/not-trusted.yml` } });
    assert.deepEqual(failing(untrusted), ['builder-id']);
    assert.match(check(untrusted, 'builder-id').message, /BYOB: compared with the predicate's builder/);
  });
});

describe('slsa-verifier vectors: Google Cloud Build, signed over the raw payload by a regional KMS key', () => {
  const cases = [
    { file: GCB02, key: GLOBAL_KEY, wrongKey: US_WEST2_KEY, version: 'v0.2', region: 'global' },
    { file: GCB03, key: US_WEST2_KEY, wrongKey: GLOBAL_KEY, version: 'v0.3', region: 'us-west2' },
  ];
  const source = 'github.com/laurentsimon/gcb-tests';

  for (const c of cases) {
    it(`${c.version}: valid with its key (${c.region}) for the image digest in its .digest file`, async () => {
      const r = await one(c.file, { publicKeyPath: c.key, policy: { sourceUri: source } });
      assert.equal(r.document.form, 'gcb');
      assert.equal(r.document.gcb?.region, c.region);
      assert.equal(r.signature.status, 'verified');
      assert.equal(r.signature.method, 'key');
      assert.match(r.signature.keyId!, new RegExp(`/locations/${c.region}/`));
      assert.equal(steps(r)['raw-signature'], 'ok');
      assert.equal(r.ok, true, JSON.stringify(r.policy));
      assert.equal(r.verifiedBuilderId, `https://cloudbuild.googleapis.com/GoogleHostedWorker@${c.version}`);
      const digest = fs.readFileSync(c.file.replace(/\.json$/, '.digest'), 'utf8');
      assert.equal(digest, `sha256:${r.document.statement.subject[0]!.digest.sha256}`);
      assert.equal(r.document.gcb?.imageDigest, digest);
      assert.equal(check(r, 'gcb-metadata').ok, true);
      assert.equal(check(r, 'unsigned-statement').ok, true);
      for (const builderId of ['https://cloudbuild.googleapis.com/GoogleHostedWorker', `https://cloudbuild.googleapis.com/GoogleHostedWorker@${c.version}`]) {
        assert.equal((await one(c.file, { publicKeyPath: c.key, policy: { sourceUri: source, builderId } })).ok, true, builderId);
      }
    });

    it(`${c.version}: fails for @v0.4, GoogleHostedWorkera, another source, the other key, or no key`, async () => {
      const v04 = await one(c.file, {
        publicKeyPath: c.key,
        policy: { sourceUri: source, builderId: 'https://cloudbuild.googleapis.com/GoogleHostedWorker@v0.4' },
      });
      assert.deepEqual(failing(v04), ['builder-id']);
      const other = await one(c.file, {
        publicKeyPath: c.key,
        policy: { sourceUri: source, builderId: 'https://cloudbuild.googleapis.com/GoogleHostedWorkera' },
      });
      assert.deepEqual(failing(other), ['builder-id']);
      for (const sourceUri of ['github.com/laurentsimon/name', 'github.com/org/gcb-tests', 'gitlab.com/laurentsimon/gcb-tests']) {
        assert.deepEqual(failing(await one(c.file, { publicKeyPath: c.key, policy: { sourceUri } })), ['source-uri'], sourceUri);
      }
      const wrong = await one(c.file, { publicKeyPath: c.wrongKey, policy: { sourceUri: source } });
      assert.equal(wrong.signature.status, 'failed');
      assert.equal(wrong.signature.error?.code, 'SIGNATURE_INVALID');
      assert.equal(wrong.ok, false);
      const none = await one(c.file, { policy: { sourceUri: source } });
      assert.equal(none.signature.error?.code, 'PUBLIC_KEY_REQUIRED');
      assert.equal(none.ok, false);
    });
  }

  it('the v0.2 signature is base64url and the v0.3 one standard base64 with padding: both verify', () => {
    const sig = (f: string) => readGcloudProvenance(f).provenance_summary.provenance[0]!.envelope.signatures[0]!.sig;
    assert.match(sig(GCB02), /[-_]/);
    assert.match(sig(GCB03), /==$/);
  });

  it('v0.3 names its tag: --source-tag v39 and --source-versioned-tag v39 pass, another tag fails, a branch is not supported', async () => {
    const ok = await one(GCB03, { publicKeyPath: US_WEST2_KEY, policy: { sourceUri: source, sourceTag: 'v39', sourceVersionedTag: 'v39' } });
    assert.equal(ok.ok, true, JSON.stringify(ok.policy));
    assert.deepEqual(failing(await one(GCB03, { publicKeyPath: US_WEST2_KEY, policy: { sourceUri: source, sourceTag: 'v38' } })), ['source-tag']);
    assert.deepEqual(failing(await one(GCB03, { publicKeyPath: US_WEST2_KEY, policy: { sourceUri: source, sourceBranch: 'main' } })), ['source-branch']);
  });

  it('an unsigned text copy that differs from the signed payload is rejected, though the signature holds', async () => {
    const gcloud = readGcloudProvenance(GCB02);
    gcloud.provenance_summary.provenance[0]!.build.intotoStatement.slsaProvenance.materials[0]!.uri =
      'https://github.com/laurentsimon/other/commit/fbbb98765e85ad464302dc5977968104d36e455e';
    const edited = path.join(tempDir(), 'edited.json');
    fs.writeFileSync(edited, JSON.stringify(gcloud));
    const r = await one(edited, { publicKeyPath: GLOBAL_KEY, policy: { sourceUri: source } });
    assert.equal(r.signature.status, 'verified');
    assert.equal(r.document.gcb?.unsignedStatementMatches, false);
    assert.deepEqual(failing(r), ['unsigned-statement']);
    assert.equal(r.ok, false);
  });

  it('another image digest, or a mutable reference without one, fails the occurrence check', async () => {
    for (const resourceUri of [
      'https://us-west2-docker.pkg.dev/gosst-scare-sandbox/quickstart-docker-repo/quickstart-image@sha256:' + 'f'.repeat(64),
      'https://us-west2-docker.pkg.dev/gosst-scare-sandbox/quickstart-docker-repo/quickstart-image:v14',
    ]) {
      const gcloud = readGcloudProvenance(GCB02);
      gcloud.provenance_summary.provenance[0]!.resourceUri = resourceUri;
      const edited = path.join(tempDir(), 'edited.json');
      fs.writeFileSync(edited, JSON.stringify(gcloud));
      const r = await one(edited, { publicKeyPath: GLOBAL_KEY, policy: { sourceUri: source } });
      assert.deepEqual(failing(r), ['gcb-metadata'], resourceUri);
    }
  });
});

describe('slsa-verifier vectors: the bcr negative, re-signed by another workflow', () => {
  it('passes every cryptographic check and the subject, and is still rejected: the certificate disagrees with the predicate', async () => {
    for (const trustConfig of [production, loadTrustConfig(CUSTOM_TRUST)]) {
      const r = await one(BCR, { trustConfig, modelPath: BCR_ARTIFACT });
      assert.equal(r.document.bundle?.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
      assert.equal(r.signature.status, 'verified');
      assert.equal(r.signature.signedAt, '2025-03-31T18:39:28.000Z');
      assert.deepEqual(steps(r), { 'dsse-signature': 'ok', 'certificate-chain': 'ok', 'transparency-log': 'ok', timestamp: 'absent', 'signing-time': 'ok' });
      assert.deepEqual(
        r.subjects.map((s) => s.matchedBy),
        ['file'],
      );
      assert.equal(r.ok, false);
      assert.equal(r.verifiedBuilderId, undefined);
      assert.equal(
        r.signer,
        'https://github.com/loosebazooka/aa-test/.github/workflows/malicious_attestation.yaml@refs/heads/main (https://token.actions.githubusercontent.com)',
      );
      const agree = check(r, 'certificate-agrees');
      assert.equal(agree.ok, false);
      assert.match(
        agree.message,
        /runDetails\.builder\.id says 'https:\/\/github\.com\/bazel-contrib\/publish-to-bcr\/\.github\/workflows\/publish\.yaml@refs\/tags\/v0\.0\.1'/,
      );
      assert.match(
        agree.message,
        /workflow\.repository says 'https:\/\/github\.com\/aspect-build\/rules_lint', the certificate's sourceRepositoryUri 'https:\/\/github\.com\/loosebazooka\/aa-test'/,
      );
      assert.match(agree.message, /workflow\.ref says 'refs\/heads\/publish-to-bcr', the certificate's sourceRepositoryRef 'refs\/heads\/main'/);
      assert.equal(check(r, 'trusted-builder').ok, false);
    }
  });

  it("with slsa-verifier's flags: the builder, the source and the agreement all fail", async () => {
    const r = await one(BCR, {
      modelPath: BCR_ARTIFACT,
      policy: { sourceUri: 'github.com/aspect-build/rules_lint', builderId: 'https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml' },
    });
    assert.deepEqual(failing(r).sort(), ['builder-id', 'certificate-agrees', 'source-uri', 'trusted-builder']);
    assert.match(check(r, 'source-uri').message, /certificate's source repository is https:\/\/github\.com\/loosebazooka\/aa-test/);
    assert.match(check(r, 'trusted-builder').message, /its ref 'refs\/heads\/main' is not a release tag/);
    assert.equal(r.sourceFrom, 'certificate');
  });

  it('trusting the actual signer by name still fails on the disagreement', async () => {
    const r = await one(BCR, { policy: { builderId: 'https://github.com/loosebazooka/aa-test/.github/workflows/malicious_attestation.yaml' } });
    assert.deepEqual(failing(r), ['certificate-agrees']);
  });
});

describe('reading the vectors', () => {
  it('a missing file and a non-provenance file are typed errors', async () => {
    await assert.rejects(verifyProvenance(path.join(tempDir(), 'nope.jsonl')), (e: unknown) => e instanceof FormatError && e.code === 'PROVENANCE_UNREADABLE');
    await assert.rejects(verifyProvenance(GLOBAL_KEY), (e: unknown) => e instanceof FormatError && e.code === 'PROVENANCE_INVALID');
  });
});
