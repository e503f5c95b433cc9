// The registry of signing methods: one descriptor per method, from which the
// CLI's flags and help come, and through which bundles, signers and policies
// are told apart.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import {
  METHOD_IDS,
  SIGNING_METHODS,
  bundleKind,
  describeSigner,
  loadPrivateKey,
  loadPublicKey,
  parsePolicy,
  signerFromInputs,
  signingMethod,
  verifierFromInputs,
  verifierFromPolicy,
} from '../../src/core';
import { makeKeyPair, makeModel, runCli, tempDir } from '../helpers/fixtures';

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

  it("the CLI takes every declared input flag in the reference's `_` spelling too", async () => {
    const model = makeModel({ 'weights.bin': 'w' });
    for (const m of SIGNING_METHODS) {
      for (const command of ['sign', 'verify'] as const) {
        for (const input of m.inputs[command].filter((i) => i.flag.includes('-'))) {
          const r = await runCli([command, m.id, model, `--${input.flag.replace(/-/g, '_')}`, 'missing.pem']);
          assert.doesNotMatch(r.stderr, /No such option/, `${command} ${m.id} --${input.flag}`);
        }
      }
    }
  });

  it("names the reference's PKCS #11 methods, which no registered method implements, and refuses them", async () => {
    for (const command of ['sign', 'verify'] as const) {
      for (const method of ['pkcs11-key', 'pkcs11-certificate']) {
        const r = await runCli([command, method, 'model', '--pkcs11-uri', 'pkcs11:token=t']);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /failed with error: PKCS#11 tokens are not supported; use the key, certificate or sigstore method/);
      }
    }
  });

  it('a signer and a verifier are made from the files a shell collects for the declared inputs, or from a policy', async () => {
    const pair = makeKeyPair('P-256', 'secret');
    const bundle = await (await signerFromInputs('key', { privateKey: pair.privateKey, password: 'secret' })).sign(Buffer.from('{}'));
    const { signer } = await (await verifierFromInputs('key', { publicKey: pair.publicKey })).verify(bundle);
    assert.equal(signer.method, 'key');
    const ws = tempDir('ms-ws-');
    const entry = (keys: string[]) =>
      parsePolicy({ models: [{ path: '**', keys, ...(keys.length ? {} : { keyHints: ['0'.repeat(64)] }) }] }, { workspaceRoot: ws }).models[0]!;
    const fromPolicy = verifierFromPolicy('key', entry([pair.publicKey]), bundle);
    assert.ok(fromPolicy, 'the policy names the key');
    assert.equal((await (await fromPolicy).verify(bundle)).signer.method, 'key');
    assert.equal(verifierFromPolicy('key', entry([]), bundle), undefined, 'a policy with only key hints gives no key');
  });
});
