import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Bundle, KeySigner, ModelSigningError, Signer } from '../../src/core';
import { attestModel } from '../../src/core/provenance/attesting/attest';
import { GITHUB_WORKFLOW_BUILD_TYPE, LOCAL_BUILDER_ID, LOCAL_BUILD_TYPE, SlsaProvenanceV1 } from '../../src/core/provenance/attesting/attestStatement';
import { makeModel, pool, runCli, sampleModel, tempDir } from '../helpers/fixtures';
import { DEFAULT_RUN, githubEnv } from '../helpers/githubRun';

// attestModel on real files with a real P-256 key: the statement's shape in a
// simulated GitHub Actions run and from flags, its subjects against digests
// computed here independently, the DSSE signature, and how the file is written.

const hashPool = pool();
const key = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer: Signer = new KeySigner(key.privateKey);

function predicateOf(statement: { predicate: unknown }): SlsaProvenanceV1 {
  return statement.predicate as SlsaProvenanceV1;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ModelSigningError, `not a ModelSigningError: ${String(e)}`);
    return e.code;
  }
  assert.fail('no error');
}

/** Every regular file under root, as model-relative POSIX path → sha256 hex, computed here without the core. */
function fileDigests(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(root, p).split(path.sep).join('/'), crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex'));
    }
  };
  walk(root);
  return out;
}

/** DSSE v1 PAE, written out here from the spec rather than taken from the core. */
function paeOf(type: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload]);
}

