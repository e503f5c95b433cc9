// Attacks on the provenance verifier: provenance an attacker can make that a
// correct verifier rejects. Each case is signed by the local Sigstore stand-in
// (or a key) and must not come back `ok`.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FormatError } from '../../src/core/errors';
import { serializeModel } from '../../src/core/manifest/serializer';
import { ProvenanceReport, readProvenanceFile } from '../../src/core/provenance';
import { checkProvenanceSignature } from '../../src/core/provenance/verifying/provenanceSignature';
import { makeModel, runCli, tempDir } from '../helpers/fixtures';
import {
  GENERIC_GENERATOR,
  Subject,
  asBundleVersion,
  ecKeys,
  genericGeneratorV02,
  gitHubClaims,
  gitHubRun,
  githubWorkflowV1,
  keyEnvelope,
  sha256,
  signKeyless,
  statement,
  writeProvenance,
} from '../helpers/provenance';
import { provenanceSuite } from '../helpers/provenanceSuite';

const suite = provenanceSuite();
const { hashing, verify } = suite;

const MODEL_FILES = { 'weights.safetensors': 'genuine weights', 'config.json': '{"layers": 2}', 'tokenizer/vocab.txt': 'a\nb\n' };

describe('signature: the certificate whose claims are read is the one that signed', () => {
  it("a v0.2 bundle carrying an attacker's chain (verified) and a victim's generator certificate (read for the policy) is rejected", async () => {
    // The victim: genuine slsa-github-generator provenance of acme/models, signed through the builder's certificate.
    const victim = gitHubRun({ signer: `${GENERIC_GENERATOR}@refs/tags/v2.1.0` });
    const genuine = await signKeyless(
      genericGeneratorV02([{ name: 'x', digest: { sha256: sha256('x') } }], victim),
      suite.sigstore,
      suite.trust,
      gitHubClaims(victim),
    );
    // The attacker: a statement that copies the victim's claims but names evil weights, signed by the attacker's own workflow.
    const evilModel = makeModel({ 'weights.safetensors': 'evil weights' }, 'model');
    const mallory = gitHubRun({ repository: 'mallory/tools', ref: 'refs/heads/main' });
    const forged = genericGeneratorV02([{ name: 'weights.safetensors', digest: { sha256: sha256('evil weights') } }], victim);
    const signed = asBundleVersion(await signKeyless(forged, suite.sigstore, suite.trust, gitHubClaims(mallory)), '0.2');
    // Both kinds of certificate material in one bundle: Sigstore's parser takes the chain, a naive reader the `certificate`.
    const confused = {
      ...signed,
      verificationMaterial: { ...signed.verificationMaterial, certificate: { rawBytes: genuine.verificationMaterial.certificate!.rawBytes } },
    };
    const file = writeProvenance('p.sigstore.json', confused);
    let reports: ProvenanceReport[];
    try {
      reports = await verify(file, { modelPath: evilModel, policy: { sourceUri: 'github.com/acme/models', sourceTag: 'v1.2.3' } });
    } catch (e) {
      // Refusing the file outright is as good as a failed report.
      assert.ok(e instanceof FormatError && e.code === 'PROVENANCE_INVALID', String(e));
      return;
    }
    assert.equal(reports[0]!.ok, false, `accepted with the identity ${reports[0]!.signer}`);
    assert.notEqual(reports[0]!.verifiedBuilderId, `${GENERIC_GENERATOR}@refs/tags/v2.1.0`);
  });

  it('the reader refuses verification material with more than one of publicKey, x509CertificateChain and certificate', async () => {
    const run = gitHubRun({ ref: 'refs/heads/main' });
    const bundle = await signKeyless(
      statement('https://slsa.dev/provenance/v1', [{ name: 'x', digest: { sha256: sha256('x') } }], {}),
      suite.sigstore,
      suite.trust,
      gitHubClaims(run),
    );
    const v02 = asBundleVersion(bundle, '0.2');
    for (const extra of [{ certificate: bundle.verificationMaterial.certificate }, { publicKey: { hint: 'ab'.repeat(32) } }]) {
      const file = writeProvenance('p.sigstore.json', { ...v02, verificationMaterial: { ...v02.verificationMaterial, ...extra } });
      await assert.rejects(readProvenanceFile(file), (e: unknown) => e instanceof FormatError && e.code === 'PROVENANCE_INVALID');
    }
    // Each alone still reads.
    assert.equal((await readProvenanceFile(writeProvenance('p.sigstore.json', v02))).length, 1);
    assert.equal((await readProvenanceFile(writeProvenance('p.sigstore.json', bundle))).length, 1);
  });
});

