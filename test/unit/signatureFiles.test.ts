import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { listModelFiles } from '../../src/core/hashing/walk';
import { findSignatureFiles } from '../../src/core/signing/signatureFiles';
import { CliResult, REPO, makeKeyPair, readProvenanceStatement, readStatement, runCli, sampleModel, tempDir } from '../helpers/fixtures';

// The signature file inside a model folder is not part of the model: `attest` and `provenance verify` leave it out,
// and `digest` (whose stdout stays the reference's) says on stderr that it counted it and how not to.

const key = makeKeyPair('P-256');

function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  return r;
}

async function signInside(model: string, ...extra: string[]): Promise<string> {
  const sig = path.join(model, 'model.sig');
  ok(await runCli(['sign', 'key', model, '--private-key', key.privateKey, '--signature', sig, ...extra]), 'sign');
  return sig;
}

async function attest(model: string, out: string, ...extra: string[]): Promise<CliResult> {
  return ok(await runCli(['attest', model, '--output', out, '--method', 'key', '--private-key', key.privateKey, '--per-file', ...extra]), 'attest');
}

function provenanceVerify(model: string, provenance: string): Promise<CliResult> {
  return runCli(['provenance', 'verify', '--provenance', provenance, '--model-path', model, '--public-key', key.publicKey]);
}

describe('the signature file is not part of the model', () => {
  it("digest prints the reference's digest, and says on stderr that it counted model.sig, the signature's digest and the flag", async () => {
    const model = sampleModel();
    const before = ok(await runCli(['digest', model]), 'digest before signing');
    assert.equal(before.stderr, '', 'no note without a signature');
    const sig = await signInside(model);
    const signedRoot = readStatement(sig).subject[0]!.digest.sha256;
    assert.equal(before.stdout, `sha256:${signedRoot}\n`);

    const after = ok(await runCli(['digest', model], { cwd: path.dirname(model) }), 'digest after signing');
    assert.notEqual(after.stdout, before.stdout, 'stdout counts model.sig, as the reference does');
    assert.match(after.stderr, /^Note: model\.sig is an OMS signature of this model/);
    assert.ok(after.stderr.includes(`sha256:${signedRoot} (--ignore-paths ${path.join(path.basename(model), 'model.sig')})`), after.stderr);
    const elsewhere = ok(await runCli(['digest', model], { cwd: path.join(REPO, 'test') }), 'digest from elsewhere');
    assert.ok(elsewhere.stderr.includes(`(--ignore-paths ${sig})`), `an absolute path, not ../../: ${elsewhere.stderr}`);
    const ignoring = ok(await runCli(['digest', model, '--ignore-paths', sig]), 'digest --ignore-paths');
    assert.equal(ignoring.stdout, before.stdout);
    assert.equal(ignoring.stderr, '');
  });

  it('attest leaves model.sig out of the subjects, so signing again keeps the provenance verified', async () => {
    const model = sampleModel();
    await signInside(model);
    const out = path.join(tempDir(), 'model.intoto.sigstore');
    await attest(model, out);
    const subjects = readProvenanceStatement(out).subject;
    assert.ok(!subjects.some((s) => s.name === 'model.sig'), JSON.stringify(subjects.map((s) => s.name)));
    assert.equal(subjects.length, 11, 'the root digest and the 10 files');
    assert.equal(subjects[0]!.digest.sha256, readStatement(path.join(model, 'model.sig')).subject[0]!.digest.sha256);

    await signInside(model, '--hash-algorithm', 'blake2b'); // a different signature file
    const verified = await provenanceVerify(model, out);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });

  it('provenance verify leaves out a signature added after attest, with per-file subjects and with the root digest only', async () => {
    for (const perFile of [true, false]) {
      const model = sampleModel();
      const out = path.join(tempDir(), 'model.intoto.sigstore');
      ok(await runCli(['attest', model, '--output', out, '--method', 'key', '--private-key', key.privateKey, ...(perFile ? ['--per-file'] : [])]), 'attest');
      await signInside(model, '--serialization', 'shards', '--shard-size', '8');
      const r = await provenanceVerify(model, out);
      assert.equal(r.code, 0, `perFile ${perFile}: ${r.stdout}${r.stderr}`);
    }
  });

  it('only an OMS signature of this model is left out: other JSON, a signature of another model, or of a missing file, stays', async () => {
    const other = sampleModel('other');
    fs.writeFileSync(path.join(other, 'only-here'), 'x');
    const otherSig = await signInside(other);
    const model = sampleModel();
    const ownSig = await signInside(model);
    fs.copyFileSync(otherSig, path.join(model, 'other.sig'));
    fs.writeFileSync(path.join(model, 'config.json'), '{"dsseEnvelope": 1}');
    fs.copyFileSync(ownSig, path.join(model, 'nested.sig.json'));
    fs.writeFileSync(path.join(model, 'weights.bin'), '  {not json at all');
    const listing = await listModelFiles(model);
    assert.deepEqual(await findSignatureFiles(listing), ['model.sig', 'nested.sig.json']);

    const out = path.join(tempDir(), 'p.sigstore.json');
    await attest(model, out);
    const names = readProvenanceStatement(out).subject.map((s) => s.name);
    for (const kept of ['other.sig', 'config.json', 'weights.bin']) assert.ok(names.includes(kept), `${kept} in ${names.join(', ')}`);
    for (const left of ['model.sig', 'nested.sig.json']) assert.ok(!names.includes(left), `${left} not in ${names.join(', ')}`);
  });

  it('the help of digest, attest and provenance verify states the rule', async () => {
    assert.match((await runCli(['digest', '--help'])).stdout, /a signature of the model inside it too: stderr then says so/);
    assert.match((await runCli(['attest', '--help'])).stdout, /An OMS signature of the\s+model inside its folder is not part of the model/);
    assert.match((await runCli(['provenance', 'verify', '--help'])).stdout, /an OMS signature of it inside left out/);
  });

  it('a single-file model has no signature inside it', async () => {
    const file = path.join(tempDir(), 'weights.json');
    fs.writeFileSync(file, '{}');
    assert.deepEqual(await findSignatureFiles(await listModelFiles(file)), []);
  });
});
