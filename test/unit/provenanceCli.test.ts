// `model-signing provenance verify|show` through the CLI's main (run `npm run build` first: it hashes on dist/'s worker):
// exit codes, one-line errors, the human report and --json.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { CLI, runCli, tempDir } from '../helpers/fixtures';
import { SLSA_VECTORS, ecKeys, keyEnvelope, sha256, statement, writeProvenance } from '../helpers/provenance';
import { provenanceShowJson, provenanceVerifyJson } from '../helpers/cliJson';

const { GENERIC, GENERIC_ARTIFACT, MAVEN, MAVEN_ARTIFACT, GCB02, BCR, BCR_ARTIFACT, GLOBAL_KEY, US_WEST2_KEY, EXAMPLE } = SLSA_VECTORS;

// No test may touch the user's TUF cache or the network: refreshes go to a closed port.
const tufEnv = { MODEL_SIGNING_TUF_CACHE: '', MODEL_SIGNING_TUF_MIRROR: 'http://127.0.0.1:9' };
before(() => {
  tufEnv.MODEL_SIGNING_TUF_CACHE = tempDir('ms-tuf-');
});
const cli = (args: string[]) => runCli(['provenance', ...args], { env: tufEnv });
const verifyArgs = (file: string, ...more: string[]) => ['verify', '--provenance', file, ...more];