describe('signature: the signature layer holds on its own', () => {
  it('a document whose certificate is not the one Sigstore verified fails, even if a reader let it through', async () => {
    const victim = gitHubRun({ signer: `${GENERIC_GENERATOR}@refs/tags/v2.1.0` });
    const genuine = await signKeyless(
      genericGeneratorV02([{ name: 'x', digest: { sha256: sha256('x') } }], victim),
      suite.sigstore,
      suite.trust,
      gitHubClaims(victim),
    );
    const mallory = gitHubRun({ repository: 'mallory/tools', ref: 'refs/heads/main' });
    const signed = await signKeyless(
      genericGeneratorV02([{ name: 'y', digest: { sha256: sha256('y') } }], victim),
      suite.sigstore,
      suite.trust,
      gitHubClaims(mallory),
    );
    const [doc] = await readProvenanceFile(writeProvenance('p.sigstore.json', signed));
    const [victimDoc] = await readProvenanceFile(writeProvenance('v.sigstore.json', genuine));
    assert.equal((await checkProvenanceSignature(doc!, { trustConfig: suite.trust })).status, 'verified');
    const swapped = await checkProvenanceSignature({ ...doc!, certificatePem: victimDoc!.certificatePem }, { trustConfig: suite.trust });
    assert.equal(swapped.status, 'failed');
    assert.equal(swapped.error?.code, 'CERTIFICATE_INVALID');
  });
});

