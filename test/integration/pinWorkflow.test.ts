/// <reference types="mocha" />
// Pin Signer for a model a CI workflow signed (issue 13), in the real extension host: the pick offers the
// workflow at any ref first; picked, it is written as the workflow's claims, so the next release of that
// workflow verifies as pinned and the same workflow in a fork is a policy failure.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelSigningApi } from '../../src/extension/extension';
import { DEFAULT_RUN, GH_ISSUER, SimulatedRun, githubClaims } from '../helpers/githubRun';
import { waitFor } from './waitFor';
import { extensionApi } from './extensionApi';

let api: ModelSigningApi;
const root = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const model = () => path.join(root(), 'ci-model');
const policyFile = () => path.join(root(), '.vscode', 'model-signing.json');
const stateOf = () => api.states.get(model());

/**
 * A GitHub Actions job's identity token for `run`. The local Fulcio (@sigstore/mock's) reads a token's
 * claims without checking its signature, as the runner's stand-ins are not GitHub: what is tested is the
 * certificate it issues, whose chain and claims verification checks.
 */
function actionsToken(run: Partial<SimulatedRun>): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const claims = { ...githubClaims({ ...DEFAULT_RUN, ...run }), aud: 'sigstore', iat: now, nbf: now, exp: now + 600 };
  return `${part({ alg: 'ES256', typ: 'JWT' })}.${part(claims)}.${crypto.randomBytes(64).toString('base64url')}`;
}

async function signInRun(run: Partial<SimulatedRun>): Promise<void> {
  const args = { method: 'sigstore', identitySource: 'token', identityToken: actionsToken(run), skipConfirmation: true, overwrite: true };
  assert.equal(await vscode.commands.executeCommand<boolean>('modelSigning.signModel', vscode.Uri.file(model()), args), true);
}

const verify = () => vscode.commands.executeCommand<{ ok: boolean } | undefined>('modelSigning.verifyModel', vscode.Uri.file(model()));

suite('Pin Signer for a CI workflow', () => {
  let before: string | undefined;
  suiteSetup(async function () {
    // The local Sigstore runs beside code-server only (test/e2e/keylessModel.ts leaves this file).
    if (!fs.existsSync(path.join(root(), '..', 'keyless-signer.json'))) this.skip();
    api = await extensionApi();
    // Another suite's policy must not govern this model: it is put back afterwards.
    before = fs.existsSync(policyFile()) ? fs.readFileSync(policyFile(), 'utf8') : undefined;
    fs.rmSync(policyFile(), { force: true });
    fs.mkdirSync(model(), { recursive: true });
    fs.writeFileSync(path.join(model(), 'weights.bin'), crypto.randomBytes(32 << 10));
  });
  suiteTeardown(() => {
    if (!api) return;
    if (before === undefined) fs.rmSync(policyFile(), { force: true });
    else fs.writeFileSync(policyFile(), before);
    fs.rmSync(model(), { recursive: true, force: true });
  });

  test('the workflow at any ref is offered first; pinned, a later release verifies and a fork does not', async function () {
    this.timeout(180_000);
    await signInRun({});
    assert.equal((await verify())?.ok, true);
    assert.equal(stateOf()?.kind, 'signed', 'not pinned yet');
    // Pin Signer asks which way to pin: accept the first item of its pick, once it is open.
    let done: boolean | undefined;
    void vscode.commands.executeCommand<boolean>('modelSigning.pinSigner', model()).then((r) => (done = r));
    await waitFor('Pin Signer took the first choice', () => {
      if (done === undefined) void vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      return done !== undefined;
    });
    assert.equal(done, true);
    const written = JSON.parse(fs.readFileSync(policyFile(), 'utf8')) as { models: Array<{ path: string; sigstore?: unknown[] }> };
    assert.deepEqual(written.models.find((m) => m.path === 'ci-model')?.sigstore, [
      {
        issuer: GH_ISSUER,
        repository: 'https://github.com/acme/models',
        repositoryId: '123456',
        signerWorkflow: 'https://github.com/acme/models/.github/workflows/train.yml',
      },
    ]);
    await waitFor('verified under the pin', () => stateOf()?.kind === 'verified', { detail: () => `state: ${stateOf()?.kind}` });

    await signInRun({ ref: 'refs/tags/v1.4.0' });
    await verify();
    assert.equal(stateOf()?.kind, 'verified', 'a later release of the pinned workflow');

    await signInRun({ repository: 'mallory/models' });
    await verify();
    const state = stateOf();
    assert.equal(state?.kind, 'failed', 'the same workflow in a fork');
    assert.match(
      state?.kind === 'failed' ? state.message : '',
      /Source Repository URI is https:\/\/github\.com\/mallory\/models, not https:\/\/github\.com\/acme\/models/,
    );
  });
});