describe('attest: the statement', () => {
  it('in GitHub Actions, the predicate is the one actions/attest-build-provenance writes, plus the build times', async () => {
    const model = sampleModel();
    const before = Date.now();
    const { statement, origin } = await attestModel(model, { signer, pool: hashPool, environment: githubEnv() });
    const after = Date.now();
    assert.equal(origin, 'github-actions');
    assert.equal(statement._type, 'https://in-toto.io/Statement/v1');
    assert.equal(statement.predicateType, 'https://slsa.dev/provenance/v1');
    const { startedOn, finishedOn, ...metadata } = predicateOf(statement).runDetails.metadata;
    const repo = `https://github.com/${DEFAULT_RUN.repository}`;
    assert.deepEqual(predicateOf(statement), {
      buildDefinition: {
        buildType: 'https://actions.github.io/buildtypes/workflow/v1',
        externalParameters: { workflow: { ref: DEFAULT_RUN.ref, repository: repo, path: DEFAULT_RUN.workflowPath } },
        internalParameters: { github: { event_name: 'push', repository_id: '123456', repository_owner_id: '654321', runner_environment: 'github-hosted' } },
        resolvedDependencies: [{ uri: `git+${repo}@${DEFAULT_RUN.ref}`, digest: { gitCommit: DEFAULT_RUN.sha } }],
      },
      runDetails: {
        builder: { id: `${repo}/${DEFAULT_RUN.workflowPath}@${DEFAULT_RUN.ref}` },
        metadata: { invocationId: `${repo}/actions/runs/${DEFAULT_RUN.runId}/attempts/${DEFAULT_RUN.runAttempt}`, startedOn, finishedOn },
      },
    });
    assert.deepEqual(metadata, { invocationId: `${repo}/actions/runs/${DEFAULT_RUN.runId}/attempts/${DEFAULT_RUN.runAttempt}` });
    for (const t of [startedOn, finishedOn]) assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(before <= Date.parse(startedOn) && Date.parse(startedOn) <= Date.parse(finishedOn) && Date.parse(finishedOn) <= after);
  });

  it('a workflow ref whose tag holds an @ keeps it; a GitHub Enterprise server URL is used as given', async () => {
    const env = { ...githubEnv({ ...DEFAULT_RUN, ref: 'refs/tags/pkg@2.0.0' }), GITHUB_SERVER_URL: 'https://ghe.example.com/' };
    const { statement } = await attestModel(sampleModel(), { signer, pool: hashPool, environment: env });
    const p = predicateOf(statement);
    assert.deepEqual(p.buildDefinition.externalParameters, {
      workflow: { ref: 'refs/tags/pkg@2.0.0', repository: 'https://ghe.example.com/acme/models', path: DEFAULT_RUN.workflowPath },
    });
    assert.equal(p.buildDefinition.resolvedDependencies[0]!.uri, 'git+https://ghe.example.com/acme/models@refs/tags/pkg@2.0.0');
    assert.equal(p.runDetails.builder.id, `https://ghe.example.com/acme/models/${DEFAULT_RUN.workflowPath}@refs/tags/pkg@2.0.0`);
  });

  it('flags override the environment, field by field', async () => {
    const commit = 'ab'.repeat(20);
    const { statement } = await attestModel(sampleModel(), {
      signer,
      pool: hashPool,
      environment: githubEnv(),
      overrides: {
        sourceRef: 'refs/heads/release',
        sourceCommit: commit.toUpperCase(),
        builderId: 'https://example.com/builder@v1',
        buildType: 'https://example.com/type/v1',
      },
    });
    const p = predicateOf(statement);
    assert.equal(p.buildDefinition.buildType, 'https://example.com/type/v1');
    assert.equal(p.runDetails.builder.id, 'https://example.com/builder@v1');
    // The repository still comes from the run; the ref and commit from the flags.
    assert.deepEqual(p.buildDefinition.resolvedDependencies, [{ uri: 'git+https://github.com/acme/models@refs/heads/release', digest: { gitCommit: commit } }]);
    const { statement: s2 } = await attestModel(sampleModel(), {
      signer,
      pool: hashPool,
      environment: githubEnv(),
      overrides: { sourceUri: 'gitlab.com/acme/mirror' },
    });
    assert.deepEqual(predicateOf(s2).buildDefinition.resolvedDependencies, [
      { uri: `git+https://gitlab.com/acme/mirror@${DEFAULT_RUN.ref}`, digest: { gitCommit: DEFAULT_RUN.sha } },
    ]);
  });

  it('outside GitHub Actions, the build is described by the flags under the local build type', async () => {
    const commit = '0123456789abcdef0123456789abcdef01234567';
    const { statement, origin } = await attestModel(sampleModel(), {
      signer,
      pool: hashPool,
      environment: {},
      overrides: { sourceUri: 'github.com/acme/models', sourceRef: 'refs/heads/main', sourceCommit: commit },
    });
    assert.equal(origin, 'local');
    const p = predicateOf(statement);
    assert.equal(LOCAL_BUILD_TYPE, 'https://github.com/model-signing/model-signing-vscode/buildtypes/local/v1');
    assert.deepEqual(p.buildDefinition, {
      buildType: LOCAL_BUILD_TYPE,
      externalParameters: { source: { uri: 'https://github.com/acme/models', ref: 'refs/heads/main', commit } },
      resolvedDependencies: [{ uri: 'git+https://github.com/acme/models@refs/heads/main', digest: { gitCommit: commit } }],
    });
    assert.deepEqual(p.runDetails.builder, { id: LOCAL_BUILDER_ID });
    assert.deepEqual(Object.keys(p.runDetails.metadata), ['startedOn', 'finishedOn']);
    assert.notEqual(p.buildDefinition.buildType, GITHUB_WORKFLOW_BUILD_TYPE);
  });

  it('the GITHUB_* variables count only when GITHUB_ACTIONS=true; no flags: no source', async () => {
    const { GITHUB_ACTIONS: _, ...notActions } = githubEnv();
    const { statement, origin } = await attestModel(sampleModel(), { signer, pool: hashPool, environment: notActions });
    assert.equal(origin, 'local');
    assert.deepEqual(predicateOf(statement).buildDefinition, { buildType: LOCAL_BUILD_TYPE, externalParameters: {}, resolvedDependencies: [] });
  });

  it('an incomplete Actions environment or a bad flag fails before the model is read', async () => {
    const missing = sampleModel();
    fs.rmSync(missing, { recursive: true });
    const { GITHUB_SHA: _, ...noSha } = githubEnv();
    const cases: Array<[string, Parameters<typeof attestModel>[1]]> = [
      ['no GITHUB_SHA', { signer, pool: hashPool, environment: noSha }],
      ['malformed GITHUB_WORKFLOW_REF', { signer, pool: hashPool, environment: { ...githubEnv(), GITHUB_WORKFLOW_REF: 'other/repo/x.yml@main' } }],
      ['short commit', { signer, pool: hashPool, environment: {}, overrides: { sourceUri: 'github.com/a/b', sourceCommit: 'abc123' } }],
      ['branch name, not a ref', { signer, pool: hashPool, environment: {}, overrides: { sourceUri: 'github.com/a/b', sourceRef: 'main' } }],
      ['not a URL', { signer, pool: hashPool, environment: {}, overrides: { sourceUri: 'not a url' } }],
      ['a URL with a query', { signer, pool: hashPool, environment: {}, overrides: { sourceUri: 'https://github.com/a/b?x=1' } }],
      ['builder id without scheme', { signer, pool: hashPool, environment: {}, overrides: { builderId: 'my builder' } }],
      ['a ref without a repository', { signer, pool: hashPool, environment: {}, overrides: { sourceRef: 'refs/heads/main' } }],
    ];
    for (const [what, options] of cases) {
      // The model does not exist: INVALID_OPTION, not MODEL_NOT_FOUND, shows nothing was read.
      assert.equal(await codeOf(attestModel(missing, options)), 'INVALID_OPTION', what);
    }
    assert.equal(await codeOf(attestModel(missing, { signer, pool: hashPool, environment: {} })), 'MODEL_NOT_FOUND');
  });
});

