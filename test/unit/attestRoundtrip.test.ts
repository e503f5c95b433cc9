import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KeySigner, SigstoreSigner, StaticTokenProvider, loadPrivateKey, loadTrustConfig } from '../../src/core';
import { attestModel } from '../../src/core/provenance/attesting/attest';
import { LOCAL_BUILDER_ID } from '../../src/core/provenance/attesting/attestStatement';
import type { ProvenancePolicy, ProvenanceReport } from '../../src/core/provenance/types';
import { verifyProvenance } from '../../src/core/provenance/verifying/verifyProvenance';
import { CliResult, makeKeyPair, pool, runCli, sampleModel, tempDir } from '../helpers/fixtures';
import { DEFAULT_RUN, githubClaims, githubEnv } from '../helpers/githubRun';
import { LocalSigstore, startLocalSigstoreWithTrustFile } from '../helpers/localSigstore';

// Provenance made by `attest` and read back by `provenance verify` (the core's
// verifyProvenance and the CLI): keyless in a simulated GitHub Actions job
// against the local Sigstore, and with a key outside Actions. Each of a changed
// file, another source repository and another builder must make it fail.

let sigstore: LocalSigstore;
let trust: string;
const hashPool = pool();
const key = makeKeyPair('P-256');

before(async () => {
  ({ sigstore, trustConfigPath: trust } = await startLocalSigstoreWithTrustFile());
});
after(() => sigstore.stop());

const REPO_URI = `github.com/${DEFAULT_RUN.repository}`;
const WORKFLOW = `https://github.com/${DEFAULT_RUN.repository}/${DEFAULT_RUN.workflowPath}`;
const SOURCE_COMMIT = '0123456789abcdef0123456789abcdef01234567';

/** Attests a fresh sample model keylessly as the simulated workflow run; returns the model and the provenance file. */
async function attestKeyless(options: { perFile?: boolean; sourceUri?: string } = {}) {
  const model = sampleModel();
  const output = path.join(tempDir(), 'model.provenance.sigstore.json');
  const signer = new SigstoreSigner({ trustConfig: loadTrustConfig(trust), identity: new StaticTokenProvider(await sigstore.mintToken(githubClaims())) });
  await attestModel(model, { signer, pool: hashPool, output, perFile: options.perFile, environment: githubEnv(), overrides: { sourceUri: options.sourceUri } });
  return { model, output };
}

/** Attests a fresh sample model with the key, outside Actions, with the source given by flags. */
async function attestWithKey(options: { perFile?: boolean } = {}) {
  const model = sampleModel();
  const output = path.join(tempDir(), 'model.provenance.json');
  const signer = new KeySigner(loadPrivateKey(fs.readFileSync(key.privateKey, 'utf8')));
  await attestModel(model, {
    signer,
    pool: hashPool,
    output,
    perFile: options.perFile,
    environment: {},
    overrides: { sourceUri: REPO_URI, sourceRef: 'refs/heads/main', sourceCommit: SOURCE_COMMIT },
  });
  return { model, output };
}

async function verifyOne(file: string, modelPath: string, policy: ProvenancePolicy, extra: { publicKeyPath?: string } = {}): Promise<ProvenanceReport> {
  const reports = await verifyProvenance(file, { modelPath, policy, trustConfigPath: trust, pool: hashPool, ...extra });
  assert.equal(reports.length, 1);
  return reports[0]!;
}

function failedChecks(r: ProvenanceReport): string[] {
  return r.policy.filter((c) => !c.ok).map((c) => c.name);
}

function cli(args: string[]): Promise<CliResult> {
  return runCli(args, { env: { GITHUB_ACTIONS: '', MODEL_SIGNING_TUF_MIRROR: 'http://127.0.0.1:9' } });
}

/** `provenance verify` exits 1, and its one-line verdict on stderr gives the reason. */
async function fails(args: string[], reason: RegExp): Promise<void> {
  const r = await cli(args);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, reason);
}

