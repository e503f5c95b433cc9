import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { makeKeyPair, readJson, readStatement, runCli, sampleModel, tempDir } from '../helpers/fixtures';

describe('sign key + verify key through the CLI', () => {
  for (const curve of ['P-256', 'P-384', 'P-521'] as const) {
    for (const hash of ['sha256', 'blake2b', 'blake3'] as const) {
      for (const serialization of ['files', 'shards'] as const) {
        it(`${curve} ${hash} ${serialization}`, async () => {
          const model = sampleModel();
          const keys = makeKeyPair(curve);
          const sig = path.join(tempDir(), 'model.sig');
          const extra = serialization === 'shards' ? ['--shard-size', '10'] : [];
          const s = await runCli([
            'sign',
            'key',
            model,
            '--signature',
            sig,
            '--private-key',
            keys.privateKey,
            '--hash-algorithm',
            hash,
            '--serialization',
            serialization,
            ...extra,
          ]);
          assert.equal(s.stderr, '');
          assert.equal(s.code, 0);
          assert.equal(s.stdout, 'Signing succeeded\n');
          const st = readStatement(sig);
          assert.equal(st.predicate.serialization.method, serialization);
          assert.equal(st.predicate.serialization.hash_type, hash);
          const v = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', keys.publicKey]);
          assert.equal(v.code, 0, v.stderr);
          assert.equal(v.stdout, 'Verification succeeded\n');
          // One changed byte is caught and named.
          fs.appendFileSync(path.join(model, 'd1/f11'), 'x');
          const bad = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', keys.publicKey]);
          assert.equal(bad.code, 1);
          assert.match(bad.stderr, serialization === 'files' ? /changed: d1\/f11 / : /d1\/f11:/);
        });
      }
    }
  }

  it('writes the reference shape: v0.3 bundle, hint, keyid "", no log entries', async () => {
    const model = sampleModel();
    const keys = makeKeyPair('P-384');
    const sig = path.join(tempDir(), 'model.sig');
    assert.equal((await runCli(['sign', 'key', model, '--signature', sig, '--private_key', keys.privateKey])).code, 0);
    const text = fs.readFileSync(sig, 'utf8');
    assert.ok(!text.endsWith('\n'));
    assert.deepEqual(Object.keys(JSON.parse(text) as object), ['mediaType', 'verificationMaterial', 'dsseEnvelope']);
    const b = readJson(sig);
    assert.equal(b.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.match(b.verificationMaterial.publicKey!.hint!, /^[0-9a-f]{64}$/);
    assert.deepEqual(b.verificationMaterial.tlogEntries, []);
    assert.equal(b.dsseEnvelope.signatures[0]!.keyid, '');
    assert.equal(b.dsseEnvelope.payloadType, 'application/vnd.in-toto+json');
    const st = readStatement(sig);
    assert.deepEqual(st.predicate.serialization.ignore_paths, ['.git', '.gitattributes', '.github', '.gitignore']);
    assert.equal(st.subject[0]!.name, 'sample_model');
  });
});
