// Provenance the tests make, in every form and version the reader takes, signed
// by the local Sigstore stand-in (Fulcio certificates with GitHub workflow
// claims, Rekor, TSA) or by keys; then checked against model folders on disk.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FormatError } from '../../src/core/errors';
import { serializeModel } from '../../src/core/manifest/serializer';
import { ProvenanceReport, readProvenanceFile, summarizeProvenance } from '../../src/core/provenance';
import { attestModel } from '../../src/core/provenance/attesting/attest';
import { KeySigner } from '../../src/core/signing/keySigner';
import { makeModel, tempDir } from '../helpers/fixtures';
import { startLocalSigstore } from '../helpers/localSigstore';
import {
  GENERIC_GENERATOR,
  LOWPERMS_DELEGATOR,
  Subject,
  asBundleVersion,
  asIntotoLine,
  byobV1,
  cloudBuildV01,
  ecKeys,
  gcloudOutput,
  genericGeneratorV02,
  gitHubClaims,
  gitHubRun,
  githubWorkflowV1,
  keyEnvelope,
  sha256,
  signKeyless,
  statement,
  tinySafetensors,
  writeProvenance,
} from '../helpers/provenance';
import { provenanceSuite } from '../helpers/provenanceSuite';

const suite = provenanceSuite();
const { hashing, verify } = suite;

const MODEL_FILES = { 'weights.safetensors': tinySafetensors(), 'config.json': '{"layers": 2}', 'tokenizer/vocab.txt': 'a\nb\n' };

async function rootDigest(model: string): Promise<string> {
  return (await serializeModel(model, { pool: hashing })).rootDigest();
}

const failing = (r: ProvenanceReport) => r.policy.filter((c) => !c.ok).map((c) => c.name);

/** A model folder and subjects for it: the root digest and each file. */
async function modelWithSubjects(): Promise<{ model: string; subjects: Subject[]; root: string }> {
  const model = makeModel(MODEL_FILES, 'my-model');
  const root = await rootDigest(model);
  const subjects: Subject[] = [{ name: 'my-model', digest: { sha256: root } }];
  for (const [name, content] of Object.entries(MODEL_FILES)) subjects.push({ name, digest: { sha256: sha256(content) } });
  return { model, subjects, root };
}