describe('model-signing provenance verify', () => {
  it("the generic generator's .intoto.jsonl: exit 1 as incomplete, exit 0 with --allow-incomplete; the report names builder, source, signer, checks and subjects", async () => {
    const r = await cli(verifyArgs(GENERIC, '--model-path', GENERIC_ARTIFACT, '--source-uri', EXAMPLE));
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      /^ {2}builder: {5}https:\/\/github\.com\/slsa-framework\/slsa-github-generator\/\.github\/workflows\/generator_generic_slsa3\.yml@refs\/tags\/v2\.0\.0 \(verified\)$/m,
    );
    assert.match(
      r.stdout,
      /^ {2}source: {6}git\+https:\/\/github\.com\/slsa-framework\/example-package@refs\/tags\/v13\.0\.30 @ 693130cb6cb840a7bc9cb18c6510d536a95dc7e6$/m,
    );
    assert.match(
      r.stdout,
      /^ {2}signer: {6}https:\/\/github\.com\/slsa-framework\/slsa-github-generator\/.* \(https:\/\/token\.actions\.githubusercontent\.com\)$/m,
    );
    assert.match(r.stdout, /^ {2}signature: {3}incomplete: /m);
    assert.match(r.stdout, /^ {4}-- {3}transparency-log: no log entry in the file$/m);
    assert.match(r.stdout, /^ {2}ok {3}source-uri: /m);
    assert.match(r.stdout, /^ {2}ok {3}subject gha_generic-binary-linux-amd64-v13\.0\.30: sha256:2892146b\w+ matches binary-linux-amd64-push-v13\.0\.30$/m);
    const lastLine = r.stderr.trim().split('\n').pop()!;
    assert.match(lastLine, /^Provenance verification failed: statement 1: signature: incomplete: no log entry/);
    const ok = await cli(
      verifyArgs(GENERIC, '--model-path', GENERIC_ARTIFACT, '--source-uri', EXAMPLE, '--allow-incomplete', '--source-versioned-tag', 'v13.0'),
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Provenance verification succeeded\n$/);
    const tag = await cli(verifyArgs(GENERIC, '--source-uri', EXAMPLE, '--allow-incomplete', '--source-tag', 'v13.0.29'));
    assert.equal(tag.code, 1);
    assert.match(tag.stderr, /source-tag: tag mismatch: expected v13\.0\.29, got v13\.0\.30/);
  });

  it('--json: the whole report, for the BYOB bundle (verified) and a failing branch', async () => {
    const r = await cli(verifyArgs(MAVEN, '--model-path', MAVEN_ARTIFACT, '--source-uri', EXAMPLE, '--source-branch', 'main', '--json'));
    assert.equal(r.code, 0, r.stderr);
    const out = provenanceVerifyJson(r.stdout);
    assert.equal(out.verified, true);
    assert.equal(out.reports.length, 1);
    const rep = out.reports[0]!;
    assert.equal(rep.form, 'sigstore-bundle');
    assert.equal(rep.signature.status, 'verified');
    assert.equal(rep.signature.transparencyLog, 'present');
    assert.equal(rep.verifiedBuilderId, 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_maven_slsa3.yml@refs/tags/v2.1.0');
    assert.equal(rep.trustRoot?.source, 'embedded');
    assert.deepEqual(
      rep.subjects.map((s: { matchedBy: string }) => s.matchedBy),
      ['file'],
    );
    assert.equal(rep.statement.predicateType, 'https://slsa.dev/provenance/v1');
    const master = await cli(verifyArgs(MAVEN, '--source-uri', EXAMPLE, '--source-branch', 'master', '--json'));
    assert.equal(master.code, 1);
    const failed = provenanceVerifyJson(master.stdout);
    assert.equal(failed.verified, false);
    assert.deepEqual(
      failed.reports[0]!.policy.filter((c: { ok: boolean }) => !c.ok).map((c: { name: string }) => c.name),
      ['source-branch'],
    );
  });

  it('Cloud Build with --public-key: exit 0 with its key, 1 with the other or none', async () => {
    const ok = await cli(
      verifyArgs(
        GCB02,
        '--public-key',
        GLOBAL_KEY,
        '--source-uri',
        'github.com/laurentsimon/gcb-tests',
        '--builder-id',
        'https://cloudbuild.googleapis.com/GoogleHostedWorker@v0.2',
      ),
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^ {4}ok {3}raw-signature: ECDSA over the raw payload/m);
    const wrong = await cli(verifyArgs(GCB02, '--public-key', US_WEST2_KEY, '--source-uri', 'github.com/laurentsimon/gcb-tests'));
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /signature: The signature does not verify with the given public key/);
    const none = await cli(verifyArgs(GCB02));
    assert.equal(none.code, 1);
    assert.match(none.stderr, /its public key is needed to check the signature; give --public-key PATH/);
  });

  it('the bcr negative is rejected, with the certificate-vs-predicate disagreement', async () => {
    const r = await cli(
      verifyArgs(
        BCR,
        '--model-path',
        BCR_ARTIFACT,
        '--source-uri',
        'github.com/aspect-build/rules_lint',
        '--builder-id',
        'https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml',
      ),
    );
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^ {2}signature: {3}verified \(sigstore, signed at 2025-03-31T18:39:28\.000Z, logged in Rekor\)$/m);
    assert.match(r.stdout, /^ {2}FAIL certificate-agrees: the certificate and the predicate disagree: /m);
    assert.match(r.stderr, /certificate-agrees/);
  });

  it('a key-signed envelope with a model folder: a changed file fails and is named', async () => {
    const model = path.join(tempDir(), 'm');
    fs.mkdirSync(model);
    fs.writeFileSync(path.join(model, 'w.bin'), 'weights');
    const keys = ecKeys();
    const file = writeProvenance(
      'p.json',
      keyEnvelope(
        statement('https://slsa.dev/provenance/v1', [{ name: 'w.bin', digest: { sha256: sha256('weights') } }], {
          runDetails: { builder: { id: 'https://example.com/b' } },
        }),
        keys.privateKey,
      ),
    );
    assert.equal((await cli(verifyArgs(file, '--model-path', model, '--public-key', keys.publicKeyPath))).code, 0);
    fs.writeFileSync(path.join(model, 'w.bin'), 'tampered');
    const r = await cli(verifyArgs(file, '--model-path', model, '--public-key', keys.publicKeyPath));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL subject w\.bin: sha256:\w+: the model's w\.bin has another digest \(changed file\)/);
    assert.match(r.stderr, /subject w\.bin: the model.s w\.bin has another digest \(changed file\)/);
  });

  it('bad input: one line on stderr, exit 1, no stack trace', async () => {
    const notProvenance = writeProvenance('x.json', '{"hello": "world"}');
    const cases: Array<[string[], RegExp]> = [
      [verifyArgs(notProvenance), /^Provenance verification failed with error: Invalid provenance \(.*\): not provenance/],
      [verifyArgs(path.join(tempDir(), 'missing.jsonl')), /^Provenance verification failed with error: Cannot read the provenance file .*ENOENT/],
      [verifyArgs(GCB02, '--public-key', notProvenance), /^Provenance verification failed with error: Cannot read the public key: not a PEM public key/],
      [verifyArgs(MAVEN, '--trust-config', notProvenance), /^Provenance verification failed with error: '.*' is not a Sigstore ClientTrustConfig/],
      [verifyArgs(MAVEN, '--model-path', path.join(tempDir(), 'no-model')), /^Provenance verification failed with error: .*no-model/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.ok(!/\n\s+at /.test(r.stderr), r.stderr);
    }
  });

  it('usage errors exit 2', async () => {
    for (const args of [
      [],
      ['frobnicate'],
      ['verify'],
      ['verify', '--provenance'],
      ['verify', '--provenance', GENERIC, '--no-such-flag'],
      ['verify', '--provenance', GENERIC, 'extra'],
      ['show'],
      ['show', 'a', 'b'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^Usage: model-signing provenance[\s\S]*\nError: .+\n$/);
    }
    const help = await cli(['verify', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--source-versioned-tag TAG/);
    assert.match((await runCli(['--help'])).stdout, /provenance/);
  });
});

describe('model-signing provenance show', () => {
  it('shows each statement, unverified; --json gives the statements and summaries; an unknown predicate raw', async () => {
    const r = await cli(['show', BCR]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}builder: {5}https:\/\/github\.com\/bazel-contrib\/publish-to-bcr\/\.github\/workflows\/publish\.yaml@refs\/tags\/v0\.0\.1$/m);
    assert.match(r.stdout, /^ {2}signer: {6}https:\/\/github\.com\/loosebazooka\/aa-test\/.* \(not verified\)$/m);
    assert.match(r.stdout, /^ {2}subject: {5}MODULE\.bazel {2}sha256:06ce3309/m);
    const j = await cli(['show', GCB02, '--json']);
    assert.equal(j.code, 0);
    const out = provenanceShowJson(j.stdout);
    assert.equal(out.statements[0]!.form, 'gcb');
    assert.equal(out.statements[0]!.summary.builderId, 'https://cloudbuild.googleapis.com/GoogleHostedWorker@v0.2');
    assert.equal(out.statements[0]!.verified, false);
    const keys = ecKeys();
    const custom = writeProvenance(
      'c.json',
      keyEnvelope(
        statement('https://example.com/custom/v1', [{ name: 'x', digest: { sha256: sha256('x') } }], { note: '<script>alert(1)</script>' }),
        keys.privateKey,
      ),
    );
    const raw = await cli(['show', custom]);
    assert.equal(raw.code, 0);
    assert.match(raw.stdout, /not SLSA provenance: shown raw/);
    assert.match(raw.stdout, /"note": "<script>alert\(1\)<\/script>"/);
    const bad = await cli(['show', path.join(tempDir(), 'missing')]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  });
});

describe('the CLI bundle', () => {
  it('dist/cli.js does not carry the Sigstore stack; dist/provenance.js does', () => {
    const cli = fs.readFileSync(CLI, 'utf8');
    const prov = fs.readFileSync(path.join(path.dirname(CLI), 'provenance.js'), 'utf8');
    for (const marker of ['toTrustMaterial', 'verifyTLogInclusion']) {
      assert.ok(!cli.includes(marker), `dist/cli.js includes ${marker}`);
      assert.ok(prov.includes(marker), `dist/provenance.js lacks ${marker}`);
    }
  });
});
