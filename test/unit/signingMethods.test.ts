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
  evaluatePolicy,
  loadPrivateKey,
  loadPublicKey,
  parsePolicy,
  publicKeyPem,
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

  it("verify refuses the reference's PKCS #11 method names: what they sign is checked by verify key or verify certificate", async () => {
    for (const method of ['pkcs11-key', 'pkcs11-certificate']) {
      const r = await runCli(['verify', method, 'model', '--pkcs11-uri', 'pkcs11:token=t']);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(
        r.stderr,
        "Verification failed with error: a PKCS #11 signature is a key or certificate signature: verify it with 'verify key' or 'verify certificate'\n",
      );
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

  it('pinning a key signature with its public key writes the PEM into the policy: the next verification needs no key file', async () => {
    const pair = makeKeyPair();
    const bundle = await (await signerFromInputs('key', { privateKey: pair.privateKey })).sign(Buffer.from('{}'));
    const { signer } = await (await verifierFromInputs('key', { publicKey: pair.publicKey })).verify(bundle);
    if (signer.method !== 'key') return assert.fail(`signed by ${signer.method}`);
    const pem = fs.readFileSync(pair.publicKey, 'utf8');
    const verifier = await verifierFromInputs('key', { publicKey: pair.publicKey });
    assert.deepEqual(verifier.pinMaterial?.(), { publicKeyPem: pem }, 'the verifier gives its key for the pin');
    const raw: Record<string, unknown> = { path: '**' };
    assert.equal(signingMethod('key').pin(raw, signer, { publicKeyPem: pem }), true);
    assert.equal(signingMethod('key').pin(raw, signer, { publicKeyPem: pem }), false, 'pinned once');
    assert.deepEqual(raw, { path: '**', publicKeys: [publicKeyPem(loadPublicKey(pem))] });
    fs.rmSync(pair.dir, { recursive: true }); // the key file is gone: the policy holds the key
    const entry = parsePolicy({ models: [raw] }, { workspaceRoot: tempDir('ms-ws-') }).models[0]!;
    const fromPolicy = verifierFromPolicy('key', entry, bundle);
    assert.ok(fromPolicy, 'the pinned PEM gives the verifier');
    assert.equal((await (await fromPolicy).verify(bundle)).signer.method, 'key');
    assert.equal(evaluatePolicy(entry, signer).ok, true);
    assert.equal(evaluatePolicy(entry, { method: 'key', keyHint: '0'.repeat(64) }).ok, false, 'another key is not accepted');
    const other = fs.readFileSync(makeKeyPair().publicKey, 'utf8');
    assert.throws(() => signingMethod('key').pin({}, signer, { publicKeyPem: other }), { code: 'KEY_MISMATCH' });
  });

  const PRIVATE_KEY_GIVEN = 'This is a private key: give the public key (the .pub file) instead, and keep the private key to yourself';

  it('a private key given where a public key is expected is refused, by the core and by the CLI, without echoing it', async () => {
    const pair = makeKeyPair();
    const pem = fs.readFileSync(pair.privateKey, 'utf8');
    assert.throws(() => loadPublicKey(pem), { code: 'KEY_IS_PRIVATE', message: PRIVATE_KEY_GIVEN });
    await assert.rejects(async () => verifierFromInputs('key', { publicKey: pair.privateKey }), { code: 'KEY_IS_PRIVATE' });
    assert.throws(() => parsePolicy({ models: [{ path: '**', publicKeys: [pem] }] }, { workspaceRoot: tempDir('ms-ws-') }), {
      code: 'POLICY_INVALID',
      data: { source: 'settings', jsonPath: '$.models[0].publicKeys[0]', why: `must be a PEM public key: ${PRIVATE_KEY_GIVEN}` },
    });
    const model = makeModel({ 'weights.bin': 'w' });
    assert.equal((await runCli(['sign', 'key', model, '--signature', `${model}/model.sig`, '--private-key', pair.privateKey])).code, 0);
    const r = await runCli(['verify', 'key', model, '--signature', `${model}/model.sig`, '--public-key', pair.privateKey]);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.includes(PRIVATE_KEY_GIVEN), r.stderr);
    assert.doesNotMatch(r.stderr + r.stdout, /PRIVATE KEY-----/);
  });
});
