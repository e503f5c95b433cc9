// Provenance binds names, not only digests: a model attested with `attest --per-file`, then
// a file deleted, another renamed to a name a loader picks up, another copied, must fail,
// in its own folder and in a renamed one (downloaded models live in `snapshots/<sha>/`),
// with every difference listed. The root digest covers the model whatever the folder is
// called; a single file keeps slsa-verifier's meaning (matched by digest alone).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CliResult, makeKeyPair, makeModel, runCli, tempDir } from '../helpers/fixtures';
import { ecKeys, keyEnvelope, sha256, statement, writeProvenance } from '../helpers/provenance';
import { provenanceVerifyJson } from '../helpers/cliJson';

const MODEL = {
  'model.safetensors': 'the genuine weights',
  'training_args.bin': 'a pickle the trainer wrote',
  'config.json': '{"hidden_size": 2}\n',
  'tokenizer/vocab.txt': 'a\nb\n',
};
const key = makeKeyPair('P-256');

function cli(args: string[]): Promise<CliResult> {
  return runCli(args, { env: { GITHUB_ACTIONS: '', MODEL_SIGNING_TUF_MIRROR: 'http://127.0.0.1:9' } });
}

/** A model attested with a key, per file or not; the provenance beside it. */
async function attested(perFile: boolean): Promise<{ model: string; provenance: string }> {
  const model = makeModel(MODEL, 'release');
  const provenance = path.join(path.dirname(model), 'release.provenance.json');
  const r = await cli([
    'attest',
    model,
    '--output',
    provenance,
    '--method',
    'key',
    '--private-key',
    key.privateKey,
    ...(perFile ? ['--per-file'] : []),
    '--source-uri',
    'github.com/acme/models',
    '--source-ref',
    'refs/heads/main',
    '--source-commit',
    'a'.repeat(40),
  ]);
  assert.equal(r.code, 0, r.stderr);
  return { model, provenance };
}

function verify(provenance: string, model: string, ...extra: string[]): Promise<CliResult> {
  return cli(['provenance', 'verify', '--provenance', provenance, '--model-path', model, '--public-key', key.publicKey, ...extra]);
}

/** The attack: model.safetensors deleted, training_args.bin renamed pytorch_model.bin, config.json copied to x.json. */
function tamper(model: string): void {
  fs.rmSync(path.join(model, 'model.safetensors'));
  fs.renameSync(path.join(model, 'training_args.bin'), path.join(model, 'pytorch_model.bin'));
  fs.copyFileSync(path.join(model, 'config.json'), path.join(model, 'x.json'));
}

/** A copy of the model in a folder named like a Hugging Face cache snapshot. */
function snapshotOf(model: string): string {
  const copy = path.join(tempDir(), 'snapshots', 'f'.repeat(40));
  fs.cpSync(model, copy, { recursive: true });
  return copy;
}

const failLines = (out: string) =>
  out
    .split('\n')
    .filter((l) => /\bFAIL/.test(l))
    .map((l) => l.trim());