describe('Sigstore bundles v0.1, v0.2, v0.3 from the local Sigstore', () => {
  it('GitHub workflow provenance (SLSA v1) verifies in each bundle version; a workflow of the --source-uri repository is trusted', async () => {
    const { model, subjects, root } = await modelWithSubjects();
    const run = gitHubRun({ ref: 'refs/heads/main' });
    const bundle = await signKeyless(githubWorkflowV1(subjects, run), suite.sigstore, suite.trust, gitHubClaims(run));
    for (const version of ['0.1', '0.2', '0.3'] as const) {
      const file = writeProvenance(`model.v${version}.sigstore.json`, asBundleVersion(bundle, version));
      const [r] = await verify(file, { modelPath: model, policy: { sourceUri: 'github.com/acme/models', sourceBranch: 'main' } });
      assert.equal(r!.document.bundle?.mediaType.includes(version === '0.3' ? 'v0.3' : `version=${version}`), true);
      assert.equal(r!.signature.status, 'verified', JSON.stringify(r!.signature.error));
      assert.equal(r!.signature.transparencyLog, 'present');
      const signedAt = Date.parse(r!.signature.signedAt ?? '');
      assert.ok(signedAt >= Math.floor(suite.sigstore.time.getTime() / 1000) * 1000 && signedAt <= Date.now(), r!.signature.signedAt);
      assert.equal(r!.ok, true, `v${version}: ${JSON.stringify(r!.policy)}`);
      assert.equal(r!.verifiedBuilderId, run.signer);
      assert.equal(r!.modelRootDigest, `sha256:${root}`);
      assert.deepEqual(
        r!.subjects.map((s) => [s.subject.name, s.matchedBy, s.files]),
        [
          ['my-model', 'root-digest', []],
          ['weights.safetensors', 'file', ['weights.safetensors']],
          ['config.json', 'file', ['config.json']],
          ['tokenizer/vocab.txt', 'file', ['tokenizer/vocab.txt']],
        ],
      );
      assert.equal(r!.subjects[1]!.format?.kind, 'safetensors');
      assert.equal(r!.summary.sourceCommit, run.sha);
      assert.equal(r!.summary.run?.url, 'https://github.com/acme/models/actions/runs/4242/attempts/1');
    }
  });

  it("without --builder-id or a matching --source-uri, another repository's workflow is not trusted; --builder-id trusts it", async () => {
    const { subjects } = await modelWithSubjects();
    const run = gitHubRun({ ref: 'refs/heads/main' });
    const file = writeProvenance('p.sigstore.json', await signKeyless(githubWorkflowV1(subjects, run), suite.sigstore, suite.trust, gitHubClaims(run)));
    const [none] = await verify(file);
    assert.deepEqual(failing(none!), ['trusted-builder']);
    // The hint is typed: the CLI words it as --builder-id, the viewer as its Expected Source and Builder… control.
    const trustedBuilder = none!.policy.find((c) => c.name === 'trusted-builder')!;
    assert.deepEqual(trustedBuilder.hint, {
      expect: 'builder-id',
      value: 'https://github.com/acme/models/.github/workflows/train.yml',
      or: { expect: 'source-uri', value: 'github.com/acme/models' },
    });
    assert.doesNotMatch(trustedBuilder.message, /--/);
    const [named] = await verify(file, { policy: { builderId: 'https://github.com/acme/models/.github/workflows/train.yml' } });
    assert.equal(named!.ok, true, JSON.stringify(named!.policy));
    const [other] = await verify(file, { policy: { builderId: 'https://github.com/acme/models/.github/workflows/other.yml' } });
    assert.deepEqual(failing(other!).sort(), ['builder-id', 'trusted-builder']);
    const [wrongRepo] = await verify(file, { policy: { sourceUri: 'github.com/acme/other' } });
    assert.deepEqual(failing(wrongRepo!).sort(), ['source-uri', 'trusted-builder']);
  });

  it('a reusable workflow of another repository is trusted by --builder-id at a release tag only', async () => {
    const { subjects } = await modelWithSubjects();
    for (const [signerRef, ok] of [
      ['refs/tags/v1.0.0', true],
      ['refs/heads/main', false],
    ] as const) {
      const run = gitHubRun({ signer: `https://github.com/acme/builders/.github/workflows/build.yml@${signerRef}` });
      const file = writeProvenance('p.sigstore.json', await signKeyless(githubWorkflowV1(subjects, run), suite.sigstore, suite.trust, gitHubClaims(run)));
      const [r] = await verify(file, {
        policy: { builderId: 'https://github.com/acme/builders/.github/workflows/build.yml', sourceUri: 'github.com/acme/models', sourceTag: 'v1.2.3' },
      });
      assert.equal(r!.ok, ok, `${signerRef}: ${JSON.stringify(r!.policy)}`);
      if (!ok) assert.match(r!.policy.find((c) => c.name === 'builder-id')!.message, /not at a release tag/);
    }
  });

  it('a statement that claims another repository, ref and builder than the certificate is rejected (the bcr pattern)', async () => {
    const { subjects } = await modelWithSubjects();
    const claimed = gitHubRun({
      repository: 'victim/models',
      ref: 'refs/tags/v9.0.0',
      signer: 'https://github.com/victim/release/.github/workflows/publish.yml@refs/tags/v1.0.0',
    });
    const actual = gitHubRun({ repository: 'mallory/tools', ref: 'refs/heads/main' });
    const file = writeProvenance('p.sigstore.json', await signKeyless(githubWorkflowV1(subjects, claimed), suite.sigstore, suite.trust, gitHubClaims(actual)));
    const [r] = await verify(file, {
      policy: { sourceUri: 'github.com/victim/models', builderId: 'https://github.com/victim/release/.github/workflows/publish.yml' },
    });
    assert.equal(r!.signature.status, 'verified');
    assert.deepEqual(failing(r!).sort(), ['builder-id', 'certificate-agrees', 'source-uri', 'trusted-builder']);
    assert.match(
      r!.policy.find((c) => c.name === 'certificate-agrees')!.message,
      /workflow\.repository says 'https:\/\/github\.com\/victim\/models', the certificate's sourceRepositoryUri 'https:\/\/github\.com\/mallory\/tools'/,
    );
  });

  it('slsa-github-generator provenance (SLSA v0.2) from a generator certificate: trusted by default, tags and branch as slsa-verifier reads them', async () => {
    const { model, subjects } = await modelWithSubjects();
    const run = gitHubRun({ signer: `${GENERIC_GENERATOR}@refs/tags/v2.1.0` });
    const file = writeProvenance('p.build.slsa', await signKeyless(genericGeneratorV02(subjects, run), suite.sigstore, suite.trust, gitHubClaims(run)));
    const [r] = await verify(file, {
      modelPath: model,
      policy: { sourceUri: 'github.com/acme/models', sourceTag: 'v1.2.3', sourceVersionedTag: 'v1.2', sourceBranch: 'main' },
    });
    assert.equal(r!.summary.predicateType, 'https://slsa.dev/provenance/v0.2');
    assert.equal(r!.ok, true, JSON.stringify(r!.policy));
    assert.equal(r!.verifiedBuilderId, `${GENERIC_GENERATOR}@refs/tags/v2.1.0`);
    const [wrongTag] = await verify(file, { policy: { sourceUri: 'github.com/acme/models', sourceVersionedTag: 'v1.3' } });
    assert.deepEqual(failing(wrongTag!), ['source-versioned-tag']);
    // A generator run from a branch is not a release: untrusted.
    const branchRun = gitHubRun({ signer: `${GENERIC_GENERATOR}@refs/heads/main` });
    const branchFile = writeProvenance(
      'p.build.slsa',
      await signKeyless(genericGeneratorV02(subjects, branchRun), suite.sigstore, suite.trust, gitHubClaims(branchRun)),
    );
    const [branch] = await verify(branchFile, { policy: { sourceUri: 'github.com/acme/models' } });
    assert.deepEqual(failing(branch!), ['trusted-builder']);
  });

  it("BYOB (SLSA v1 through a delegator): the builder is the predicate's, checked against --builder-id", async () => {
    const { subjects } = await modelWithSubjects();
    const run = gitHubRun({ ref: 'refs/heads/main', eventName: 'workflow_dispatch', signer: `${LOWPERMS_DELEGATOR}@refs/tags/v2.1.0` });
    const builder = 'https://github.com/acme/builders/.github/workflows/builder.yml@refs/tags/v3.0.0';
    const file = writeProvenance('p.build.slsa', await signKeyless(byobV1(subjects, run, builder), suite.sigstore, suite.trust, gitHubClaims(run)));
    const [named] = await verify(file, {
      policy: { sourceUri: 'github.com/acme/models', builderId: 'https://github.com/acme/builders/.github/workflows/builder.yml@v3.0.0', sourceBranch: 'main' },
    });
    assert.equal(named!.ok, true, JSON.stringify(named!.policy));
    assert.equal(named!.verifiedBuilderId, builder);
    // Not one of slsa-github-generator's builders: it must be named.
    const [unnamed] = await verify(file, { policy: { sourceUri: 'github.com/acme/models' } });
    assert.deepEqual(failing(unnamed!), ['trusted-builder']);
  });
});

