import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignerInfo, evaluatePolicy, parsePolicy, pinChoices, pinIdentity, readBundle, readPolicyFile } from '../../src/core';
import { readCertificateClaims } from '../../src/core/sigstore/fulcioClaims';
import { verifyJson } from '../helpers/cliJson';
import { runCli, sampleModel, tempDir } from '../helpers/fixtures';
import { DEFAULT_RUN, GH_ISSUER, SimulatedRun, githubClaims, githubEnv } from '../helpers/githubRun';
import { LocalSigstore, startLocalSigstoreWithTrustFile } from '../helpers/localSigstore';

// Trusting a workflow, not one release: models signed by the local Fulcio with GitHub Actions claims
// (its certificates carry them in 1.3.6.1.4.1.57264.1.9–.20), verified through the real CLI.

let sigstore: LocalSigstore;
let trust: string;
const tufEnv = { MODEL_SIGNING_TUF_CACHE: '', MODEL_SIGNING_TUF_MIRROR: 'http://127.0.0.1:9' };
const cli = (args: string[]) => runCli(args, { env: tufEnv });

before(async () => {
  tufEnv.MODEL_SIGNING_TUF_CACHE = tempDir('ms-tuf-');
  ({ sigstore, trustConfigPath: trust } = await startLocalSigstoreWithTrustFile());
});
after(() => sigstore.stop());

/** A model signed in a simulated Actions run: `run` as in githubRun.ts, `claims` overriding the token's. */
async function signedInRun(run: Partial<SimulatedRun> = {}, claims: Record<string, string> = {}) {
  const model = sampleModel();
  const sig = path.join(tempDir(), 'model.sig');
  const token = await sigstore.mintToken({ ...githubClaims({ ...DEFAULT_RUN, ...run }), ...claims });
  const r = await cli(['sign', 'sigstore', model, '--signature', sig, '--trust-config', trust, '--identity-token', token]);
  assert.equal(r.code, 0, r.stderr);
  return { model, sig };
}

const verify = (s: { model: string; sig: string }, flags: string[]) =>
  cli(['verify', 'sigstore', s.model, '--signature', s.sig, '--trust-config', trust, '--identity-provider', GH_ISSUER, ...flags]);

/** "Anything acme/models' training workflow released from a v* tag, on GitHub's runners, for a push". */
const RELEASES = [
  '--repository',
  'acme/models',
  '--signer-workflow',
  'acme/models/.github/workflows/train.yml',
  '--source-ref',
  'refs/tags/v*',
  '--trigger',
  'push',
  '--runner-environment',
  'github-hosted',
];