describe('provenance binds file names: attest --per-file, then files deleted, renamed and copied', () => {
  for (const where of ['in its own folder', 'in a renamed folder']) {
    it(`fails ${where}, listing the missing, the renamed and the copied file`, async () => {
      const { model, provenance } = await attested(true);
      const target = where === 'in its own folder' ? model : snapshotOf(model);
      tamper(target);
      const r = await verify(provenance, target);
      assert.equal(r.code, 1, r.stdout);
      assert.doesNotMatch(r.stdout, /result: +OK|succeeded/);
      const fails = failLines(r.stdout);
      assert.ok(
        fails.some((l) => /^FAIL subject release: sha256:\w+: /.test(l)),
        'the root-digest subject no longer holds',
      );
      assert.ok(
        fails.some((l) => /^FAIL subject model\.safetensors: .*missing/.test(l)),
        'the deleted file',
      );
      assert.ok(
        fails.some((l) => /^FAIL subject training_args\.bin: .*its content is at pytorch_model\.bin/.test(l)),
        'the renamed file, by its old name',
      );
      assert.ok(
        fails.some((l) => /^FAIL file pytorch_model\.bin: .*content of training_args\.bin/.test(l)),
        'the renamed file, by its new name',
      );
      assert.ok(
        fails.some((l) => /^FAIL file x\.json: .*content of config\.json/.test(l)),
        'the copy',
      );
      assert.ok(!fails.some((l) => /config\.json:|vocab\.txt:/.test(l)), `the untouched files pass: ${fails.join(' | ')}`);
      for (const what of ['model.safetensors', 'training_args.bin', 'pytorch_model.bin', 'x.json'])
        assert.match(r.stderr, new RegExp(what.replace('.', '\\.')));

      const json = provenanceVerifyJson((await verify(provenance, target, '--json')).stdout);
      assert.equal(json.verified, false);
      assert.deepEqual(json.reports[0]!.uncoveredFiles, ['pytorch_model.bin', 'x.json']);
      assert.deepEqual(
        json.reports[0]!.subjects.filter((s: { status: string }) => s.status === 'failed').map((s: { subject: { name: string } }) => s.subject.name),
        ['release', 'model.safetensors', 'training_args.bin'],
      );
    });
  }

  it('a single change alone fails: a file renamed to a name the loader picks up, nothing else touched', async () => {
    const { model, provenance } = await attested(true);
    const target = snapshotOf(model);
    fs.renameSync(path.join(target, 'training_args.bin'), path.join(target, 'pytorch_model.bin'));
    const r = await verify(provenance, target);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /file pytorch_model\.bin: named by no subject; it has the content of training_args\.bin/);
  });

  it('a renamed folder with a deleted file fails, with or without per-file subjects', async () => {
    for (const perFile of [true, false]) {
      const { model, provenance } = await attested(perFile);
      const target = snapshotOf(model);
      fs.rmSync(path.join(target, 'tokenizer/vocab.txt'));
      const r = await verify(provenance, target);
      assert.equal(r.code, 1, `per-file ${perFile}: ${r.stdout}`);
      assert.match(r.stdout, /FAIL subject release: sha256:\w+: no file of this name, and it is not the model's root digest/);
      if (perFile) assert.match(r.stdout, /FAIL subject tokenizer\/vocab\.txt: .*missing/);
    }
  });

  it("the genuine model passes in any folder: the root digest subject's name is informational", async () => {
    for (const perFile of [true, false]) {
      const { model, provenance } = await attested(perFile);
      for (const target of [model, snapshotOf(model)]) {
        const r = await verify(provenance, target);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.doesNotMatch(r.stdout, /FAIL/);
      }
    }
  });

  it('two files with the same content are each bound by their own name', async () => {
    const model = makeModel({ 'a.bin': 'same', 'b.bin': 'same' }, 'pair');
    const keys = ecKeys();
    const subjects = [
      { name: 'a.bin', digest: { sha256: sha256('same') } },
      { name: 'b.bin', digest: { sha256: sha256('same') } },
    ];
    const file = writeProvenance(
      'p.json',
      keyEnvelope(statement('https://slsa.dev/provenance/v1', subjects, { runDetails: { builder: { id: 'https://ci.example.com' } } }), keys.privateKey),
    );
    const args = ['provenance', 'verify', '--provenance', file, '--model-path', model, '--public-key', keys.publicKeyPath];
    assert.equal((await cli(args)).code, 0);
    fs.renameSync(path.join(model, 'b.bin'), path.join(model, 'c.bin'));
    const r = await cli(args);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /FAIL subject b\.bin: .*its content is at a\.bin, c\.bin/);
    assert.match(r.stdout, /FAIL file c\.bin: named by no subject; it has the content of a\.bin, b\.bin/);
  });
});

describe("a single file keeps slsa-verifier's meaning: matched by digest, whatever the subject is called", () => {
  it('passes on a digest match; the subjects of other artifacts are not failures; no match fails', async () => {
    const dir = makeModel({ 'model-v2.gguf': 'weights v2' }, 'downloads');
    const artifact = path.join(dir, 'model-v2.gguf');
    const keys = ecKeys();
    const subjects = [
      { name: 'release-asset-model.gguf', digest: { sha256: sha256('weights v2') } },
      { name: 'model-v2-q4.gguf', digest: { sha256: sha256('another artifact of the same build') } },
    ];
    const file = writeProvenance(
      'p.json',
      keyEnvelope(statement('https://slsa.dev/provenance/v1', subjects, { runDetails: { builder: { id: 'https://ci.example.com' } } }), keys.privateKey),
    );
    const args = ['provenance', 'verify', '--provenance', file, '--model-path', artifact, '--public-key', keys.publicKeyPath];
    const ok = await cli(args);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^ {2}ok {3}subject release-asset-model\.gguf: sha256:\w+ matches model-v2\.gguf$/m);
    assert.match(ok.stdout, /^ {2}-- {3}subject model-v2-q4\.gguf: sha256:\w+: another artifact/m);
    fs.writeFileSync(artifact, 'swapped weights');
    const bad = await cli(args);
    assert.equal(bad.code, 1, bad.stdout);
    assert.match(bad.stdout, /FAIL file model-v2\.gguf: no subject has its digest/);
  });
});