describe('.intoto.jsonl: the certificate in the signature, no log entry', () => {
  it("is incomplete (chain checked at the certificate's time), accepted only with allowIncomplete, never verified", async () => {
    const { model, subjects } = await modelWithSubjects();
    const run = gitHubRun({ signer: `${GENERIC_GENERATOR}@refs/tags/v2.1.0` });
    const bundle = await signKeyless(genericGeneratorV02(subjects, run), suite.sigstore, suite.trust, gitHubClaims(run));
    const file = writeProvenance('p.intoto.jsonl', `${asIntotoLine(bundle)}\n`);
    const [r] = await verify(file, { modelPath: model, policy: { sourceUri: 'github.com/acme/models' } });
    assert.equal(r!.document.form, 'dsse');
    assert.equal(r!.signature.status, 'incomplete');
    assert.equal(r!.signature.transparencyLog, 'absent');
    assert.ok(r!.signature.chainCheckedAt);
    const at = Date.parse(r!.signature.chainCheckedAt);
    assert.ok(at >= Date.parse(r!.signature.certificate!.notBefore) && at <= Date.parse(r!.signature.certificate!.notAfter));
    assert.equal(r!.ok, false);
    const [allowed] = await verify(file, { modelPath: model, allowIncomplete: true, policy: { sourceUri: 'github.com/acme/models' } });
    assert.equal(allowed!.ok, true, JSON.stringify(allowed!.policy));
    assert.equal(allowed!.signature.status, 'incomplete');
    // Another trusted root: the chain fails.
    const other = await startLocalSigstore();
    try {
      const [foreign] = await verify(file, { trustConfig: { trustedRoot: other.trustedRoot, source: 'trust-config', date: '' }, allowIncomplete: true });
      assert.equal(foreign!.signature.status, 'failed');
      assert.equal(foreign!.signature.error?.code, 'CERTIFICATE_CHAIN_INVALID');
    } finally {
      await other.stop();
    }
  });

  it('a bundle (v0.2 or v0.3) whose log entry and timestamp were removed is incomplete too, not verified', async () => {
    const { subjects } = await modelWithSubjects();
    const run = gitHubRun({ signer: `${GENERIC_GENERATOR}@refs/tags/v2.1.0` });
    const bundle = await signKeyless(genericGeneratorV02(subjects, run), suite.sigstore, suite.trust, gitHubClaims(run));
    for (const version of ['0.2', '0.3'] as const) {
      const b = asBundleVersion(bundle, version);
      const stripped = { ...b, verificationMaterial: { ...b.verificationMaterial, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } } };
      const file = writeProvenance('p.sigstore.json', stripped);
      const [r] = await verify(file, { policy: { sourceUri: 'github.com/acme/models' } });
      assert.equal(r!.signature.status, 'incomplete', version);
      assert.equal(r!.signature.transparencyLog, 'absent');
      assert.equal(r!.ok, false);
      assert.equal((await verify(file, { allowIncomplete: true, policy: { sourceUri: 'github.com/acme/models' } }))[0]!.ok, true);
      // Only the log entry gone, the timestamp kept: Sigstore's check runs, and wants its log entry.
      const noLog = writeProvenance('p.sigstore.json', { ...b, verificationMaterial: { ...b.verificationMaterial, tlogEntries: [] } });
      const [strict] = await verify(noLog, { allowIncomplete: true });
      assert.equal(strict!.signature.status, 'failed', version);
      assert.equal(strict!.signature.error?.code, 'TLOG_INVALID');
    }
  });

  it('a bundle whose log entry lost its log id is malformed: failed with BUNDLE_INVALID, not a bad signature', async () => {
    const { subjects } = await modelWithSubjects();
    const run = gitHubRun({ signer: `${GENERIC_GENERATOR}@refs/tags/v2.1.0` });
    const b = await signKeyless(genericGeneratorV02(subjects, run), suite.sigstore, suite.trust, gitHubClaims(run));
    const { logId: _, ...entry } = b.verificationMaterial.tlogEntries![0] as Record<string, unknown>;
    const file = writeProvenance('p.sigstore.json', { ...b, verificationMaterial: { ...b.verificationMaterial, tlogEntries: [entry] } });
    const [r] = await verify(file, { policy: { sourceUri: 'github.com/acme/models' } });
    assert.equal(r!.signature.status, 'failed');
    assert.equal(r!.signature.error?.code, 'BUNDLE_INVALID');
  });

  it('one envelope per line: one report each, in order', async () => {
    const { subjects } = await modelWithSubjects();
    const run = gitHubRun({ signer: `${GENERIC_GENERATOR}@refs/tags/v2.1.0` });
    const a = await signKeyless(genericGeneratorV02(subjects.slice(0, 1), run), suite.sigstore, suite.trust, gitHubClaims(run));
    const b = await signKeyless(genericGeneratorV02(subjects.slice(1), run), suite.sigstore, suite.trust, gitHubClaims(run));
    const file = writeProvenance('p.intoto.jsonl', `${asIntotoLine(a)}\n\n${asIntotoLine(b)}\n`);
    const docs = await readProvenanceFile(file);
    assert.deepEqual(
      docs.map((d) => [d.index, d.statement.subject.length]),
      [
        [0, 1],
        [1, 3],
      ],
    );
    // Sigstore bundles one per line, as `gh attestation download` writes them.
    const lines = writeProvenance('sha256:abc.jsonl', `${JSON.stringify(a)}\n${JSON.stringify(asBundleVersion(b, '0.2'))}\n`);
    const reports = await verify(lines, { policy: { sourceUri: 'github.com/acme/models' } });
    assert.deepEqual(
      reports.map((r) => [r.document.form, r.document.index, r.signature.status, r.ok]),
      [
        ['sigstore-bundle', 0, 'verified', true],
        ['sigstore-bundle', 1, 'verified', true],
      ],
    );
  });
});