describe('parsing: several statements, nesting, __proto__', () => {
  it('JSON lines with one genuine statement and one forged: the CLI exits 1', async () => {
    const keys = ecKeys();
    const model = makeModel({ 'w.bin': 'weights' }, 'm');
    const good = keyEnvelope(statement('https://slsa.dev/provenance/v1', [{ name: 'w.bin', digest: { sha256: sha256('weights') } }], {}), keys.privateKey);
    const forged = keyEnvelope(
      statement('https://slsa.dev/provenance/v1', [{ name: 'w.bin', digest: { sha256: sha256('weights') } }], {}),
      ecKeys().privateKey,
    );
    const env = { MODEL_SIGNING_TUF_CACHE: tempDir('ms-tuf-'), MODEL_SIGNING_TUF_MIRROR: 'http://127.0.0.1:9' };
    const args = (file: string) => ['provenance', 'verify', '--provenance', file, '--model-path', model, '--public-key', keys.publicKeyPath];
    const one = await runCli(args(writeProvenance('p.intoto.jsonl', `${JSON.stringify(good)}\n`)), { env });
    assert.equal(one.code, 0, one.stderr);
    for (const lines of [
      [good, forged],
      [forged, good],
    ]) {
      const r = await runCli(args(writeProvenance('p.intoto.jsonl', lines.map((l) => JSON.stringify(l)).join('\n'))), { env });
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /Provenance verification failed: statement \d: signature: /);
    }
  });

  it('lists inside lists are refused with a one-line error, not a stack overflow', async () => {
    const keys = ecKeys();
    const env = keyEnvelope(statement('https://slsa.dev/provenance/v1', [{ name: 'x', digest: { sha256: sha256('x') } }], {}), keys.privateKey);
    assert.equal((await readProvenanceFile(writeProvenance('p.json', [env, env]))).length, 2);
    await assert.rejects(readProvenanceFile(writeProvenance('p.json', [[env]])), (e: unknown) => e instanceof FormatError && e.code === 'PROVENANCE_INVALID');
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    await assert.rejects(readProvenanceFile(writeProvenance('p.json', deep)), (e: unknown) => e instanceof FormatError && e.code === 'PROVENANCE_INVALID');
  });

  it('__proto__ keys in the file, the statement, the predicate and a digest change nothing and pollute nothing', async () => {
    const keys = ecKeys();
    const model = makeModel({ 'w.bin': 'weights' }, 'm');
    const payload =
      `{"_type":"https://in-toto.io/Statement/v1","__proto__":{"polluted":1},"predicateType":"https://slsa.dev/provenance/v1",` +
      `"subject":[{"name":"w.bin","digest":{"__proto__":"x","sha256":"${sha256('other')}"}}],` +
      `"predicate":{"__proto__":{"runDetails":{"builder":{"id":"https://example.com/trusted"}}},"buildDefinition":{"__proto__":{"polluted":1}}}}`;
    const sig = (await import('node:crypto')).sign(
      'sha256',
      (await import('../../src/core/signing/dsse')).pae('application/vnd.in-toto+json', Buffer.from(payload)),
      { key: keys.privateKey, dsaEncoding: 'der' },
    );
    const text = `{"__proto__":{"polluted":1},"payloadType":"application/vnd.in-toto+json","payload":"${Buffer.from(payload).toString('base64')}","signatures":[{"keyid":"","sig":"${sig.toString('base64')}"}]}`;
    const [r] = await verify(writeProvenance('p.json', text), {
      modelPath: model,
      publicKeyPath: keys.publicKeyPath,
      policy: { builderId: 'https://example.com/trusted' },
    });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(r!.summary.builderId, undefined);
    assert.equal(r!.subjects[0]!.matchedBy, 'none');
    assert.equal(r!.ok, false);
  });
});

describe('subjects: every file of the model is covered', () => {
  async function perFileProvenance(): Promise<{ model: string; file: string; publicKeyPath: string }> {
    const model = makeModel(MODEL_FILES, 'release');
    const root = (await serializeModel(model, { pool: hashing })).rootDigest();
    const subjects: Subject[] = [{ name: 'release', digest: { sha256: root } }];
    for (const [name, content] of Object.entries(MODEL_FILES)) subjects.push({ name, digest: { sha256: sha256(content) } });
    const keys = ecKeys();
    const file = writeProvenance(
      'p.json',
      keyEnvelope(statement('https://slsa.dev/provenance/v1', subjects, { runDetails: { builder: { id: 'https://example.com/ci' } } }), keys.privateKey),
    );
    return { model, file, publicKeyPath: keys.publicKeyPath };
  }

  it('the genuine model verifies', async () => {
    const { model, file, publicKeyPath } = await perFileProvenance();
    assert.equal((await verify(file, { modelPath: model, publicKeyPath }))[0]!.ok, true);
  });

  it('a file added to a renamed copy of the model fails (the subject named after the folder no longer applies)', async () => {
    const { model, file, publicKeyPath } = await perFileProvenance();
    const copy = path.join(tempDir(), 'innocent-name');
    fs.cpSync(model, copy, { recursive: true });
    fs.writeFileSync(path.join(copy, 'evil.pkl'), "cos\nsystem\n(S'id'\ntR.");
    const [r] = await verify(file, { modelPath: copy, publicKeyPath });
    assert.equal(r!.ok, false, JSON.stringify(r!.subjects.map((s) => [s.subject.name, s.matchedBy])));
    assert.deepEqual(r!.uncoveredFiles, ['evil.pkl']);
  });

  it('a folder sharing one genuine file with the release, the weights replaced under another name, fails', async () => {
    const { file, publicKeyPath } = await perFileProvenance();
    const evil = makeModel({ 'config.json': MODEL_FILES['config.json'], 'model.safetensors': 'evil weights' }, 'evil');
    const [r] = await verify(file, { modelPath: evil, publicKeyPath });
    assert.deepEqual(
      r!.subjects.filter((s) => s.matchedBy !== 'none').map((s) => s.subject.name),
      ['config.json'],
    );
    assert.equal(r!.ok, false);
    assert.deepEqual(r!.uncoveredFiles, ['model.safetensors']);
  });

  it('the root digest covers the model whatever the folder is called', async () => {
    const { model, file, publicKeyPath } = await perFileProvenance();
    const copy = path.join(tempDir(), 'other-name');
    fs.cpSync(model, copy, { recursive: true });
    const [r] = await verify(file, { modelPath: copy, publicKeyPath });
    assert.equal(r!.ok, true);
    assert.equal(r!.uncoveredFiles, undefined);
  });
});

