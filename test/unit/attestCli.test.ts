import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SigstoreVerifier, loadTrustConfig } from '../../src/core';
import { CLI, CliResult, ProvenanceStatement, makeKeyPair, readJson, readProvenanceStatement, runCli, sampleModel, tempDir } from '../helpers/fixtures';
import { DEFAULT_RUN, GH_ISSUER, githubClaims, githubEnv } from '../helpers/githubRun';
import { DEFAULT_ISSUER, LocalSigstore, startLocalSigstoreWithTrustFile } from '../helpers/localSigstore';

// `model-signing attest` as a user runs it: real arguments (the CLI's main, in process), a
// simulated GitHub Actions environment passed as real environment variables,
// keyless signing against the local Sigstore, key signing with a fresh key.

let sigstore: LocalSigstore;
let trust: string;
const key = makeKeyPair('P-256');

before(async () => {
  ({ sigstore, trustConfigPath: trust } = await startLocalSigstoreWithTrustFile());
});
after(() => sigstore.stop());

/** The CLI without any GitHub Actions variable of the machine running the tests. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const clean = Object.fromEntries(
    Object.keys(process.env)
      .filter((k) => /^(GITHUB_|RUNNER_|ACTIONS_)|^SIGSTORE_ID_TOKEN$/.test(k))
      .map((k) => [k, undefined]),
  );
  return runCli(args, { env: { ...clean, MODEL_SIGNING_TUF_MIRROR: 'http://127.0.0.1:9', ...env } });
}

function oneLineError(r: CliResult, pattern: RegExp, what: string): void {
  assert.equal(r.code, 1, `${what}: ${r.stderr}`);
  assert.equal(r.stdout, '', what);
  assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: ${r.stderr}`);
  assert.match(r.stderr, /^Attestation failed with error: /, what);
  assert.match(r.stderr, pattern, what);
}

describe('model-signing attest', () => {
  it('signs with a key in a simulated Actions job: the predicate comes from the environment; --json prints the statement', async () => {
    const model = sampleModel();
    const out = path.join(tempDir(), 'model.intoto.sigstore');
    const r = await cli(['attest', model, '--output', out, '--method', 'key', '--private-key', key.privateKey, '--per-file', '--json'], githubEnv());
    assert.equal(r.code, 0, r.stderr);
    const printed = JSON.parse(r.stdout) as { output: string; origin: string; statement: ProvenanceStatement };
    assert.equal(printed.output, out);
    assert.equal(printed.origin, 'github-actions');
    assert.deepEqual(printed.statement, readProvenanceStatement(out));
    const p = printed.statement.predicate;
    assert.equal(p.buildDefinition.buildType, 'https://actions.github.io/buildtypes/workflow/v1');
    assert.deepEqual(p.buildDefinition.resolvedDependencies, [
      { uri: `git+https://github.com/${DEFAULT_RUN.repository}@${DEFAULT_RUN.ref}`, digest: { gitCommit: DEFAULT_RUN.sha } },
    ]);
    assert.equal(printed.statement.subject.length, 11);
    // The key bundle names its key by hint, as `sign key` does, and verifies with `verify key`'s key loader.
    assert.ok(readJson(out).verificationMaterial.publicKey?.hint);
    const digest = await cli(['digest', model]);
    assert.equal(`sha256:${printed.statement.subject[0]!.digest.sha256}\n`, digest.stdout);
  });

  it('flags describe the build outside Actions; the summary line names the file and the root digest', async () => {
    const model = sampleModel('my-model');
    const out = path.join(tempDir(), 'p.json');
    const r = await cli([
      'attest',
      model,
      '--output',
      out,
      '--method=key',
      '--private_key',
      key.privateKey,
      '--source-uri',
      'github.com/acme/models',
      '--source-ref',
      'refs/heads/main',
      '--source-commit',
      'a'.repeat(40),
      '--builder-id',
      'https://ci.example.com/builder',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const digest = await cli(['digest', model]);
    assert.equal(r.stdout, `Provenance written to ${out}: 1 subject, model my-model ${digest.stdout}`);
    const st = readProvenanceStatement(out);
    assert.equal(st.predicate.buildDefinition.buildType, 'https://github.com/model-signing/model-signing-vscode/buildtypes/local/v1');
    assert.deepEqual(st.predicate.buildDefinition.resolvedDependencies, [
      { uri: 'git+https://github.com/acme/models@refs/heads/main', digest: { gitCommit: 'a'.repeat(40) } },
    ]);
    assert.deepEqual(st.predicate.runDetails.builder, { id: 'https://ci.example.com/builder' });
  });

  it("in Actions, keyless with the job's token is the default: no method or token flag needed", async () => {
    const claims = githubClaims();
    const token = await sigstore.mintToken(claims);
    const model = sampleModel();
    const out = path.join(tempDir(), 'p.sigstore.json');
    const r = await cli(['attest', model, '--output', out, '--trust-config', trust], { ...githubEnv(), SIGSTORE_ID_TOKEN: token });
    assert.equal(r.code, 0, r.stderr);
    const bundle = readJson(out);
    assert.ok(!fs.readFileSync(out, 'utf8').includes(token), 'the token is in the bundle');
    assert.equal(bundle.verificationMaterial.tlogEntries?.length, 1);
    const verified = await new SigstoreVerifier({ trustConfig: loadTrustConfig(trust), identity: claims.sub!, issuer: GH_ISSUER }).verify(bundle);
    // The certificate's workflow claims come with the signer (signerClaims.test.ts matches them).
    assert.deepEqual(verified.signer, {
      method: 'sigstore',
      identity: claims.sub,
      issuer: GH_ISSUER,
      claims: (verified.signer as { claims?: unknown }).claims,
    });
    assert.equal((verified.signer as { claims?: Record<string, string> }).claims?.sourceRepositoryUri, 'https://github.com/acme/models');
    assert.deepEqual(JSON.parse(verified.payload.toString('utf8')), readProvenanceStatement(out));
    // Another identity is refused: the check above is a real one.
    await assert.rejects(
      new SigstoreVerifier({
        trustConfig: loadTrustConfig(trust),
        identity: 'https://github.com/acme/other/.github/workflows/x.yml@refs/heads/main',
        issuer: GH_ISSUER,
      }).verify(bundle),
    );
  });

  it('keyless elsewhere with --identity-token, as `sign` takes it', async () => {
    const token = await sigstore.mintToken({ email: 'alice@example.com' });
    const out = path.join(tempDir(), 'p.json');
    const r = await cli([
      'attest',
      sampleModel(),
      '--output',
      out,
      '--method',
      'sigstore',
      '--trust-config',
      trust,
      '--identity-token',
      token,
      '--source-uri',
      'github.com/acme/models',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const verified = await new SigstoreVerifier({ trustConfig: loadTrustConfig(trust), identity: 'alice@example.com', issuer: DEFAULT_ISSUER }).verify(
      readJson(out),
    );
    assert.equal(verified.signer.method, 'sigstore');
  });

  it('keeps the Sigstore stack out of the start path: --method key never loads dist/sigstore.js', async () => {
    const probe = path.join(tempDir(), 'probe.js');
    fs.writeFileSync(
      probe,
      `process.on('exit', () => { if (Object.keys(require.cache).some((k) => k.endsWith('${path.sep}sigstore.js'))) process.stderr.write('SIGSTORE-LOADED\\n'); });\n`,
    );
    const run = (args: string[], env: Record<string, string> = {}) =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['-r', probe, CLI, ...args], {
          env: { ...process.env, GITHUB_ACTIONS: '', ...env },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let err = '';
        child.stderr.on('data', (d) => (err += d));
        child.on('close', () => resolve(err));
      });
    const keyRun = await run(['attest', sampleModel(), '--output', path.join(tempDir(), 'p.json'), '--method', 'key', '--private-key', key.privateKey]);
    assert.doesNotMatch(keyRun, /SIGSTORE-LOADED/);
    const token = await sigstore.mintToken({ email: 'alice@example.com' });
    const keyless = await run(['attest', sampleModel(), '--output', path.join(tempDir(), 'p.json'), '--trust-config', trust, '--identity-token', token]);
    assert.match(keyless, /SIGSTORE-LOADED/);
  });
});

describe('model-signing attest: bad input', () => {
  it('a failure is one line on stderr and exit code 1, and writes nothing', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'p.json');
    const model = sampleModel();
    const keyArgs = ['--method', 'key', '--private-key', key.privateKey];
    const { GITHUB_SHA: _, ...noSha } = githubEnv();
    const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
      ['no such model', ['attest', path.join(dir, 'nope'), '--output', out, ...keyArgs], {}, /does not exist/],
      ['short commit', ['attest', model, '--output', out, ...keyArgs, '--source-uri', 'github.com/a/b', '--source-commit', 'abc'], {}, /not a git commit id/],
      ['branch name', ['attest', model, '--output', out, ...keyArgs, '--source-uri', 'github.com/a/b', '--source-ref', 'main'], {}, /not a full git ref/],
      ['bad source URI', ['attest', model, '--output', out, ...keyArgs, '--source-uri', 'a b'], {}, /not a repository URL/],
      ['incomplete Actions environment', ['attest', model, '--output', out, ...keyArgs], noSha, /GITHUB_SHA not set/],
      ['no id-token permission in Actions', ['attest', model, '--output', out, '--trust-config', trust], githubEnv(), /id-token: write/],
      [
        'unreadable key',
        ['attest', model, '--output', out, '--method', 'key', '--private-key', path.join(dir, 'nokey.pem')],
        {},
        /Cannot read the private key/,
      ],
      ['folder of the output missing', ['attest', model, '--output', path.join(dir, 'no/p.json'), ...keyArgs], {}, /Cannot write/],
    ];
    for (const [what, args, env, pattern] of cases) oneLineError(await cli(args, env), pattern, what);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('an existing output is kept unless --overwrite', async () => {
    const out = path.join(tempDir(), 'p.json');
    fs.writeFileSync(out, 'old');
    const args = ['attest', sampleModel(), '--output', out, '--method', 'key', '--private-key', key.privateKey];
    oneLineError(await cli(args), /already exists; pass --overwrite to replace it/, 'existing output');
    assert.equal(fs.readFileSync(out, 'utf8'), 'old');
    const r = await cli([...args, '--overwrite']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readJson(out).dsseEnvelope.payloadType, 'application/vnd.in-toto+json');
  });

  it('usage mistakes exit 2', async () => {
    const model = sampleModel();
    const cases: Array<[string[], RegExp]> = [
      [['attest', model], /Missing option '--output'/],
      [['attest', '--output', 'x.json'], /Missing argument 'MODEL_PATH'/],
      [['attest', model, '--output', 'x.json', '--method', 'pgp'], /Invalid value for '--method'/],
      [['attest', model, '--output', 'x.json', '--private-key', key.privateKey], /No such option: --private-key/],
      [['attest', model, model, '--output', 'x.json'], /unexpected extra argument/],
    ];
    for (const [args, pattern] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, pattern, args.join(' '));
    }
    const help = await cli(['attest', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--per-file/);
    assert.match((await cli(['--help'])).stdout, /attest +Write signed SLSA provenance/);
  });
});