describe('key-signed provenance: bare DSSE, attest with a key, and Cloud Build JSON', () => {
  it('a bare DSSE envelope (base64 or base64url) verifies with its key, not with another or none', async () => {
    const { model, subjects } = await modelWithSubjects();
    const keys = ecKeys();
    const other = ecKeys();
    const st = statement('https://slsa.dev/provenance/v1', subjects, {
      buildDefinition: {
        buildType: 'https://example.com/local/v1',
        externalParameters: { source: { uri: 'https://github.com/acme/models' } },
        resolvedDependencies: [{ uri: 'git+https://github.com/acme/models@refs/heads/main', digest: { gitCommit: 'c'.repeat(40) } }],
      },
      runDetails: { builder: { id: 'https://example.com/builder/v1' }, metadata: {} },
    });
    for (const urlSafe of [false, true]) {
      const file = writeProvenance('p.dsse.json', keyEnvelope(st, keys.privateKey, { urlSafe }));
      const [r] = await verify(file, {
        modelPath: model,
        publicKeyPath: keys.publicKeyPath,
        policy: { sourceUri: 'github.com/acme/models', sourceBranch: 'main', builderId: 'https://example.com/builder/v1' },
      });
      assert.equal(r!.signature.status, 'verified');
      assert.equal(r!.signature.method, 'key');
      assert.equal(r!.sourceFrom, 'predicate');
      assert.equal(r!.ok, true, JSON.stringify(r!.policy));
      const [wrong] = await verify(file, { publicKeyPath: other.publicKeyPath });
      assert.equal(wrong!.signature.error?.code, 'SIGNATURE_INVALID');
      const [none] = await verify(file);
      assert.equal(none!.signature.error?.code, 'PUBLIC_KEY_REQUIRED');
      const [otherBuilder] = await verify(file, { publicKeyPath: keys.publicKeyPath, policy: { builderId: 'https://example.com/builder/v2' } });
      assert.deepEqual(failing(otherBuilder!), ['builder-id']);
    }
  });

  it('attest with a key writes provenance that verifies back; a changed file, another source or builder fails', async () => {
    const model = makeModel(MODEL_FILES, 'attested');
    const keys = ecKeys();
    const output = path.join(tempDir(), 'attested.sigstore.json');
    await attestModel(model, {
      pool: hashing,
      signer: new KeySigner(keys.privateKey),
      output,
      perFile: true,
      environment: {},
      overrides: { sourceUri: 'github.com/acme/models', sourceRef: 'refs/tags/v1.0.0', sourceCommit: 'd'.repeat(40), builderId: 'https://example.com/ci/v1' },
    });
    const policy = { sourceUri: 'github.com/acme/models', sourceTag: 'v1.0.0', builderId: 'https://example.com/ci/v1' };
    const [r] = await verify(output, { modelPath: model, publicKeyPath: keys.publicKeyPath, policy });
    assert.equal(r!.ok, true, JSON.stringify([r!.signature, r!.policy]));
    assert.deepEqual(
      r!.subjects.map((s) => s.matchedBy),
      ['root-digest', 'file', 'file', 'file'],
    );
    assert.deepEqual(
      failing((await verify(output, { modelPath: model, publicKeyPath: keys.publicKeyPath, policy: { ...policy, sourceUri: 'github.com/acme/other' } }))[0]!),
      ['source-uri'],
    );
    assert.deepEqual(
      failing(
        (await verify(output, { modelPath: model, publicKeyPath: keys.publicKeyPath, policy: { ...policy, builderId: 'https://example.com/ci/v2' } }))[0]!,
      ),
      ['builder-id'],
    );
    fs.writeFileSync(path.join(model, 'config.json'), '{"layers": 3}');
    const [changed] = await verify(output, { modelPath: model, publicKeyPath: keys.publicKeyPath, policy });
    assert.equal(changed!.ok, false);
    assert.equal(changed!.subjects[0]!.matchedBy, 'none');
    assert.equal(changed!.subjects.find((s) => s.subject.name === 'config.json')!.changedFile, 'config.json');
  });

  it('Cloud Build JSON signed over the raw payload (base64url sig) verifies with the key; another key, or an edited copy, fails', async () => {
    for (const version of ['v0.2', 'v0.3'] as const) {
      const keys = ecKeys();
      const digest = sha256('image');
      const st = cloudBuildV01(digest, { version });
      for (const base64url of [true, false]) {
        const file = writeProvenance('gcloud.json', gcloudOutput(st, keys.privateKey, { base64url }));
        const [r] = await verify(file, {
          publicKeyPath: keys.publicKeyPath,
          policy: { sourceUri: 'github.com/acme/models', builderId: `https://cloudbuild.googleapis.com/GoogleHostedWorker@${version}`, sourceTag: 'v7' },
        });
        assert.equal(r!.signature.status, 'verified');
        assert.equal(r!.signature.steps?.find((s) => s.name === 'raw-signature')?.status, 'ok');
        assert.equal(r!.ok, true, `${version}: ${JSON.stringify(r!.policy)}`);
        assert.equal(r!.summary.sourceRef, 'refs/tags/v7');
      }
      const file = writeProvenance('gcloud.json', gcloudOutput(st, keys.privateKey));
      assert.equal((await verify(file, { publicKeyPath: ecKeys().publicKeyPath }))[0]!.signature.status, 'failed');
      const edited = gcloudOutput(st, keys.privateKey);
      (
        edited.provenance_summary.provenance[0]!.build.intotoStatement as { slsaProvenance: { recipe: { entryPoint: string } } }
      ).slsaProvenance.recipe.entryPoint = 'other.yaml';
      const [copy] = await verify(writeProvenance('gcloud.json', edited), { publicKeyPath: keys.publicKeyPath });
      assert.deepEqual(failing(copy!), ['unsigned-statement']);
    }
  });
});

