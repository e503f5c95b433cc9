// The registry of signing methods: one descriptor per method, from which the
// CLI's flags and help come, and through which bundles, signers and policies
// are told apart.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { METHOD_IDS, SIGNING_METHODS, bundleKind, describeSigner, loadPrivateKey, loadPublicKey, signingMethod } from '../../src/core';
import { makeKeyPair, runCli } from '../helpers/fixtures';

describe('signing methods', () => {
  it('each method is registered once, with help for both commands', () => {
    assert.deepEqual(METHOD_IDS, ['sigstore', 'key', 'certificate']);
    for (const m of SIGNING_METHODS) {
      assert.equal(signingMethod(m.id), m);
      assert.ok(m.label && m.description && m.help.sign && m.help.verify, m.id);
    }
  });

  it("the CLI's sign and verify take every input a method declares, with its help", async () => {
    for (const m of SIGNING_METHODS) {
      for (const command of ['sign', 'verify'] as const) {
        const r = await runCli([command, m.id, '--help']);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stdout.includes(m.help[command]), `${command} ${m.id}: ${r.stdout}`);
        for (const input of m.inputs[command]) assert.match(r.stdout, new RegExp(`--${input.flag}\\b`), `${command} ${m.id} --${input.flag}`);
      }
    }
  });

  it("a key method's signer and verifier agree, and the bundle, the signer and a pin name the key", async () => {
    const pair = makeKeyPair();
    const key = signingMethod('key');
    const bundle = await (await key.makeSigner({ privateKey: loadPrivateKey(fs.readFileSync(pair.privateKey)) })).sign(Buffer.from('{}'));
    assert.equal(bundleKind(bundle), 'key');
    const { signer } = await (await key.makeVerifier({ publicKey: loadPublicKey(fs.readFileSync(pair.publicKey)) })).verify(bundle);
    if (signer.method !== 'key') return assert.fail(`signed by ${signer.method}`);
    assert.equal(describeSigner(signer), `key ${signer.keyHint.slice(0, 12)}…`);
    const raw: Record<string, unknown> = {};
    assert.equal(key.pin(raw, signer), true);
    assert.equal(key.pin(raw, signer), false, 'pinned once');
    assert.deepEqual(raw, { keyHints: [signer.keyHint] });
  });
});
