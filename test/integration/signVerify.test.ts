/// <reference types="mocha" />
// Sign Model and Verify Model inside the real extension host, through the
// commands, on real files: the badge, the live re-verification, Problems, and
// a 2 GiB model hashed with the host's event loop watched. Timings (activation,
// lag, flip times) are recorded for `npm run bench`, never asserted: they
// depend on the machine's load.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { name, publisher } from '../../package.json';
import type { ModelSigningApi } from '../../src/extension/extension';
import { INTEGRATION_SCRATCH } from './marker';
import { waitFor } from './waitFor';
import { extensionApi } from './extensionApi';
import { keyHintOf, readSignature, writeKeyPair } from './signature';

const scratch = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, '..', INTEGRATION_SCRATCH);
fs.mkdirSync(scratch, { recursive: true });
const tmp = fs.mkdtempSync(path.join(scratch, 'sign-verify-'));
let api: ModelSigningApi;

/** Measurements from the real extension host, which `npm run bench` prints beside its own. */
const measured: Record<string, number | string> = {};
function record(values: Record<string, number>): void {
  // With the machine's load: the figures say as much about it as about the extension.
  Object.assign(measured, values, { measuredAt: new Date().toISOString(), vscode: vscode.version, loadAverage: os.loadavg()[0], cpus: os.cpus().length });
  const ext = vscode.extensions.getExtension(`${publisher}.${name}`)!;
  const file = path.join(ext.extensionPath, 'test-output', 'extension-host.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(measured, null, 2)}\n`);
}

function keyPair(curve = 'P-256') {
  const priv = path.join(tmp, `key-${curve}.pem`);
  const pub = path.join(tmp, `key-${curve}.pub`);
  writeKeyPair(priv, pub, curve);
  return { priv, pub };
}

function workspaceModel(): string {
  const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const model = path.join(root, 'signed-model');
  fs.mkdirSync(path.join(model, 'tokenizer'), { recursive: true });
  fs.writeFileSync(path.join(model, 'config.json'), '{"hidden_size": 64}');
  fs.writeFileSync(path.join(model, 'model.safetensors'), crypto.randomBytes(1 << 20));
  fs.writeFileSync(path.join(model, 'tokenizer', 'vocab.txt'), 'hello\nworld\n');
  return model;
}

suite('Sign and verify in the editor', () => {
  suiteSetup(async () => {
    api = await extensionApi();
    // Files written here are hashed at once: store their digests without waiting out the racy window.
    api.digestCacheOptions.racyWindowMs = 0;
  });
  // The 2 GiB model lives here: never leave it behind.
  suiteTeardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('activates and contributes its commands', async () => {
    console.log(`    activate() took ${api.activationMs.toFixed(1)} ms`);
    record({ activationMs: api.activationMs });
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['modelSigning.signModel', 'modelSigning.verifyModel']) assert.ok(commands.includes(c), c);
  });

  test('signs with a key and verifies: not pinned until Pin Signer writes the key into the policy, then Verified', async () => {
    const model = workspaceModel();
    const keys = keyPair();
    const uri = vscode.Uri.file(model);
    const signed = await vscode.commands.executeCommand<boolean>('modelSigning.signModel', uri, {
      method: 'key',
      privateKey: keys.priv,
      skipConfirmation: true,
      overwrite: true,
    });
    assert.equal(signed, true);
    assert.ok(fs.existsSync(path.join(model, 'model.sig')));
    // Signing with a key implies its verifier: the badge shows the new signature at once, not vouched for by any policy.
    assert.match(api.badgeText(), /^\$\(unverified\) Signed with key [0-9a-f]{12}… — not pinned$/);
    assert.equal(api.badgeCommand(), 'modelSigning.pinSigner', "the badge's click offers the pin");
    // Pin Signer right after signing (from the badge or the view: the same command): the key itself goes into the policy.
    assert.equal(await vscode.commands.executeCommand<boolean>('modelSigning.pinSigner', model), true);
    const policy = JSON.parse(fs.readFileSync(path.join(path.dirname(model), '.vscode', 'model-signing.json'), 'utf8')) as { models: object[] };
    assert.deepEqual(policy.models, [{ path: 'signed-model', publicKeys: [fs.readFileSync(keys.pub, 'utf8')] }]);
    assert.equal(api.states.get(model)?.kind, 'verified');
    assert.match(api.badgeOf(model)!.text, /^\$\(verified-filled\) Verified · key [0-9a-f]{12}…$/);
    // The next Verify Model asks for no key: the policy holds it (a test has no dialog to answer).
    assert.equal((await vscode.commands.executeCommand<{ ok: boolean }>('modelSigning.verifyModel', uri))?.ok, true);
    assert.equal(api.states.get(model)?.kind, 'verified');
  });

  test('signs keylessly against the local Sigstore (a pasted token) and verifies the signer', async function () {
    this.timeout(120_000);
    // The runner (test/e2e/keylessModel.ts) keeps a local Fulcio, Rekor, TSA and OIDC issuer up and
    // leaves a token and its issuer beside the workspace; the settings name their trust config.
    const signerFile = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, '..', 'keyless-signer.json');
    if (!fs.existsSync(signerFile)) this.skip(); // the test-electron runner has no local Sigstore
    const signer = JSON.parse(fs.readFileSync(signerFile, 'utf8')) as { identity: string; issuer: string; token: string };
    const model = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, 'keyless-model');
    fs.mkdirSync(model, { recursive: true });
    fs.writeFileSync(path.join(model, 'weights.bin'), crypto.randomBytes(64 << 10));
    const uri = vscode.Uri.file(model);
    const t0 = Date.now();
    const signed = await vscode.commands.executeCommand<boolean>('modelSigning.signModel', uri, {
      method: 'sigstore',
      identitySource: 'token',
      identityToken: signer.token,
      skipConfirmation: true,
      overwrite: true,
    });
    assert.equal(signed, true);
    console.log(`    keyless signing took ${Date.now() - t0} ms`);
    assert.equal(readSignature(model).verificationMaterial.tlogEntries?.length, 1);
    const result = await vscode.commands.executeCommand<{ ok: boolean }>('modelSigning.verifyModel', uri, { identity: signer.identity, issuer: signer.issuer });
    assert.equal(result?.ok, true);
    // An identity the caller expects is not one a policy pins: who signed is shown, not vouched for.
    assert.equal(api.badgeText(), `$(unverified) Signed by ${signer.identity} (${signer.issuer}) — not pinned`);
  });

  test('a changed file flips the badge to Tampered, marks it in Problems, and back when restored', async () => {
    const model = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, 'signed-model');
    const config = path.join(model, 'config.json');
    const original = fs.readFileSync(config);
    fs.writeFileSync(config, '{"hidden_size": 65}');
    const took = await waitFor('Tampered', () => api.badgeText() === '$(warning) Tampered · 1 file', { detail: () => `badge: ${api.badgeText()}` });
    console.log(`    badge flipped to Tampered ${took} ms after the write`);
    const problems = vscode.languages.getDiagnostics(vscode.Uri.file(config));
    assert.equal(problems.length, 1);
    // Both digests in one form, algorithm:hex.
    assert.match(problems[0]!.message, /^Modified since it was signed: expected sha256:[0-9a-f]{64}, found sha256:[0-9a-f]{64}$/);
    fs.writeFileSync(config, original);
    // This model's own state: the badge may meanwhile show another model the live watchers re-verified.
    // Verified, as the first test pinned its key.
    await waitFor('Verified again', () => api.states.get(model)?.kind === 'verified', { detail: () => `badge: ${api.badgeText()}` });
    assert.equal(vscode.languages.getDiagnostics(vscode.Uri.file(config)).length, 0);
  });

  test("the workspace policy decides: a pinned other key is a policy failure, the signer's key verifies without asking", async () => {
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const model = path.join(root, 'signed-model');
    const policyFile = path.join(root, '.vscode', 'model-signing.json');
    fs.mkdirSync(path.dirname(policyFile), { recursive: true });
    const signerHint = keyHintOf(model);
    try {
      const keys = path.join(tmp, 'key-P-256.pub');
      fs.writeFileSync(policyFile, JSON.stringify({ models: [{ path: 'signed-model', keys: [keys] }] }));
      const ok = await vscode.commands.executeCommand<{ ok: boolean }>('modelSigning.verifyModel', vscode.Uri.file(model));
      assert.equal(ok?.ok, true);
      assert.ok(api.badgeText().startsWith('$(verified-filled) Verified'), api.badgeText());
      fs.writeFileSync(policyFile, JSON.stringify({ models: [{ path: 'signed-*', keyHints: ['0'.repeat(64)] }] }));
      // The key named by the signature is not the policy's: nothing to verify with, and no dialog in a test,
      // so give the right public key and check the policy still refuses the signer.
      await vscode.commands.executeCommand('modelSigning.verifyModel', vscode.Uri.file(model), { publicKey: keys });
      assert.equal(api.badgeOf(model)?.text, '$(error) Not verified');
      assert.notEqual(signerHint, '0'.repeat(64));
    } finally {
      fs.rmSync(policyFile, { force: true });
    }
  });

  test('the policy setting (modelSigning.verify.policy) decides too, and the file wins where both name the model', async () => {
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const model = path.join(root, 'signed-model');
    const signerHint = keyHintOf(model);
    const keys = path.join(tmp, 'key-P-256.pub');
    const config = vscode.workspace.getConfiguration('modelSigning');
    const policyFile = path.join(root, '.vscode', 'model-signing.json');
    try {
      await config.update('verify.policy', [{ path: 'signed-*', keyHints: ['0'.repeat(64)] }], vscode.ConfigurationTarget.Workspace);
      await vscode.commands.executeCommand('modelSigning.verifyModel', vscode.Uri.file(model), { publicKey: keys });
      assert.equal(api.badgeOf(model)?.text, '$(error) Not verified');
      await config.update('verify.policy', [{ path: 'signed-*', keyHints: [signerHint] }], vscode.ConfigurationTarget.Workspace);
      const ok = await vscode.commands.executeCommand<{ ok: boolean }>('modelSigning.verifyModel', vscode.Uri.file(model), { publicKey: keys });
      assert.equal(ok?.ok, true);
      assert.ok(api.badgeText().startsWith('$(verified-filled) Verified'), api.badgeText());
      // The file names the model with the same glob: it wins over the setting.
      fs.mkdirSync(path.dirname(policyFile), { recursive: true });
      fs.writeFileSync(policyFile, JSON.stringify({ models: [{ path: 'signed-*', keyHints: ['1'.repeat(64)] }] }));
      await vscode.commands.executeCommand('modelSigning.verifyModel', vscode.Uri.file(model), { publicKey: keys });
      assert.equal(api.badgeOf(model)?.text, '$(error) Not verified');
    } finally {
      fs.rmSync(policyFile, { force: true });
      await config.update('verify.policy', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('a signature by another key is not Verified', async () => {
    const model = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, 'signed-model');
    const other = keyPair('P-384');
    const result = await vscode.commands.executeCommand<{ ok: boolean } | undefined>('modelSigning.verifyModel', vscode.Uri.file(model), {
      publicKey: other.pub,
    });
    assert.equal(result, undefined);
    assert.equal(api.badgeOf(model)?.text, '$(error) Not verified');
  });

  test('signs a 2 GiB model (event-loop lag recorded), and a small change re-hashes only that file', async function () {
    this.timeout(180_000);
    // Real bytes, so the files sit in the page cache as a model just downloaded or
    // opened does (a sparse file's first read is the kernel zero-filling 2 GiB instead).
    const big = path.join(tmp, 'big-model');
    fs.mkdirSync(big);
    const block = crypto.randomBytes(64 << 20);
    for (const f of ['a.safetensors', 'b.safetensors']) {
      const fd = fs.openSync(path.join(big, f), 'w');
      for (let i = 0; i < 16; i++) {
        block.writeUInt32LE(i, 0);
        fs.writeSync(fd, block);
      }
      fs.closeSync(fd);
    }
    fs.writeFileSync(path.join(big, 'config.json'), '{"hidden_size": 4096}');
    const keys = keyPair();
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const t0 = performance.now();
    const signed = await vscode.commands.executeCommand<boolean>('modelSigning.signModel', vscode.Uri.file(big), {
      method: 'key',
      privateKey: keys.priv,
      skipConfirmation: true,
      overwrite: true,
    });
    const seconds = (performance.now() - t0) / 1000;
    h.disable();
    assert.equal(signed, true);
    const p99 = h.percentile(99) / 1e6;
    console.log(
      `    2 GiB signed in ${seconds.toFixed(2)} s; event-loop lag p50 ${(h.percentile(50) / 1e6).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${(h.max / 1e6).toFixed(1)} ms`,
    );
    // A figure for `npm run bench` and the README, not a pass mark: on a loaded machine it is the machine's.
    record({ sign2GiBSeconds: seconds, lagP50Ms: h.percentile(50) / 1e6, lagP99Ms: p99, lagMaxMs: h.max / 1e6 });

    // The live badge: one small file of the 2 GiB model changes; only it is hashed again.
    const verified = await vscode.commands.executeCommand<{ ok: boolean }>('modelSigning.verifyModel', vscode.Uri.file(big), { publicKey: keys.pub });
    assert.equal(verified?.ok, true);
    const before = await api.liveHashStats();
    const changed = '{"hidden_size": 8192}';
    fs.writeFileSync(path.join(big, 'config.json'), changed);
    const took = await waitFor('Tampered on the 2 GiB model', () => api.badgeText() === '$(warning) Tampered · 1 file', {
      detail: () => `badge: ${api.badgeText()}`,
    });
    const after = await api.liveHashStats();
    console.log(`    2 GiB model: badge flipped ${took} ms after one small file changed`);
    record({ badgeFlip2GiBMs: took });
    // Only the changed file was read again (once per re-verification the watcher started); the 2 GiB came from the cache.
    const hashed = after.bytesHashed - before.bytesHashed;
    assert.ok(hashed > 0 && hashed % changed.length === 0 && hashed < 1 << 20, `${hashed} bytes hashed again`);
    assert.ok(after.hits - before.hits >= 2, 'the two 1 GiB files were served from the digest cache');
  });
});