describe('subjects against the model on disk', () => {
  it('in a folder, a subject binds the file of its name: a match, a changed file, a missing one, a renamed one, the root digest', async () => {
    const model = makeModel({ 'a.bin': 'A', 'b.bin': 'B', 'sub/c.bin': 'C', 'copy.bin': 'A' }, 'folder');
    const keys = ecKeys();
    const subjects: Subject[] = [
      { name: 'folder', digest: { sha256: await rootDigest(model) } },
      { name: 'a.bin', digest: { sha256: sha256('A') } },
      { name: 'folder/b.bin', digest: { sha256: sha256('old B') } },
      { name: 'gone.bin', digest: { sha256: sha256('gone') } },
      { name: 'renamed.bin', digest: { sha256: sha256('C') } },
      { name: 'sha512-only', digest: { sha512: 'ab'.repeat(64) } },
    ];
    const file = writeProvenance(
      'p.json',
      keyEnvelope(statement('https://slsa.dev/provenance/v1', subjects, { runDetails: { builder: { id: 'x:y' } } }), keys.privateKey),
    );
    const [r] = await verify(file, { modelPath: model, publicKeyPath: keys.publicKeyPath });
    assert.deepEqual(
      r!.subjects.map((s) => [s.subject.name, s.matchedBy, s.status, s.files, s.changedFile, s.sameContent]),
      [
        ['folder', 'root-digest', 'ok', [], undefined, undefined],
        ['a.bin', 'file', 'ok', ['a.bin'], undefined, undefined],
        ['folder/b.bin', 'none', 'failed', [], 'b.bin', undefined],
        ['gone.bin', 'none', 'failed', [], undefined, undefined],
        ['renamed.bin', 'none', 'failed', [], undefined, ['sub/c.bin']],
        ['sha512-only', 'none', 'failed', [], undefined, undefined],
      ],
    );
    assert.equal(r!.ok, false);
    assert.equal(r!.uncoveredFiles, undefined, 'the root digest covers every file');
    // The subjects that bind their files alone pass; any subject that binds nothing fails, even beside the root digest.
    const only = (names: string[]) =>
      writeProvenance(
        'p.json',
        keyEnvelope(
          statement(
            'https://slsa.dev/provenance/v1',
            subjects.filter((s) => names.includes(s.name)),
            { runDetails: { builder: { id: 'x:y' } } },
          ),
          keys.privateKey,
        ),
      );
    assert.equal((await verify(only(['folder', 'a.bin']), { modelPath: model, publicKeyPath: keys.publicKeyPath }))[0]!.ok, true);
    for (const extra of ['folder/b.bin', 'gone.bin', 'renamed.bin', 'sha512-only']) {
      assert.equal((await verify(only(['folder', 'a.bin', extra]), { modelPath: model, publicKeyPath: keys.publicKeyPath }))[0]!.ok, false, extra);
    }
    // Without the root digest, every file must be named: copy.bin, sub/c.bin and b.bin are not.
    const [partial] = await verify(only(['a.bin']), { modelPath: model, publicKeyPath: keys.publicKeyPath });
    assert.deepEqual(partial!.uncoveredFiles, ['b.bin', 'copy.bin', 'sub/c.bin']);
    assert.equal(partial!.ok, false);
  });

  it('a provenance file inside the model folder is left out of its root digest, as model.sig is', async () => {
    const model = makeModel({ 'w.bin': 'weights' }, 'm');
    const root = await rootDigest(model);
    const keys = ecKeys();
    const file = path.join(model, 'provenance.json');
    fs.writeFileSync(
      file,
      JSON.stringify(keyEnvelope(statement('https://slsa.dev/provenance/v1', [{ name: 'm', digest: { sha256: root } }], {}), keys.privateKey)),
    );
    const [r] = await verify(file, { modelPath: model, publicKeyPath: keys.publicKeyPath });
    assert.equal(r!.modelRootDigest, `sha256:${root}`);
    assert.equal(r!.subjects[0]!.matchedBy, 'root-digest');
  });

  it('a single-file model: the file matches by its sha256', async () => {
    const model = path.join(makeModel({ 'model.safetensors': tinySafetensors() }), 'model.safetensors');
    const keys = ecKeys();
    const file = writeProvenance(
      'p.json',
      keyEnvelope(statement('https://slsa.dev/provenance/v1', [{ name: 'anything', digest: { sha256: sha256(tinySafetensors()) } }], {}), keys.privateKey),
    );
    const [r] = await verify(file, { modelPath: model, publicKeyPath: keys.publicKeyPath });
    assert.deepEqual(
      r!.subjects.map((s) => [s.matchedBy, s.files, s.format?.kind]),
      [['file', ['model.safetensors'], 'safetensors']],
    );
  });
});

