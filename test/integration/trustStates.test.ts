/// <reference types="mocha" />
// Trust that a person reads correctly (issue 11, §2), in the real extension host: a good signature no
// policy names is "not pinned", not Verified; the badge and the Signed Model view say which model, who
// signed it (as text), which policy and when; the live badge fails with the reason Verify Model gives and
// recovers by itself; a private key given for a public one is refused.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelSigningApi } from '../../src/extension/extension';
import { keyHintOf, signWithKey, writeKeyPair } from './signature';
import { waitFor } from './waitFor';
import { extensionApi } from './extensionApi';

let api: ModelSigningApi;
const root = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const model = () => path.join(root(), 'trust-states-model');
const policyFile = () => path.join(root(), '.vscode', 'model-signing.json');
const signature = () => path.join(model(), 'model.sig');
const keyDir = fs.mkdtempSync(path.join(root(), '..', 'trust-states-keys-'));
const privateKey = path.join(keyDir, 'key.pem');
const publicKey = path.join(keyDir, 'key.pub');

const verify = (args: Record<string, unknown> = { publicKey }) =>
  vscode.commands.executeCommand<{ ok: boolean } | undefined>('modelSigning.verifyModel', vscode.Uri.file(model()), args);
const stateOf = () => api.states.get(model());
const messageOf = () => {
  const s = stateOf();
  return s?.kind === 'failed' ? s.message : `(${s?.kind})`;
};
const labelOf = (i: vscode.TreeItem) => (typeof i.label === 'object' ? i.label.label : (i.label ?? ''));
const tooltipOf = (i: vscode.TreeItem | undefined) => (typeof i?.tooltip === 'object' ? i.tooltip.value : (i?.tooltip ?? ''));
const labels = (items: vscode.TreeItem[]) => items.map((i) => `${labelOf(i)}${typeof i.description === 'string' ? ` | ${i.description}` : ''}`);