describe('policy: a builder that runs for any repository needs the expected source', () => {
  const subjects: Subject[] = [{ name: 'weights.safetensors', digest: { sha256: sha256('evil weights') } }];

  it("slsa-github-generator provenance of the attacker's own repository is not ok without --source-uri", async () => {
    // Anyone can call the generic generator from their repository: a genuine, default-trusted builder certificate.
    const mallory = gitHubRun({ repository: 'mallory/tools', signer: `${GENERIC_GENERATOR}@refs/tags/v2.1.0` });
    const file = writeProvenance('p.build.slsa', await signKeyless(genericGeneratorV02(subjects, mallory), suite.sigstore, suite.trust, gitHubClaims(mallory)));
    const [r] = await verify(file);
    assert.equal(r!.signature.status, 'verified');
    assert.equal(r!.ok, false, JSON.stringify(r!.policy));
    assert.equal(r!.policy.find((c) => c.name === 'source-uri')?.ok, false);
    // The builder itself is still reported as verified, and with the right source the same file passes.
    assert.equal(r!.verifiedBuilderId, `${GENERIC_GENERATOR}@refs/tags/v2.1.0`);
    assert.equal((await verify(file, { policy: { sourceUri: 'github.com/mallory/tools' } }))[0]!.ok, true);
  });

  it('a reusable workflow of another repository named by --builder-id is not ok without --source-uri', async () => {
    const mallory = gitHubRun({ repository: 'mallory/tools', signer: 'https://github.com/acme/builders/.github/workflows/build.yml@refs/tags/v1.0.0' });
    const file = writeProvenance('p.sigstore.json', await signKeyless(githubWorkflowV1(subjects, mallory), suite.sigstore, suite.trust, gitHubClaims(mallory)));
    const builderId = 'https://github.com/acme/builders/.github/workflows/build.yml';
    const [r] = await verify(file, { policy: { builderId } });
    assert.equal(r!.ok, false, JSON.stringify(r!.policy));
    assert.deepEqual(
      r!.policy.filter((c) => !c.ok).map((c) => c.name),
      ['source-uri'],
    );
    assert.equal((await verify(file, { policy: { builderId, sourceUri: 'github.com/mallory/tools' } }))[0]!.ok, true);
  });

  it("a repository's own workflow named by --builder-id needs no --source-uri: the workflow fixes the repository", async () => {
    const run = gitHubRun({ ref: 'refs/heads/main' });
    const file = writeProvenance('p.sigstore.json', await signKeyless(githubWorkflowV1(subjects, run), suite.sigstore, suite.trust, gitHubClaims(run)));
    assert.equal((await verify(file, { policy: { builderId: 'https://github.com/acme/models/.github/workflows/train.yml' } }))[0]!.ok, true);
  });
});