describe('predicates', () => {
  it('an unknown predicate is summarised as unknown and shown raw, not rejected', async () => {
    const keys = ecKeys();
    const raw = { anything: ['goes', 1, { here: true }] };
    const file = writeProvenance(
      'p.json',
      keyEnvelope(statement('https://example.com/custom-predicate/v1', [{ name: 'x', digest: { sha256: sha256('x') } }], raw), keys.privateKey),
    );
    const [r] = await verify(file, { publicKeyPath: keys.publicKeyPath });
    assert.equal(r!.summary.unknownPredicate, true);
    assert.deepEqual(r!.document.statement.predicate, raw);
    assert.equal(r!.signature.status, 'verified');
    assert.equal(r!.ok, true);
  });

  it('SLSA v0.2, v1 (GitHub, BYOB, Cloud Build v0.1) summaries name builder, source, ref, workflow, run and trigger', () => {
    const run = gitHubRun({ ref: 'refs/tags/v1.2.3' });
    const subjects = [{ name: 'm', digest: { sha256: 'a'.repeat(64) } }];
    const v02 = summarizeProvenance(genericGeneratorV02(subjects, run));
    assert.deepEqual(
      [v02.builderId, v02.sourceUri, v02.sourceCommit, v02.sourceRef, v02.trigger, v02.run?.url, v02.workflow?.path],
      [
        run.signer,
        'git+https://github.com/acme/models@refs/tags/v1.2.3',
        run.sha,
        'refs/tags/v1.2.3',
        'push',
        'https://github.com/acme/models/actions/runs/4242/attempts/1',
        '.github/workflows/train.yml',
      ],
    );
    const v1 = summarizeProvenance(githubWorkflowV1(subjects, run));
    assert.deepEqual(
      [v1.buildType, v1.builderId, v1.sourceRef, v1.trigger, v1.run, v1.workflow],
      [
        'https://actions.github.io/buildtypes/workflow/v1',
        run.signer,
        'refs/tags/v1.2.3',
        'push',
        { id: '4242', attempt: '1', url: 'https://github.com/acme/models/actions/runs/4242/attempts/1' },
        { path: '.github/workflows/train.yml', ref: 'refs/tags/v1.2.3', repository: 'https://github.com/acme/models' },
      ],
    );
    assert.equal(v1.dependencies.length, 1);
    const byob = summarizeProvenance(byobV1(subjects, run, 'https://b@refs/tags/v1.0.0'));
    assert.deepEqual([byob.builderId, byob.workflow?.repository, byob.run?.id], ['https://b@refs/tags/v1.0.0', 'https://github.com/acme/models', '4242']);
    const gcb = summarizeProvenance(cloudBuildV01('a'.repeat(64), { version: 'v0.2' }));
    assert.deepEqual(
      [gcb.builderId, gcb.buildType, gcb.sourceCommit, gcb.sourceRef, gcb.run?.id, gcb.startedOn],
      [
        'https://cloudbuild.googleapis.com/GoogleHostedWorker@v0.2',
        'https://cloudbuild.googleapis.com/GoogleHostedWorker@v0.2',
        'b'.repeat(40),
        'refs/tags/v7',
        'build-1',
        '2026-01-01T00:00:00Z',
      ],
    );
  });
});