describe('verify sigstore: a signer described by its certificate claims', () => {
  it('reads the claims from the certificate Fulcio issued', async () => {
    const { sig } = await signedInRun();
    const bundle = await readBundle(sig);
    const { claims, conflicts } = readCertificateClaims(Buffer.from(bundle.verificationMaterial.certificate!.rawBytes, 'base64'));
    assert.deepEqual(conflicts, []);
    assert.equal(claims.sourceRepositoryUri, 'https://github.com/acme/models');
    assert.equal(claims.sourceRepositoryIdentifier, '123456');
    assert.equal(claims.sourceRepositoryOwnerUri, 'https://github.com/acme');
    assert.equal(claims.buildSignerUri, 'https://github.com/acme/models/.github/workflows/train.yml@refs/tags/v1.2.0');
    assert.equal(claims.sourceRepositoryRef, 'refs/tags/v1.2.0');
    assert.equal(claims.buildTrigger, 'push');
    assert.equal(claims.runnerEnvironment, 'github-hosted');
  });

  it('a release by the same workflow at another tag passes, and --json lists every claim checked', async () => {
    const later = await signedInRun({ ref: 'refs/tags/v1.4.0' });
    const r = await verify(later, [...RELEASES, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = verifyJson(r.stdout);
    assert.equal(json.verified, true);
    assert.deepEqual(
      json.signerChecks?.map((c) => [c.field, c.certificate, c.expected, c.actual, c.ok]),
      [
        ['issuer', 'OIDC Issuer', GH_ISSUER, GH_ISSUER, true],
        ['repository', 'Source Repository URI', 'https://github.com/acme/models', 'https://github.com/acme/models', true],
        [
          'signerWorkflow',
          'Build Signer URI',
          'https://github.com/acme/models/.github/workflows/train.yml',
          'https://github.com/acme/models/.github/workflows/train.yml@refs/tags/v1.4.0',
          true,
        ],
        ['sourceRef', 'Source Repository Ref', 'refs/tags/v*', 'refs/tags/v1.4.0', true],
        ['trigger', 'Build Trigger', 'push', 'push', true],
        ['runnerEnvironment', 'Runner Environment', 'github-hosted', 'github-hosted', true],
      ],
    );
    // The exact identity of that release is still what --identity means.
    const exact = await verify(later, ['--identity', 'https://github.com/acme/models/.github/workflows/train.yml@refs/tags/v1.4.0']);
    assert.equal(exact.code, 0, exact.stderr);
  });

  const refused: Array<[string, Partial<SimulatedRun>, Record<string, string>, RegExp]> = [
    [
      'the same workflow in a fork',
      { repository: 'mallory/models' },
      {},
      /Source Repository URI is https:\/\/github\.com\/mallory\/models, not https:\/\/github\.com\/acme\/models/,
    ],
    [
      'another workflow of the same repository',
      { workflowPath: '.github/workflows/experiment.yml' },
      {},
      /Build Signer URI is https:\/\/github\.com\/acme\/models\/\.github\/workflows\/experiment\.yml@refs\/tags\/v1\.2\.0, not/,
    ],
    ['a pull_request trigger where push was required', {}, { event_name: 'pull_request' }, /Build Trigger is pull_request, not push/],
    [
      'a self-hosted runner where github-hosted was required',
      {},
      { runner_environment: 'self-hosted' },
      /Runner Environment is self-hosted, not github-hosted/,
    ],
    ['a branch where a v* tag was required', { ref: 'refs/heads/main' }, {}, /Source Repository Ref is refs\/heads\/main, not refs\/tags\/v\*/],
  ];
  for (const [what, run, claims, why] of refused) {
    it(`refuses ${what}`, async () => {
      const r = await verify(await signedInRun(run, claims), RELEASES);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /^Verification failed with error: The signature was made by https:\/\/github\.com\/.* which .* does not accept: /);
      assert.match(r.stderr, why);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    });
  }

  it('--repository-owner and --repository-id: the owner and the immutable id, not the name', async () => {
    const s = await signedInRun();
    assert.equal((await verify(s, ['--repository-owner', 'ACME'])).code, 0, 'owner names are compared without case, as GitHub does');
    assert.equal((await verify(s, ['--repository-owner', 'https://github.com/acme', '--repository-id', '123456'])).code, 0);
    // The repository deleted and its name taken again: same name, another id.
    const r = await verify(s, ['--repository', 'acme/models', '--repository-id', '999']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Source Repository Identifier is 123456, not 999/);
    const other = await verify(s, ['--repository-owner', 'acme-evil']);
    assert.equal(other.code, 1);
  });

  it('--identity-regex is anchored at both ends (unlike cosign), and the issuer is still exact', async () => {
    const s = await signedInRun({ ref: 'refs/tags/v2.0.0' });
    const pattern = 'https://github\\.com/acme/models/\\.github/workflows/train\\.yml@refs/tags/v.*';
    assert.equal((await verify(s, ['--identity-regex', pattern])).code, 0);
    // Unanchored, `acme/models` would match `https://github.com/acme/models...`: anchored it does not.
    const partial = await verify(s, ['--identity-regex', 'acme/models']);
    assert.equal(partial.code, 1);
    assert.match(partial.stderr, /SAN https:\/\/github\.com\/acme\/models\/.* does not match acme\/models/);
    const issuer = await cli([
      'verify',
      'sigstore',
      s.model,
      '--signature',
      s.sig,
      '--trust-config',
      trust,
      '--identity-provider',
      `${GH_ISSUER}/`,
      '--identity-regex',
      pattern,
    ]);
    assert.equal(issuer.code, 1);
    assert.match(issuer.stderr, /OIDC Issuer is https:\/\/token\.actions\.githubusercontent\.com, not https:\/\/token\.actions\.githubusercontent\.com\//);
  });

  it('bad flags are usage errors naming the flag; a signer must be named by more than its issuer', async () => {
    const s = await signedInRun();
    const cases: Array<[string[], RegExp]> = [
      [['--trigger', 'push'], /Missing option '--identity' \(or describe the signer with --identity-regex/],
      [['--identity-regex', 'a\\1'], /Invalid value for '--identity-regex': backreferences are not supported/],
      [['--identity-regex', '(?=x)y'], /lookaround is not supported/],
      [
        ['--signer-workflow', 'acme/models/.github/workflows/train.yml@refs/tags/v1'],
        /Invalid value for '--signer-workflow': names the workflow without its @ref/,
      ],
      [['--repository', 'acme'], /Invalid value for '--repository': must be a repository/],
      [['--repository', 'acme/models', '--repository-id', 'abc'], /Invalid value for '--repository-id': must be the numeric id/],
      [['--repository', ' '], /Invalid value for '--repository': it is empty/],
    ];
    for (const [flags, message] of cases) {
      const r = await verify(s, flags);
      assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });
});

/** The signer `verify --json` reports for a model signed in a simulated run (any identity accepted). */
async function signerOf(run: Partial<SimulatedRun>, claims: Record<string, string> = {}): Promise<SignerInfo> {
  const s = await signedInRun(run, claims);
  const r = await verify(s, ['--identity-regex', '.*', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return verifyJson(r.stdout).signer;
}

describe('Pin Signer for a model a workflow signed', () => {
  it('offers the workflow at any ref first, then exactly this ref, each saying what it accepts', async () => {
    const signer = await signerOf({});
    assert.deepEqual(pinChoices(signer), [
      {
        scope: 'workflow',
        label: 'The workflow acme/models/.github/workflows/train.yml (any ref)',
        accepts:
          `Signatures by https://github.com/acme/models/.github/workflows/train.yml at any ref, run in https://github.com/acme/models (repository id 123456), from ${GH_ISSUER}: ` +
          'a later release passes; another workflow, a fork or another repository does not.',
      },
      {
        scope: 'signer',
        label: 'Exactly this ref: https://github.com/acme/models/.github/workflows/train.yml@refs/tags/v1.2.0',
        accepts: `Only signatures by https://github.com/acme/models/.github/workflows/train.yml@refs/tags/v1.2.0 (${GH_ISSUER}): a release from another ref than refs/tags/v1.2.0 does not pass.`,
      },
    ]);
    // A person's email has one way to be pinned.
    assert.deepEqual(
      pinChoices({ method: 'sigstore', identity: 'alice@example.com', issuer: 'https://github.com/login/oauth' }).map((c) => c.scope),
      ['signer'],
    );
  });

  it('pins the workflow: a later release verifies under the policy, a fork and another workflow do not', async () => {
    const root = tempDir();
    const file = path.join(root, '.vscode', 'model-signing.json');
    const first = await pinIdentity(file, 'model', await signerOf({}), root, {}, 'workflow');
    assert.equal(first.created, true);
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), {
      models: [
        {
          path: 'model',
          sigstore: [
            {
              issuer: GH_ISSUER,
              repository: 'https://github.com/acme/models',
              repositoryId: '123456',
              signerWorkflow: 'https://github.com/acme/models/.github/workflows/train.yml',
            },
          ],
        },
      ],
    });
    // The same workflow again, at another ref: already pinned, nothing written.
    assert.equal((await pinIdentity(file, 'model', await signerOf({ ref: 'refs/tags/v9.0.0' }), root, {}, 'workflow')).changed, false);
    const entry = (await readPolicyFile(file, root))!.models[0]!;
    assert.equal(evaluatePolicy(entry, await signerOf({ ref: 'refs/tags/v1.4.0' })).ok, true);
    assert.equal(evaluatePolicy(entry, await signerOf({ repository: 'mallory/models' })).ok, false);
    assert.equal(evaluatePolicy(entry, await signerOf({ workflowPath: '.github/workflows/experiment.yml' })).ok, false);
    // A person cannot be pinned as a workflow.
    await assert.rejects(
      pinIdentity(file, 'other', { method: 'sigstore', identity: 'alice@example.com', issuer: GH_ISSUER }, root, {}, 'workflow'),
      /not a GitHub Actions workflow/,
    );
  });
});

describe('a policy entry that names a workflow, not one release', () => {
  it('accepts a later release of that workflow, and refuses a fork, another workflow, a pull_request and a self-hosted runner', async () => {
    const root = tempDir();
    const policy = parsePolicy(
      {
        models: [
          {
            path: 'model',
            sigstore: [
              {
                issuer: GH_ISSUER,
                repository: 'github.com/acme/models',
                repositoryId: '123456',
                signerWorkflow: 'acme/models/.github/workflows/train.yml',
                trigger: 'push',
                runnerEnvironment: 'github-hosted',
              },
            ],
          },
        ],
      },
      { workspaceRoot: root },
    );
    const entry = policy.models[0]!;
    const later = evaluatePolicy(entry, await signerOf({ ref: 'refs/tags/v1.4.0' }));
    assert.equal(later.ok, true, later.reason);
    for (const [run, claims] of [
      [{ repository: 'mallory/models' }, {}],
      [{ workflowPath: '.github/workflows/experiment.yml' }, {}],
      [{}, { event_name: 'pull_request' }],
      [{}, { runner_environment: 'self-hosted' }],
    ] as const) {
      const verdict = evaluatePolicy(entry, await signerOf(run, claims));
      assert.equal(verdict.ok, false, JSON.stringify([run, claims]));
      assert.match(
        verdict.reason,
        /accepts only repository https:\/\/github\.com\/acme\/models, repository id 123456, workflow https:\/\/github\.com\/acme\/models\/\.github\/workflows\/train\.yml, trigger push, runner github-hosted \(issuer https:\/\/token\.actions\.githubusercontent\.com\)/,
      );
    }
  });

  it('checks each claim field strictly, with its JSON path', () => {
    const root = tempDir();
    const bad = (item: Record<string, unknown>) => {
      try {
        parsePolicy({ models: [{ path: 'm', sigstore: [item] }] }, { workspaceRoot: root });
      } catch (e) {
        return (e as { data: { jsonPath: string; why: string } }).data;
      }
      assert.fail(`accepted ${JSON.stringify(item)}`);
    };
    assert.deepEqual(bad({ issuer: GH_ISSUER, trigger: 'push' }).jsonPath, '$.models[0].sigstore[0].identity');
    assert.deepEqual(bad({ issuer: GH_ISSUER, repository: 'acme/models', sourceRef: 'refs\\tags' }).jsonPath, '$.models[0].sigstore[0].sourceRef');
    assert.deepEqual(bad({ issuer: GH_ISSUER, identityRegex: '(a)\\1' }).jsonPath, '$.models[0].sigstore[0].identityRegex');
    assert.deepEqual(bad({ issuer: GH_ISSUER, repository: 'acme/models', repositry: 'x' }).jsonPath, '$.models[0].sigstore[0].repositry');
    assert.deepEqual(bad({ issuer: GH_ISSUER, repository: 7 }).why, 'must be a string, got number 7');
    assert.deepEqual(bad({ repository: 'acme/models' }).jsonPath, '$.models[0].sigstore[0].issuer');
    assert.ok(fs.existsSync(root));
  });
});

describe('provenance verify: the same claim flags', () => {
  /** A model attested in a simulated Actions run of `run`, keyless with that run's token. */
  async function attestedInRun(run: Partial<SimulatedRun> = {}, claims: Record<string, string> = {}) {
    const full = { ...DEFAULT_RUN, ...run };
    const model = sampleModel();
    const provenance = path.join(tempDir(), 'model.provenance.sigstore.json');
    const token = await sigstore.mintToken({ ...githubClaims(full), ...claims });
    const r = await runCli(['attest', model, '--output', provenance, '--trust-config', trust], {
      env: { ...tufEnv, ...githubEnv(full), ...(claims.event_name ? { GITHUB_EVENT_NAME: claims.event_name } : {}), SIGSTORE_ID_TOKEN: token },
    });
    assert.equal(r.code, 0, r.stderr);
    return { model, provenance };
  }
  const verifyProvenance = (a: { model: string; provenance: string }, flags: string[]) =>
    cli(['provenance', 'verify', '--provenance', a.provenance, '--model-path', a.model, '--trust-config', trust, '--identity-provider', GH_ISSUER, ...flags]);

  it('accepts a later release of the workflow, and refuses a fork or a pull_request, naming the claim', async () => {
    const later = await verifyProvenance(await attestedInRun({ ref: 'refs/tags/v1.4.0' }), [...RELEASES, '--json']);
    assert.equal(later.code, 0, later.stderr);
    const checks = (JSON.parse(later.stdout) as { reports: Array<{ checks: Array<{ name: string; status: string; message: string }> }> }).reports[0]!.checks;
    assert.deepEqual(
      checks.filter((c) => c.name === 'signer-claim').map((c) => [c.status, c.message]),
      [
        ['pass', "the certificate's Source Repository URI is https://github.com/acme/models"],
        ['pass', "the certificate's Build Signer URI is https://github.com/acme/models/.github/workflows/train.yml@refs/tags/v1.4.0"],
        ['pass', "the certificate's Source Repository Ref is refs/tags/v1.4.0"],
        ['pass', "the certificate's Build Trigger is push"],
        ['pass', "the certificate's Runner Environment is github-hosted"],
      ],
    );
    const fork = await verifyProvenance(await attestedInRun({ repository: 'mallory/models' }), RELEASES);
    assert.equal(fork.code, 1);
    assert.match(
      fork.stderr,
      /Provenance verification failed: .*Source Repository URI is https:\/\/github\.com\/mallory\/models, not https:\/\/github\.com\/acme\/models/,
    );
    const pr = await verifyProvenance(await attestedInRun({}, { event_name: 'pull_request' }), RELEASES);
    assert.equal(pr.code, 1);
    assert.match(pr.stderr, /Build Trigger is pull_request, not push/);
  });

  it('claim flags need the issuer and a signer', async () => {
    const a = await attestedInRun();
    const noIssuer = await cli(['provenance', 'verify', '--provenance', a.provenance, '--trust-config', trust, '--repository', 'acme/models']);
    assert.equal(noIssuer.code, 2);
    assert.match(noIssuer.stderr, /Missing option '--identity-provider'/);
    const noSigner = await verifyProvenance(a, ['--trigger', 'push']);
    assert.equal(noSigner.code, 2);
    assert.match(noSigner.stderr, /Name the signer with --identity-regex, --repository, --repository-owner or --signer-workflow/);
  });
});
