// Ambient identity tokens beyond GitHub Actions, each from a stand-in reached
// the way production reaches the real thing: `buildkite-agent` and `circleci`
// as executables first on the PATH, Google Cloud's metadata server over HTTP
// on 127.0.0.1 through GCE_METADATA_HOST, GitLab's `<AUDIENCE>_ID_TOKEN`.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as util from 'node:util';
import { ErrorCode, ModelSigningError, isModelSigningError } from '../../src/core/errors';
import { AmbientCredentialProvider, tokenVariable } from '../../src/core/sigstore/ambientCredentials';
import { onGoogleCloud } from '../../src/core/sigstore/gcpMetadata';
import { MetadataServer, StubCommand, ambientEnv, startMetadataServer, stubCommand } from '../helpers/ciStandIns';
import { tempDir } from '../helpers/fixtures';
import { OidcIssuer, startOidcIssuer } from '../helpers/oidcIssuer';
import { assertNoSecrets } from '../helpers/secrets';

let issuer: OidcIssuer;
let buildkite: StubCommand;
let circleci: StubCommand;
let metadata: MetadataServer;

before(async () => {
  issuer = await startOidcIssuer();
  buildkite = stubCommand('buildkite-agent');
  circleci = stubCommand('circleci');
  metadata = await startMetadataServer();
});
after(async () => {
  await metadata.stop();
  await issuer.stop();
});

const token = (claims: Record<string, unknown> = {}) => issuer.mintToken({ sub: 'ci-subject', ...claims });
const getToken = (vars: NodeJS.ProcessEnv, audience?: string, signal?: AbortSignal) =>
  new AmbientCredentialProvider(audience, ambientEnv(vars)).getToken({ signal });