describe('malformed provenance is a typed FormatError', () => {
  const keys = ecKeys();
  const env = (st: unknown) => keyEnvelope(st, keys.privateKey);
  const good = statement('https://slsa.dev/provenance/v1', [{ name: 'x', digest: { sha256: 'a'.repeat(64) } }], {});
  // The file's text, or a JSON value written as its text.
  const cases: Array<[string, unknown, RegExp]> = [
    ['empty', '', /empty/],
    ['not JSON', 'hello\nworld', /not JSON/],
    ['JSON that is not provenance', { hello: 'world' }, /not provenance/],
    ['a JSON number', '42', /not a JSON object/],
    ['payload not base64', { payloadType: 'application/vnd.in-toto+json', payload: 'not base64!', signatures: [{ sig: 'AA==' }] }, /payload is not base64/],
    ['other payload type', { ...env(good), payloadType: 'text/plain' }, /payload type/],
    ['no signature', { ...env(good), signatures: [] }, /no signature/],
    ['payload not a statement', env({ hello: 1 }), /not an in-toto Statement/],
    ['statement without subject', env({ ...good, subject: [] }), /no subject/],
    ['subject sha256 of the wrong length', env({ ...good, subject: [{ name: 'x', digest: { sha256: 'abc' } }] }), /64 hex/],
    ['statement without predicateType', env({ ...good, predicateType: undefined }), /no predicateType/],
    ['bundle of an unknown version', { mediaType: 'application/vnd.dev.sigstore.bundle.v9+json' }, /unknown Sigstore bundle media type/],
    [
      'bundle without envelope',
      { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: { publicKey: { hint: 'x' } } },
      /invalid Sigstore bundle/,
    ],
    ['gcloud output without provenance', { image_summary: {}, provenance_summary: { provenance: [] } }, /provenance_summary\.provenance is missing or empty/],
    ['a bad line in a .jsonl', `${JSON.stringify(env(good))}\n{oops\n`, /line 2\): not JSON/],
    ['a cert that is not PEM', { ...env(good), signatures: [{ sig: 'AA==', cert: 'nope' }] }, /not a PEM certificate/],
  ];
  for (const [what, content, message] of cases) {
    it(what, async () => {
      const file = writeProvenance('bad.json', typeof content === 'string' ? content : JSON.stringify(content));
      await assert.rejects(readProvenanceFile(file), (e: unknown) => {
        assert.ok(e instanceof FormatError, String(e));
        assert.equal(e.code, 'PROVENANCE_INVALID');
        assert.match(e.message, message);
        assert.ok(!e.message.includes('\n'), 'one line');
        return true;
      });
    });
  }

  it('a folder, a missing file', async () => {
    for (const file of [tempDir(), path.join(tempDir(), 'missing.json')]) {
      await assert.rejects(readProvenanceFile(file), (e: unknown) => e instanceof FormatError && e.code === 'PROVENANCE_UNREADABLE');
    }
  });
});