describe('attest: the subjects', () => {
  it("the first subject is the model's root digest, exactly what `model-signing digest` prints", async () => {
    const model = makeModel(
      {
        'config.json': '{"a":1}',
        'weights/part-0.bin': crypto.randomBytes(70_000),
        'weights/part-1.bin': crypto.randomBytes(5),
        'ünï cödé.txt': 'x',
        empty: '',
      },
      'my-model',
    );
    const digest = await runCli(['digest', model]);
    assert.equal(digest.code, 0, digest.stderr);
    const { statement } = await attestModel(model, { signer, pool: hashPool, environment: {} });
    assert.equal(statement.subject.length, 1);
    assert.equal(statement.subject[0]!.name, 'my-model');
    assert.equal(`sha256:${statement.subject[0]!.digest.sha256}\n`, digest.stdout);
  });

  it('--per-file adds each file with its sha256 (checked against node:crypto), in canonical order', async () => {
    const model = makeModel({ 'b.bin': crypto.randomBytes(1000), 'a/z.bin': crypto.randomBytes(3), 'a/y/x.txt': 'deep', 'ü.txt': 'u', empty: '' });
    const { statement } = await attestModel(model, { signer, pool: hashPool, environment: {}, perFile: true });
    const expected = fileDigests(model);
    const files = statement.subject.slice(1);
    assert.equal(files.length, expected.size);
    for (const s of files) assert.deepEqual(s.digest, { sha256: expected.get(s.name) }, s.name);
    assert.deepEqual(
      files.map((s) => s.name),
      ['a/y/x.txt', 'a/z.bin', 'b.bin', 'empty', 'ü.txt'],
    );
  });

  it('a single-file model: the root digest (as digest prints it) and the file under its own name', async () => {
    const dir = makeModel({ 'model.safetensors': crypto.randomBytes(4096) });
    const file = path.join(dir, 'model.safetensors');
    const digest = await runCli(['digest', file]);
    const { statement } = await attestModel(file, { signer, pool: hashPool, environment: {}, perFile: true });
    assert.equal(`sha256:${statement.subject[0]!.digest.sha256}\n`, digest.stdout);
    assert.deepEqual(statement.subject[1], { name: 'model.safetensors', digest: { sha256: fileDigests(dir).get('model.safetensors') } });
    assert.equal(statement.subject[0]!.name, 'model.safetensors');
  });

  it('the output file, written inside the model, is left out of it, as are the git files', async () => {
    const model = sampleModel();
    fs.mkdirSync(path.join(model, '.git'));
    fs.writeFileSync(path.join(model, '.git/HEAD'), 'ref: refs/heads/main\n');
    const digest = await runCli(['digest', model]);
    const out = path.join(model, 'provenance.sigstore.json');
    const { statement } = await attestModel(model, { signer, pool: hashPool, environment: {}, perFile: true, output: out });
    assert.ok(fs.existsSync(out));
    assert.equal(`sha256:${statement.subject[0]!.digest.sha256}\n`, digest.stdout);
    const expected = fileDigests(model);
    expected.delete('provenance.sigstore.json');
    expected.delete('.git/HEAD');
    assert.deepEqual(new Set(statement.subject.slice(1).map((s) => s.name)), new Set(expected.keys()));
  });
});