describe('attest → verifyProvenance, keyless in GitHub Actions', () => {
  it('verifies: signature, source and builder from the certificate, every subject matches', async () => {
    const { model, output } = await attestKeyless({ perFile: true });
    const r = await verifyOne(output, model, { sourceUri: REPO_URI, builderId: WORKFLOW });
    assert.equal(r.signature.status, 'verified', JSON.stringify(r.signature.error));
    assert.deepEqual(failedChecks(r), []);
    assert.equal(r.sourceFrom, 'certificate');
    assert.equal(r.summary.sourceCommit, DEFAULT_RUN.sha);
    assert.equal(r.subjects.length, 11);
    assert.equal(r.subjects[0]!.matchedBy, 'root-digest');
    assert.ok(r.subjects.slice(1).every((s) => s.matchedBy === 'file' && s.files.includes(s.subject.name)));
    assert.ok(r.ok);
    // The builder with its ref, and the tag, hold too.
    const full = await verifyOne(output, model, { sourceUri: REPO_URI, builderId: `${WORKFLOW}@${DEFAULT_RUN.ref}`, sourceTag: 'v1.2.0' });
    assert.ok(full.ok, JSON.stringify(full.policy));
  });

  it('fails for a changed file, another source repository, another builder', async () => {
    const { model, output } = await attestKeyless({ perFile: true });
    const otherSource = await verifyOne(output, model, { sourceUri: 'github.com/acme/other', builderId: WORKFLOW });
    assert.ok(!otherSource.ok);
    assert.deepEqual(failedChecks(otherSource), ['source-uri']);
    const otherBuilder = await verifyOne(output, model, {
      sourceUri: REPO_URI,
      builderId: `https://github.com/${DEFAULT_RUN.repository}/.github/workflows/other.yml`,
    });
    assert.ok(!otherBuilder.ok);
    assert.ok(failedChecks(otherBuilder).includes('builder-id'));
    assert.ok((await verifyOne(output, model, { sourceUri: REPO_URI, builderId: WORKFLOW })).ok, 'the model was changed by the checks above');
    fs.appendFileSync(path.join(model, 'd0/f01'), 'tampered');
    const changed = await verifyOne(output, model, { sourceUri: REPO_URI, builderId: WORKFLOW });
    assert.ok(!changed.ok);
    assert.equal(changed.subjects[0]!.matchedBy, 'none');
    assert.deepEqual(
      changed.subjects.filter((s) => s.changedFile).map((s) => s.changedFile),
      ['d0/f01'],
    );
  });

  it('with --per-file, a file added to the model fails: the subject named after the model no longer matches', async () => {
    const { model, output } = await attestKeyless({ perFile: true });
    fs.writeFileSync(path.join(model, 'evil.pkl'), 'cos\nsystem\n');
    const r = await verifyOne(output, model, { sourceUri: REPO_URI, builderId: WORKFLOW });
    assert.ok(
      r.subjects.slice(1).every((s) => s.matchedBy === 'file'),
      'every signed file still matches',
    );
    assert.equal(r.subjects[0]!.changedModel, true);
    assert.ok(!r.ok);
    await fails(
      ['provenance', 'verify', '--provenance', output, '--model-path', model, '--trust-config', trust, '--source-uri', REPO_URI, '--builder-id', WORKFLOW],
      /model changed/,
    );
  });

  it("--identity-provider pins the certificate's OIDC issuer, exactly", async () => {
    const { model, output } = await attestKeyless();
    const issuer = (await verifyOne(output, model, { sourceUri: REPO_URI, builderId: WORKFLOW })).signature.certificate?.issuer;
    assert.ok(issuer);
    assert.ok((await verifyOne(output, model, { sourceUri: REPO_URI, builderId: WORKFLOW, issuer })).ok);
    for (const other of [`${issuer}/`, 'https://accounts.example.com']) {
      const r = await verifyOne(output, model, { sourceUri: REPO_URI, builderId: WORKFLOW, issuer: other });
      assert.ok(!r.ok);
      assert.deepEqual(failedChecks(r), ['issuer']);
    }
    const base = [
      'provenance',
      'verify',
      '--provenance',
      output,
      '--model-path',
      model,
      '--trust-config',
      trust,
      '--source-uri',
      REPO_URI,
      '--builder-id',
      WORKFLOW,
    ];
    assert.equal((await cli([...base, '--identity-provider', issuer])).code, 0);
    await fails([...base, '--identity-provider', 'https://accounts.example.com'], /issuer mismatch/);
  });

  it('without --per-file, the root digest alone covers the model: a changed file fails', async () => {
    const { model, output } = await attestKeyless();
    assert.ok((await verifyOne(output, model, { sourceUri: REPO_URI, builderId: WORKFLOW })).ok);
    fs.writeFileSync(path.join(model, 'f3'), 'replaced');
    const r = await verifyOne(output, model, { sourceUri: REPO_URI, builderId: WORKFLOW });
    assert.ok(!r.ok);
    assert.deepEqual(
      r.subjects.map((s) => s.matchedBy),
      ['none'],
    );
  });

  it('a predicate that names another source than the signing certificate is caught', async () => {
    const { model, output } = await attestKeyless({ sourceUri: 'github.com/acme/elsewhere' });
    const r = await verifyOne(output, model, { sourceUri: REPO_URI, builderId: WORKFLOW });
    assert.ok(!r.ok);
    assert.ok(failedChecks(r).includes('certificate-agrees'), JSON.stringify(r.policy));
  });

  it('the CLI agrees: exit 0, then 1 for another source, another builder, a changed file', async () => {
    const { model, output } = await attestKeyless({ perFile: true });
    const base = ['provenance', 'verify', '--provenance', output, '--model-path', model, '--trust-config', trust];
    const ok = await cli([...base, '--source-uri', REPO_URI, '--builder-id', WORKFLOW]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    await fails([...base, '--source-uri', 'github.com/acme/other', '--builder-id', WORKFLOW], /source-uri: source mismatch/);
    await fails([...base, '--source-uri', REPO_URI, '--builder-id', WORKFLOW.replace('train', 'other')], /builder-id: builder id mismatch/);
    fs.appendFileSync(path.join(model, 'f0'), '!');
    await fails([...base, '--source-uri', REPO_URI, '--builder-id', WORKFLOW], /subject f0: the model.s f0 has another digest \(changed file\)/);
  });
});

describe('attest → verifyProvenance, with a key outside Actions', () => {
  it("verifies with the public key; source and builder are the signed predicate's", async () => {
    const { model, output } = await attestWithKey({ perFile: true });
    const r = await verifyOne(output, model, { sourceUri: REPO_URI, builderId: LOCAL_BUILDER_ID, sourceBranch: 'main' }, { publicKeyPath: key.publicKey });
    assert.equal(r.signature.status, 'verified', JSON.stringify(r.signature));
    assert.equal(r.signature.method, 'key');
    assert.deepEqual(failedChecks(r), []);
    assert.equal(r.sourceFrom, 'predicate');
    assert.equal(r.summary.sourceCommit, SOURCE_COMMIT);
    assert.ok(r.ok);
  });

  it('fails for another key, a changed file, another source repository, another builder', async () => {
    const { model, output } = await attestWithKey({ perFile: true });
    const policy = { sourceUri: REPO_URI, builderId: LOCAL_BUILDER_ID };
    const other = makeKeyPair('P-256');
    const wrongKey = await verifyOne(output, model, policy, { publicKeyPath: other.publicKey });
    assert.equal(wrongKey.signature.status, 'failed');
    assert.ok(!wrongKey.ok);
    const otherSource = await verifyOne(output, model, { ...policy, sourceUri: 'github.com/acme/other' }, { publicKeyPath: key.publicKey });
    assert.deepEqual(failedChecks(otherSource), ['source-uri']);
    assert.ok(!otherSource.ok);
    const otherBuilder = await verifyOne(output, model, { ...policy, builderId: 'https://ci.example.com/builder' }, { publicKeyPath: key.publicKey });
    assert.deepEqual(failedChecks(otherBuilder), ['builder-id']);
    assert.ok(!otherBuilder.ok);
    fs.rmSync(path.join(model, 'd1/f12'));
    fs.writeFileSync(path.join(model, 'd1/f10'), 'new weights');
    const changed = await verifyOne(output, model, policy, { publicKeyPath: key.publicKey });
    assert.ok(!changed.ok);
    assert.deepEqual(
      changed.subjects.filter((s) => s.changedFile).map((s) => s.changedFile),
      ['d1/f10'],
    );
  });

  it('the CLI agrees, from `attest --method key` to `provenance verify --public-key`', async () => {
    const model = sampleModel();
    const output = path.join(tempDir(), 'p.json');
    const a = await cli([
      'attest',
      model,
      '--output',
      output,
      '--method',
      'key',
      '--private-key',
      key.privateKey,
      '--per-file',
      '--source-uri',
      REPO_URI,
      '--source-ref',
      'refs/tags/v2.0.0',
      '--source-commit',
      SOURCE_COMMIT,
      '--builder-id',
      'https://ci.example.com/builder@v3',
    ]);
    assert.equal(a.code, 0, a.stderr);
    const base = ['provenance', 'verify', '--provenance', output, '--model-path', model, '--public-key', key.publicKey];
    const ok = await cli([...base, '--source-uri', REPO_URI, '--builder-id', 'https://ci.example.com/builder', '--source-tag', 'v2.0.0']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const json = await cli([...base, '--source-uri', REPO_URI, '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.match(json.stdout, /"ok": true/);
    await fails([...base, '--source-uri', 'github.com/acme/other'], /source-uri: source mismatch/);
    await fails([...base, '--source-uri', REPO_URI, '--builder-id', 'https://ci.example.com/other'], /builder-id: builder id mismatch/);
    await fails([...base, '--source-uri', REPO_URI, '--source-tag', 'v2.0.1'], /source-tag: tag mismatch/);
    fs.appendFileSync(path.join(model, 'd0/f00'), '!');
    await fails([...base, '--source-uri', REPO_URI], /subject d0\/f00: the model.s d0\/f00 has another digest \(changed file\)/);
  });
});