async function rejection(p: Promise<unknown>, code: ErrorCode): Promise<ModelSigningError> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => {
    caught = e;
    return true;
  });
  if (!isModelSigningError(caught)) assert.fail(`expected a ModelSigningError, got ${util.inspect(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

describe('Buildkite: `buildkite-agent oidc request-token`', () => {
  it('runs the agent found on the PATH for audience sigstore and returns its token', async () => {
    const t = await token();
    buildkite.answer({ stdout: `${t}\n` });
    assert.equal(await getToken({ BUILDKITE: 'true', PATH: buildkite.path }), t);
    assert.deepEqual(buildkite.lastArgs(), ['oidc', 'request-token', '--audience', 'sigstore']);
  });

  it('no agent on the PATH, an agent that fails, one that prints garbage: one line naming Buildkite, no token', async () => {
    const missing = await rejection(getToken({ BUILDKITE: 'true', PATH: tempDir() }), 'IDENTITY_TOKEN_UNAVAILABLE');
    assert.equal(missing.message, 'Buildkite: buildkite-agent is not on the PATH, so no identity token can be had');
    assert.deepEqual(missing.data.sources, ['buildkite']);

    const leaked = await token();
    buildkite.answer({ stdout: leaked, stderr: `retrying\nfatal: OIDC is not enabled for this pipeline (last token ${leaked})\n`, exit: 1 });
    const failed = await rejection(getToken({ BUILDKITE: 'true', PATH: buildkite.path }), 'IDENTITY_TOKEN_UNAVAILABLE');
    assert.equal(
      failed.message,
      'Buildkite: `buildkite-agent oidc request-token` failed (exit code 1): fatal: OIDC is not enabled for this pipeline (last token [token])',
    );
    assertNoSecrets(failed, [leaked]);

    buildkite.answer({ stdout: '<html>Service Unavailable</html>\n' });
    const garbage = await rejection(getToken({ BUILDKITE: 'true', PATH: buildkite.path }), 'IDENTITY_TOKEN_UNAVAILABLE');
    assert.match(garbage.message, /^Buildkite: `buildkite-agent oidc request-token` printed no identity token/);
    assert.equal(garbage.data.reason, 'garbage');
  });

  it('a token for another audience, or an expired one: IDENTITY_TOKEN_INVALID naming Buildkite', async () => {
    const other = await token({ aud: 'someone-else' });
    buildkite.answer({ stdout: other });
    const e = await rejection(getToken({ BUILDKITE: 'true', PATH: buildkite.path }), 'IDENTITY_TOKEN_INVALID');
    assert.equal(e.message, `The identity token from Buildkite is for audience "someone-else", not 'sigstore'`);
    assertNoSecrets(e, [other]);

    buildkite.answer({ stdout: await token({ exp: Math.floor(Date.now() / 1000) - 60 }) });
    assert.match(
      (await rejection(getToken({ BUILDKITE: 'true', PATH: buildkite.path }), 'IDENTITY_TOKEN_INVALID')).message,
      /^The identity token from Buildkite expired at /,
    );
  });

  it('cancelled while the agent runs: CANCELLED', async () => {
    buildkite.answer({ stdout: await token() });
    const controller = new AbortController();
    const pending = getToken({ BUILDKITE: 'true', PATH: buildkite.path }, undefined, controller.signal);
    controller.abort();
    await rejection(pending, 'CANCELLED');
  });
});

describe('CircleCI: `circleci run oidc get`', () => {
  it('asks for the audience in the claims and the root issuer, as `id` does', async () => {
    const t = await token({ aud: 'my-client' });
    circleci.answer({ stdout: t });
    assert.equal(await getToken({ CIRCLECI: 'true', PATH: circleci.path }, 'my-client'), t);
    assert.deepEqual(circleci.lastArgs(), ['run', 'oidc', 'get', '--claims', '{"aud":"my-client"}', '--root-issuer']);
  });

  it('a failing tool: its last stderr line, naming CircleCI', async () => {
    circleci.answer({ stderr: 'Error: OIDC tokens are not available for this job\n', exit: 2 });
    const e = await rejection(getToken({ CIRCLECI: 'true', PATH: circleci.path }), 'IDENTITY_TOKEN_UNAVAILABLE');
    assert.equal(e.message, 'CircleCI: `circleci run oidc get` failed (exit code 2): Error: OIDC tokens are not available for this job');
    assert.deepEqual(e.data.sources, ['circleci']);
  });
});

describe('GitLab CI: `<AUDIENCE>_ID_TOKEN`', () => {
  it('the variable named after the audience, as `id` names it', () => {
    assert.equal(tokenVariable('sigstore'), 'SIGSTORE_ID_TOKEN');
    assert.equal(tokenVariable('http://test.audience'), 'HTTP___TEST_AUDIENCE_ID_TOKEN');
    assert.equal(tokenVariable('1st'), '_ST_ID_TOKEN');
  });

  it('takes the variable; without it, says what to declare in the job', async () => {
    const t = await token();
    assert.equal(await getToken({ GITLAB_CI: 'true', SIGSTORE_ID_TOKEN: t }), t);
    const e = await rejection(getToken({ GITLAB_CI: 'true' }), 'IDENTITY_TOKEN_UNAVAILABLE');
    assert.equal(e.message, "GitLab CI: SIGSTORE_ID_TOKEN is not set: declare it in the job's `id_tokens:` with `aud: sigstore`");
    assert.deepEqual(e.data.sources, ['gitlab']);
  });

  it('a malformed token in the variable: named by the variable, not quoted', async () => {
    const bad = 'eyJhbGciOiJFUzI1NiJ9.not-json-at-all.c2ln';
    const e = await rejection(getToken({ GITLAB_CI: 'true', SIGSTORE_ID_TOKEN: bad }), 'IDENTITY_TOKEN_INVALID');
    assert.match(e.message, /^The identity token from SIGSTORE_ID_TOKEN is not a well-formed JWT/);
    assertNoSecrets(e, [bad]);
  });
});

describe('Google Cloud: the metadata server', () => {
  it('asks the identity endpoint for audience sigstore, format full, with Metadata-Flavor: Google', async () => {
    const t = await token({ iss: 'https://accounts.google.com', email: 'signer@proj.iam.gserviceaccount.com', email_verified: true });
    metadata.answer({ token: t });
    metadata.requests.length = 0;
    assert.equal(await getToken({ GCE_METADATA_HOST: metadata.host }), t);
    assert.deepEqual(metadata.requests, [
      { path: '/computeMetadata/v1/instance/service-accounts/default/identity', audience: 'sigstore', format: 'full', flavor: 'Google' },
    ]);
  });

  it('an error status, no token, or no server: one line naming Google Cloud', async () => {
    metadata.answer({ status: 404, body: 'Not Found\n' });
    const e404 = await rejection(getToken({ GCE_METADATA_HOST: metadata.host }), 'IDENTITY_TOKEN_UNAVAILABLE');
    assert.equal(e404.message, "Google Cloud: the metadata server's identity endpoint answered HTTP 404: Not Found");
    assert.deepEqual(e404.data.sources, ['google-cloud']);

    metadata.answer({ token: 'not a token' });
    assert.match((await rejection(getToken({ GCE_METADATA_HOST: metadata.host }), 'IDENTITY_TOKEN_UNAVAILABLE')).message, /answered with no identity token/);

    const closed = await startMetadataServer();
    await closed.stop();
    const unreachable = await rejection(getToken({ GCE_METADATA_HOST: closed.host }), 'IDENTITY_TOKEN_UNAVAILABLE');
    assert.equal(unreachable.message, `Google Cloud: the metadata server at ${closed.host} cannot be reached (ECONNREFUSED)`);

    for (const bad of ['http://127.0.0.1:80', '127.0.0.1/x', 'a b']) {
      const e = await rejection(getToken({ GCE_METADATA_HOST: bad }), 'IDENTITY_TOKEN_UNAVAILABLE');
      assert.equal(e.message, `Google Cloud: GCE_METADATA_HOST must be a host or host:port, not '${bad}'`);
    }
  });

  it('detected by the DMI product name, as `id` detects it', () => {
    const file = path.join(tempDir(), 'product_name');
    for (const [name, onGcp] of [
      ['Google Compute Engine\n', true],
      ['Google\n', true],
      ['Standard PC (Q35 + ICH9, 2009)\n', false],
    ] as const) {
      fs.writeFileSync(file, name);
      assert.equal(onGoogleCloud({}, file), onGcp, name);
    }
    assert.equal(onGoogleCloud({}, path.join(tempDir(), 'missing')), false);
    assert.equal(onGoogleCloud({ GCE_METADATA_HOST: '127.0.0.1:1' }, path.join(tempDir(), 'missing')), true);
  });

  it('impersonation (GOOGLE_SERVICE_ACCOUNT_NAME) is refused, never signed as the machine instead', async () => {
    metadata.requests.length = 0;
    const e = await rejection(
      getToken({ GOOGLE_SERVICE_ACCOUNT_NAME: 'other@proj.iam.gserviceaccount.com', GCE_METADATA_HOST: metadata.host }),
      'IDENTITY_TOKEN_UNAVAILABLE',
    );
    assert.match(e.message, /^Google Cloud: signing as another service account \(GOOGLE_SERVICE_ACCOUNT_NAME\) is not supported/);
    assert.deepEqual(metadata.requests, []);
  });
});

describe('which environment decides', () => {
  it("`id`'s order: GitHub Actions, Google Cloud, Buildkite, GitLab CI, CircleCI; the first seen decides, even when it fails", async () => {
    const gcp = await token({ sub: 'gcp' });
    metadata.answer({ token: gcp });
    buildkite.answer({ stdout: await token({ sub: 'buildkite' }) });
    const both = `${buildkite.dir}${path.delimiter}${circleci.path}`;
    assert.equal(await getToken({ GCE_METADATA_HOST: metadata.host, BUILDKITE: 'true', CIRCLECI: 'true', PATH: both }), gcp);
    assert.equal(buildkite.lastArgs(), undefined);

    circleci.answer({ stdout: await token({ sub: 'circleci' }) });
    const e = await rejection(getToken({ BUILDKITE: 'true', CIRCLECI: 'true', PATH: circleci.path }), 'IDENTITY_TOKEN_UNAVAILABLE');
    assert.deepEqual(e.data.sources, ['buildkite']);
    assert.equal(circleci.lastArgs(), undefined);

    const gh = await rejection(getToken({ GITHUB_ACTIONS: 'true', BUILDKITE: 'true', PATH: buildkite.path }), 'IDENTITY_TOKEN_UNAVAILABLE');
    assert.match(gh.message, /^GitHub Actions: the job has no identity token to give: add `permissions: id-token: write`/);
  });

  it('SIGSTORE_ID_TOKEN, set by the job itself, comes right after the GitHub Actions endpoint, in any environment', async () => {
    const t = await token({ sub: 'from-variable' });
    buildkite.answer({ stdout: await token({ sub: 'buildkite' }) });
    assert.equal(await getToken({ GITHUB_ACTIONS: 'true', SIGSTORE_ID_TOKEN: t }), t);
    assert.equal(await getToken({ SIGSTORE_ID_TOKEN: t, BUILDKITE: 'true', PATH: buildkite.path, GCE_METADATA_HOST: metadata.host }), t);
    assert.equal(buildkite.lastArgs(), undefined);
  });

  it('detect(): any environment seen, so a CI job is not sent to a browser login', () => {
    const env = (vars: NodeJS.ProcessEnv) => AmbientCredentialProvider.detect(ambientEnv(vars));
    assert.equal(env({}), false);
    for (const seen of [{ GITHUB_ACTIONS: 'true' }, { BUILDKITE: 'true' }, { GITLAB_CI: 'true' }, { CIRCLECI: 'true' }, { GCE_METADATA_HOST: 'h' }]) {
      assert.equal(env(seen), true, JSON.stringify(seen));
    }
    assert.equal(AmbientCredentialProvider.detect(ambientEnv({ MY_CLIENT_ID_TOKEN: 'x' }), 'my-client'), true);
  });
});