describe('attest: the signed bundle', () => {
  it('is a DSSE envelope over the statement bytes, in-toto payload type, and the signature verifies with the public key', async () => {
    const out = path.join(tempDir(), 'model.provenance.json');
    const { statement, bundle, payload } = await attestModel(sampleModel(), { signer, pool: hashPool, environment: githubEnv(), output: out, perFile: true });
    const written = JSON.parse(fs.readFileSync(out, 'utf8')) as Bundle;
    assert.deepEqual(written, bundle);
    assert.equal(written.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    const env = written.dsseEnvelope;
    assert.equal(env.payloadType, 'application/vnd.in-toto+json');
    const bytes = Buffer.from(env.payload, 'base64');
    assert.deepEqual(bytes, payload);
    assert.deepEqual(JSON.parse(bytes.toString('utf8')), statement);
    assert.equal(env.signatures.length, 1);
    const sig = Buffer.from(env.signatures[0]!.sig, 'base64');
    assert.ok(crypto.verify('sha256', paeOf(env.payloadType, bytes), key.publicKey, sig), 'the signature does not verify');
    // The same signature over a changed statement does not.
    const forged = Buffer.from(bytes.toString('utf8').replace(DEFAULT_RUN.sha, 'f'.repeat(40)));
    assert.ok(!crypto.verify('sha256', paeOf(env.payloadType, forged), key.publicKey, sig));
    const other = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.ok(!crypto.verify('sha256', paeOf(env.payloadType, bytes), other.publicKey, sig));
  });
});

describe('attest: writing the file', () => {
  it('never replaces an existing file unless told, and says so before hashing', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'prov.json');
    fs.writeFileSync(out, 'precious');
    let progressCalls = 0;
    const code = await codeOf(attestModel(sampleModel(), { signer, pool: hashPool, environment: {}, output: out, onProgress: () => progressCalls++ }));
    assert.equal(code, 'OUTPUT_EXISTS');
    assert.equal(progressCalls, 0, 'the model was hashed before the check');
    assert.equal(fs.readFileSync(out, 'utf8'), 'precious');
    assert.deepEqual(fs.readdirSync(dir), ['prov.json']);
    const { bundle } = await attestModel(sampleModel(), { signer, pool: hashPool, environment: {}, output: out, overwrite: true });
    assert.deepEqual(JSON.parse(fs.readFileSync(out, 'utf8')), bundle);
    assert.deepEqual(fs.readdirSync(dir), ['prov.json']);
  });

  it('a file that appears while signing is not replaced either (no window between check and write)', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'prov.json');
    // A signer that, like a second job, writes the same name while this one signs.
    const racing: Signer = {
      sign: async (payload, o) => {
        fs.writeFileSync(out, 'the other job');
        return signer.sign(payload, o);
      },
    };
    assert.equal(await codeOf(attestModel(sampleModel(), { signer: racing, pool: hashPool, environment: {}, output: out })), 'OUTPUT_EXISTS');
    assert.equal(fs.readFileSync(out, 'utf8'), 'the other job');
    assert.deepEqual(fs.readdirSync(dir), ['prov.json']);
  });

  it('no partial file: a missing folder, a cancel, or a signer that fails leave nothing behind', async () => {
    const dir = tempDir();
    assert.equal(
      await codeOf(attestModel(sampleModel(), { signer, pool: hashPool, environment: {}, output: path.join(dir, 'no/such/dir/p.json') })),
      'WRITE_FAILED',
    );
    const cancel = new AbortController();
    const cancelling: Signer = {
      sign: async (payload, o) => {
        const b = await signer.sign(payload, o);
        cancel.abort();
        return b;
      },
    };
    assert.equal(
      await codeOf(
        attestModel(sampleModel(), { signer: cancelling, pool: hashPool, environment: {}, output: path.join(dir, 'p.json'), signal: cancel.signal }),
      ),
      'CANCELLED',
    );
    const failing: Signer = { sign: () => Promise.reject(new ModelSigningError('SIGNING_SERVICE_FAILED', 'down')) };
    assert.equal(
      await codeOf(attestModel(sampleModel(), { signer: failing, pool: hashPool, environment: {}, output: path.join(dir, 'p.json') })),
      'SIGNING_SERVICE_FAILED',
    );
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('an empty model is refused', async () => {
    const model = makeModel({});
    assert.equal(await codeOf(attestModel(model, { signer, pool: hashPool, environment: {} })), 'EMPTY_MODEL');
  });
});