suite('Trust states: verified, not pinned, and why not', () => {
  suiteSetup(async () => {
    api = await extensionApi();
    api.digestCacheOptions.racyWindowMs = 0;
    writeKeyPair(privateKey, publicKey);
    fs.mkdirSync(model(), { recursive: true });
    fs.writeFileSync(path.join(model(), 'weights.bin'), crypto.randomBytes(32 << 10));
    fs.writeFileSync(path.join(model(), 'config.json'), '{}');
    await signWithKey(model(), privateKey);
  });
  suiteTeardown(() => {
    fs.rmSync(policyFile(), { force: true });
    fs.rmSync(model(), { recursive: true, force: true });
    fs.rmSync(keyDir, { recursive: true, force: true });
  });

  test('not pinned: the badge and the view say which model, who signed it (text, not JSON), which policy, and when', async () => {
    assert.equal((await verify())?.ok, true);
    assert.equal(stateOf()?.kind, 'signed');
    api.states.focus(model());
    const hint = keyHintOf(model());
    const badge = api.badgeOf(model())!;
    assert.equal(badge.text, `$(unverified) Signed with key ${hint.slice(0, 12)}… — not pinned`);
    const lines = badge.tooltip.split('\n');
    assert.equal(lines[0], model());
    assert.ok(lines.includes(`Signed with the key ${hint}`), badge.tooltip);
    assert.ok(lines.includes('No policy: the signer is not pinned'), badge.tooltip);
    assert.match(lines[lines.length - 1]!, /^Checked at /);
    assert.equal(api.badgeCommand(), 'modelSigning.pinSigner');

    const items = await api.manifestItems();
    const shown = labels(items);
    assert.equal(shown[0], `trust-states-model | ${model()}`);
    assert.ok(shown.includes(`Signed with key ${hint.slice(0, 12)}… — not pinned`), shown.join('\n'));
    assert.ok(shown.includes(`Pin Signer… | trust key ${hint.slice(0, 12)}… for trust-states-model`), shown.join('\n'));
    assert.ok(shown.includes('No policy: the signer is not pinned'), shown.join('\n'));
    assert.ok(
      shown.some((l) => l.startsWith('Checked at ')),
      shown.join('\n'),
    );
    const pin = items.find((i) => labelOf(i) === 'Pin Signer…');
    assert.equal(pin?.command?.command, 'modelSigning.pinSigner', 'the offer stays in the view after its notification is gone');
    // A command with arguments runs through a delegate each refresh of the view replaces: a click just after one fails.
    assert.equal(pin?.command?.arguments, undefined, 'Pin Signer in the view takes no arguments');
    const signer = items.find((i) => labelOf(i).startsWith('Signed with key'));
    assert.equal(tooltipOf(signer), `Signed with the key ${hint}`);
  });

  test("the view's Provenance row opens the model's provenance through a command without arguments", async () => {
    const provenance = path.join(root(), 'trust-states-model.intoto.jsonl');
    fs.writeFileSync(provenance, '{"not": "provenance"}\n');
    try {
      assert.equal((await verify())?.ok, true);
      api.states.focus(model());
      const row = (await api.manifestItems()).find((i) => labelOf(i) === 'Provenance');
      assert.equal(row?.description, 'trust-states-model.intoto.jsonl');
      assert.equal(row?.command?.command, 'modelSigning.openModelProvenance');
      assert.equal(row?.command?.arguments, undefined, 'a click just after a refresh of the view still runs');
      const panel = await vscode.commands.executeCommand<{ panel: vscode.WebviewPanel; modelPath?: string } | undefined>(row.command.command);
      assert.equal(panel?.panel.title, 'Provenance: trust-states-model.intoto.jsonl');
      assert.equal(panel?.modelPath, model(), 'matched against the model the view shows');
      panel?.panel.dispose();
    } finally {
      fs.rmSync(provenance, { force: true });
    }
  });

  test('a live failure gives the reason Verify Model gives, and recovers when the signature file is restored', async () => {
    assert.equal((await verify())?.ok, true);
    const good = fs.readFileSync(signature());
    // Another signature over the same model: the signature bytes no longer hold.
    const bundle = JSON.parse(good.toString()) as { dsseEnvelope: { signatures: Array<{ sig: string }> } };
    bundle.dsseEnvelope.signatures[0]!.sig = crypto.randomBytes(70).toString('base64');
    fs.writeFileSync(signature(), JSON.stringify(bundle));
    await waitFor('the live badge fails', () => stateOf()?.kind === 'failed', { detail: () => `state: ${messageOf()}` });
    const live = messageOf();
    assert.equal(api.badgeOf(model())?.text, '$(error) Not verified');
    assert.ok(api.badgeOf(model())!.tooltip.includes(live), api.badgeOf(model())!.tooltip);
    assert.equal(await verify(), undefined);
    assert.equal(messageOf(), live, 'Verify Model says the same');
    fs.writeFileSync(signature(), good);
    await waitFor('the badge recovers by itself', () => stateOf()?.kind === 'signed', { detail: () => `state: ${messageOf()}` });
  });

  test('a policy that names only keyless signers refuses a key signature with that reason, live and on Verify Model, before asking for a key', async () => {
    fs.mkdirSync(path.dirname(policyFile()), { recursive: true });
    fs.writeFileSync(
      policyFile(),
      JSON.stringify({ models: [{ path: 'trust-states-model', sigstore: [{ identity: 'dev@example.com', issuer: 'https://issuer.example' }] }] }),
    );
    const reason = `Policy: Signed with a key, but the policy for 'trust-states-model' (${policyFile()}) accepts only signatures made with Sigstore identities`;
    await waitFor('the live badge applies the new policy', () => messageOf() === reason, { detail: () => `state: ${messageOf()}` });
    // No key given and no dialog to answer: the policy decides before anything is asked.
    assert.equal(await verify({}), undefined);
    assert.equal(messageOf(), reason);
    fs.rmSync(policyFile());
    await waitFor('without the policy, the model is signed again', () => stateOf()?.kind === 'signed', { detail: () => `state: ${messageOf()}` });
  });

  test('a private key given where the public key is expected is refused with a clear message', async () => {
    // What this Verify Model set, caught as it is set: a live re-verification may replace it right after.
    const seen: string[] = [];
    const listening = api.states.onDidChange((s) => s?.target.modelPath === model() && s.kind === 'failed' && seen.push(s.message));
    try {
      assert.equal(await verify({ publicKey: privateKey }), undefined);
    } finally {
      listening.dispose();
    }
    assert.equal(seen.length, 1, seen.join('\n'));
    assert.match(seen[0]!, /This is a private key: give the public key \(the \.pub file\) instead/);
  });

  test('Pin Signer writes the public key into the policy, even after live re-verifications: Verified, and the next Verify Model needs no key', async () => {
    assert.equal((await verify())?.ok, true);
    // The live badge verifies again on its own (here: a change, then its undoing); the key given stays known for the pin.
    const config = path.join(model(), 'config.json');
    fs.writeFileSync(config, '{"changed": true}');
    await waitFor('Tampered', () => stateOf()?.kind === 'tampered', { detail: () => `state: ${messageOf()}` });
    fs.writeFileSync(config, '{}');
    await waitFor('signed again', () => stateOf()?.kind === 'signed', { detail: () => `state: ${messageOf()}` });
    assert.equal(await vscode.commands.executeCommand<boolean>('modelSigning.pinSigner', model()), true);
    const written = JSON.parse(fs.readFileSync(policyFile(), 'utf8')) as { models: object[] };
    assert.deepEqual(written.models, [{ path: 'trust-states-model', publicKeys: [fs.readFileSync(publicKey, 'utf8')] }]);
    assert.equal(stateOf()?.kind, 'verified');
    const badge = api.badgeOf(model())!;
    assert.match(badge.text, /^\$\(verified-filled\) Verified · key /);
    assert.ok(badge.tooltip.split('\n').includes(`Policy: .vscode/model-signing.json 'trust-states-model'`), badge.tooltip);
    assert.equal((await verify({}))?.ok, true);
    assert.equal(stateOf()?.kind, 'verified');
    fs.rmSync(policyFile());
  });
});
