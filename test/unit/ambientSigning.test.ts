// `sign sigstore --use-ambient-credentials` end to end in each CI system and
// cloud, against the local Sigstore (Fulcio, Rekor, TSA on 127.0.0.1): the
// token comes from a stand-in of that environment's tool or endpoint, the
// model is signed, and the signature verifies for the identity in the token.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ambientEnv, startMetadataServer, stubCommand } from '../helpers/ciStandIns';
import { signerIdentity, verifyJson } from '../helpers/cliJson';
import { offlineTufEnv, runCli, sampleModel, tempDir } from '../helpers/fixtures';
import { LocalSigstore, startLocalSigstoreWithTrustFile } from '../helpers/localSigstore';

let sigstore: LocalSigstore;
let trust: string;
let tufEnv: NodeJS.ProcessEnv;

before(async () => {
  tufEnv = offlineTufEnv();
  ({ sigstore, trustConfigPath: trust } = await startLocalSigstoreWithTrustFile());
});
after(() => sigstore.stop());

/** Signs with ambient credentials in the environment `vars` describe, then verifies for `identity` and `issuer`. */
async function signsAs(vars: NodeJS.ProcessEnv, identity: string, issuer: string): Promise<void> {
  const model = sampleModel();
  const sig = path.join(tempDir(), 'model.sig');
  const env = ambientEnv({ ...tufEnv, ...vars });
  const s = await runCli(['sign', 'sigstore', model, '--signature', sig, '--trust-config', trust, '--use-ambient-credentials'], { env });
  assert.equal(s.code, 0, s.stderr);
  assert.equal(s.stdout, 'Signing succeeded\n');
  const v = await runCli(
    ['verify', 'sigstore', model, '--signature', sig, '--trust-config', trust, '--identity', identity, '--identity-provider', issuer, '--json'],
    {
      env: ambientEnv(tufEnv),
    },
  );
  assert.equal(v.code, 0, v.stderr);
  assert.equal(signerIdentity(verifyJson(v.stdout).signer), identity);
}

describe('keyless signing with the ambient credentials of each environment', () => {
  it('Buildkite: the token `buildkite-agent` prints', async () => {
    const agent = stubCommand('buildkite-agent');
    const iss = 'https://agent.buildkite.com';
    const sub = 'organization:acme:pipeline:models:ref:refs/heads/main:commit:0123abc:step:sign';
    agent.answer({ stdout: `${await sigstore.mintToken({ iss, sub })}\n` });
    await signsAs({ BUILDKITE: 'true', PATH: agent.path }, sub, iss);
    assert.deepEqual(agent.lastArgs(), ['oidc', 'request-token', '--audience', 'sigstore']);
  });

  it('CircleCI: the token `circleci run oidc get` prints', async () => {
    const tool = stubCommand('circleci');
    const iss = 'https://oidc.circleci.com/org/01234567-89ab-cdef-0123-456789abcdef';
    const sub = 'org/01234567-89ab-cdef-0123-456789abcdef/project/fedcba98-7654-3210-fedc-ba9876543210/user/11111111-2222-3333-4444-555555555555';
    tool.answer({ stdout: await sigstore.mintToken({ iss, sub }) });
    await signsAs({ CIRCLECI: 'true', PATH: tool.path }, sub, iss);
  });

  it('GitLab CI: SIGSTORE_ID_TOKEN from the job’s id_tokens', async () => {
    const iss = 'https://gitlab.com';
    const sub = 'project_path:acme/models:ref_type:branch:ref:main';
    await signsAs({ GITLAB_CI: 'true', SIGSTORE_ID_TOKEN: await sigstore.mintToken({ iss, sub }) }, sub, iss);
  });

  it('Google Cloud: the metadata server’s identity token (GCE_METADATA_HOST)', async () => {
    const server = await startMetadataServer();
    try {
      const email = 'signer@acme-models.iam.gserviceaccount.com';
      const iss = 'https://accounts.google.com';
      server.answer({ token: await sigstore.mintToken({ iss, email }) });
      await signsAs({ GCE_METADATA_HOST: server.host }, email, iss);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.stop();
    }
  });

  it('an environment that cannot give a token: exit 1, one line naming it, no browser login', async () => {
    const model = sampleModel();
    const sig = path.join(tempDir(), 'model.sig');
    const env = ambientEnv({ ...tufEnv, BUILDKITE: 'true', PATH: tempDir() });
    const r = await runCli(['sign', 'sigstore', model, '--signature', sig, '--trust-config', trust, '--use-ambient-credentials'], { env });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^[^\n]*Buildkite: buildkite-agent is not on the PATH, so no identity token can be had\n$/);
  });
});