describe('policy: what is shown as the source is what is checked', () => {
  it('a git dependency after a non-git first one must agree with the certificate too', async () => {
    const run = gitHubRun({ ref: 'refs/heads/main' });
    const st = githubWorkflowV1([{ name: 'weights.bin', digest: { sha256: sha256('w') } }], run) as {
      predicate: { buildDefinition: { resolvedDependencies: unknown[] } };
    };
    // The summary shows the first git+ dependency as the source: another repository, behind a dataset with no URI.
    st.predicate.buildDefinition.resolvedDependencies = [
      { name: 'dataset', digest: { sha256: sha256('data') } },
      { uri: 'git+https://github.com/mallory/models@refs/heads/main', digest: { gitCommit: run.sha } },
    ];
    const file = writeProvenance('p.sigstore.json', await signKeyless(st, suite.sigstore, suite.trust, gitHubClaims(run)));
    const [r] = await verify(file, { policy: { builderId: 'https://github.com/acme/models/.github/workflows/train.yml' } });
    assert.equal(r!.summary.sourceUri, 'git+https://github.com/mallory/models@refs/heads/main');
    assert.equal(r!.ok, false);
    assert.ok(
      r!.policy.some((c) => c.name === 'certificate-agrees' && !c.ok),
      JSON.stringify(r!.policy),
    );
  });
});

describe('policy: what is reported as verified comes from the signature', () => {
  it('a DSSE keyid is not signed: --builder-id cannot be matched by rewriting it', async () => {
    const keys = ecKeys();
    const st = statement('https://slsa.dev/provenance/v1', [{ name: 'x', digest: { sha256: sha256('x') } }], {
      buildDefinition: { buildType: 'https://example.com/t' },
      runDetails: { builder: { id: 'https://example.com/builder-a' } },
    });
    const env = keyEnvelope(st, keys.privateKey);
    // Anyone holding builder A's envelope can set its keyid to the builder the verifier expects.
    const rewritten = { ...env, signatures: [{ ...env.signatures[0]!, keyid: 'https://example.com/builder-b' }] };
    const [r] = await verify(writeProvenance('p.json', rewritten), {
      publicKeyPath: keys.publicKeyPath,
      policy: { builderId: 'https://example.com/builder-b' },
    });
    assert.equal(r!.signature.status, 'verified');
    assert.equal(r!.ok, false, JSON.stringify(r!.policy));
    // The key's own hint still names it, and so does the builder its predicate names.
    const hint = r!.signature.keyId!;
    assert.match(hint, /^[0-9a-f]{64}$/);
    assert.equal(
      (await verify(writeProvenance('p.json', rewritten), { publicKeyPath: keys.publicKeyPath, policy: { builderId: `sha256:${hint}` } }))[0]!.ok,
      true,
    );
    assert.equal(
      (await verify(writeProvenance('p.json', rewritten), { publicKeyPath: keys.publicKeyPath, policy: { builderId: 'https://example.com/builder-a' } }))[0]!
        .ok,
      true,
    );
  });

  it("an email signer's predicate that names slsa-github-generator as its builder: the verified builder is the signer, not that claim", async () => {
    const claimed = `${GENERIC_GENERATOR}@refs/tags/v2.1.0`;
    const st = statement('https://slsa.dev/provenance/v1', [{ name: 'x', digest: { sha256: sha256('x') } }], {
      buildDefinition: { buildType: 'https://example.com/t' },
      runDetails: { builder: { id: claimed } },
    });
    const file = writeProvenance('p.sigstore.json', await signKeyless(st, suite.sigstore, suite.trust, { email: 'mallory@example.com' }));
    const [r] = await verify(file, { policy: { builderId: 'mallory@example.com' } });
    assert.equal(r!.signature.status, 'verified');
    assert.equal(r!.ok, true, JSON.stringify(r!.policy));
    assert.equal(r!.verifiedBuilderId, 'mallory@example.com');
  });
});
