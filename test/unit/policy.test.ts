import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  CertificateSigner,
  CertificateVerifier,
  KeySigner,
  KeyVerifier,
  ModelSigningError,
  POLICY_FILE,
  PolicyEntry,
  SignerInfo,
  compileGlob,
  escapeGlob,
  evaluatePolicy,
  findPolicy,
  globLiteralPrefix,
  modelGlob,
  loadPrivateKey,
  loadPublicKey,
  matchesGlob,
  parsePemCertificates,
  jsonPathRange,
  parsePolicy,
  parsePolicySetting,
  parsePolicyText,
  pinIdentity,
  policyCertificateRoots,
  policyFilePath,
  publicKeyHint,
  readPolicyFile,
  signModel,
  verifyModel,
} from '../../src/core';
import { REPO, makeKeyPair, makeModel, pool, tempDir } from '../helpers/fixtures';
import { readExtensionManifest } from '../helpers/packageJson';
import { makePki } from '../helpers/pki';

const GITHUB = 'https://github.com/login/oauth';
const alice: SignerInfo = { method: 'sigstore', identity: 'alice@example.com', issuer: GITHUB };
const EXAMPLE = {
  $schema: '../media/model-signing.schema.json',
  models: [
    { path: 'models/llama-*', sigstore: [{ identity: 'alice@example.com', issuer: GITHUB }], keys: ['keys/release.pub'], certificateRoots: ['pki/root.pem'] },
  ],
};

function policy(models: unknown[], workspaceRoot = tempDir()) {
  return parsePolicy({ models }, { workspaceRoot, source: 'test' });
}

function entry(e: Record<string, unknown>, workspaceRoot = tempDir()): PolicyEntry {
  return policy([e], workspaceRoot).models[0]!;
}

/** Runs fn, expects a ModelSigningError with this code and JSON path. */
function throwsAt(fn: () => unknown, code: string, jsonPath: string, what = jsonPath) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ModelSigningError, `${what}: expected a typed error, got ${String(e)}`);
    assert.equal(e.code, code, `${what}: ${e.message}`);
    assert.equal((e.data as { jsonPath?: string }).jsonPath, jsonPath, `${what}: ${e.message}`);
    return true;
  });
}

describe('policy path globs', () => {
  // [glob, path, matches]
  const table: Array<[string, string, boolean]> = [
    ['models/llama-*', 'models/llama-7b', true],
    ['models/llama-*', 'models/llama-', true],
    ['models/llama-*', 'models/llama-7b/sub', false],
    ['models/llama-*', 'models/mistral', false],
    ['models/llama-*', 'other/models/llama-7b', false],
    ['models/*', 'models/.hidden', true],
    ['*', 'models', true],
    ['*', 'models/a', false],
    ['**', 'models/a/b', true],
    ['**', '.', true],
    ['models/**', 'models/a', true],
    ['models/**', 'models/a/b/c', true],
    ['models/**', 'models', false],
    ['models/**', 'modelsX/a', false],
    ['**/checkpoints/*', 'checkpoints/step-1', true],
    ['**/checkpoints/*', 'a/b/checkpoints/step-1', true],
    ['**/checkpoints/*', 'a/checkpoints', false],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a/x/y/bb', false],
    ['a/**/**/b', 'a/b', true],
    ['./models/*/', 'models/x', true],
    ['models//x', 'models/x', true],
    ['m?del', 'model', true],
    ['m?del', 'm/del', false],
    ['m?del', 'mdel', false],
    ['v[0-9]', 'v7', true],
    ['v[0-9]', 'vx', false],
    ['v[!0-9]', 'vx', true],
    ['v[^0-9]', 'v7', false],
    ['v[]x]', 'v]', true],
    ['v[a-]', 'v-', true],
    ['v[+-0]', 'v/', false],
    ['{llama,mistral}-*', 'mistral-7b', true],
    ['{llama,mistral}-*', 'phi-2', false],
    ['{a,b{c,d}}', 'bd', true],
    ['weights\\*', 'weights*', true],
    ['weights\\*', 'weightsX', false],
    ['\\[draft\\] model', '[draft] model', true],
    ['my models/llama 7b', 'my models/llama 7b', true],
    ['my models/*', 'my models/llama 7b', true],
    ['my models/*', 'my models', false],
    ['modèles/*', 'modèles/ß', true],
    ['模型/?', '模型/猫', true],
    ['模型/??', '模型/猫', false],
    ['emoji/?', 'emoji/🦙', true],
    ['café/*', 'cafe\u0301/x', true], // NFD on disk (macOS), NFC in the file
    ['cafe\u0301/*', 'café/x', true],
    ['Models/*', 'models/x', false], // case-sensitive when asked
    ['a.b', 'aXb', false], // a dot is a dot
    ['a+b(c)', 'a+b(c)', true],
    ['^$|', '^$|', true],
  ];
  for (const [glob, p, expected] of table) {
    it(`${JSON.stringify(glob)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(p)}`, () => {
      assert.equal(matchesGlob(p, glob, { caseInsensitive: false }), expected);
    });
  }

  it('folds case when asked (the default on Windows and macOS)', () => {
    assert.equal(matchesGlob('models/X', 'Models/*', { caseInsensitive: true }), true);
    assert.equal(matchesGlob('models/x', 'models/*'), true);
  });

  it('malformed or escaping globs are POLICY_INVALID', () => {
    for (const glob of ['', '  ', '/abs/models', 'C:\\models', 'C:/models', '../outside', 'models/../../x', 'v[0-9', 'v[z-a]', '{a,b', 'trailing\\']) {
      assert.throws(() => compileGlob(glob), { code: 'POLICY_INVALID' }, JSON.stringify(glob));
    }
  });

  it('a backslash before anything but a glob character is a Windows path: an error, not a pattern that matches nothing', () => {
    for (const glob of ['models\\llama-*', 'models\\*\\x', 'a\\b', 'models\\.cache', 'v[a\\b]', 'C:models\\x']) {
      assert.throws(
        () => compileGlob(glob),
        (e: unknown) => e instanceof ModelSigningError && e.code === 'POLICY_INVALID' && /backslash/.test(e.message),
        JSON.stringify(glob),
      );
    }
  });

  it('a glob no folder can match is an error', () => {
    for (const glob of ['a/{}/b', 'a/{,}/b', 'models/[!\u0000-.0-\u{10FFFF}]', '{[!\u0000-.0-\u{10FFFF}],[!\u0000-.0-\u{10FFFF}]x}']) {
      assert.throws(() => compileGlob(glob), { code: 'POLICY_INVALID' }, JSON.stringify(glob));
    }
    for (const glob of ['a/{,b}/c', '{,a}', 'v[+-0]', 'models/[!\u0000-.0-\u{10FFFE}]', '{[!\u0000-.0-\u{10FFFF}],x}'])
      assert.doesNotThrow(() => compileGlob(glob), JSON.stringify(glob));
  });

  it('matching never backtracks: adversarial globs cost steps linear in the path', () => {
    // [glob, path, matches]: each took seconds with the RegExp this replaced (or with picomatch/minimatch).
    const cases: Array<[string, string, boolean]> = [
      ['{*,*}'.repeat(10) + 'x', 'a'.repeat(12), false],
      ['*a'.repeat(8) + '*b', 'a'.repeat(40), false],
      ['*a'.repeat(40) + '*b', 'a'.repeat(2000), false],
      ['{a,aa,aaa}'.repeat(30) + 'b', 'a'.repeat(500), false],
      ['{{{{a,b},{a,b}},{{a,b},{a,b}}},x}'.repeat(20) + '!', 'a'.repeat(400), false],
      ['**/' + '*a/'.repeat(10) + 'b', 'aa/'.repeat(300) + 'c', false],
      ['*a'.repeat(8) + '*', 'a'.repeat(40), true],
      ['**/x', 'a/'.repeat(1000) + 'x', true],
    ];
    for (const [glob, p, expected] of cases) {
      const compiled = compileGlob(glob, { caseInsensitive: true });
      const run = compiled.run(p);
      const m = Array.from(glob).length;
      const n = Array.from(p).length;
      assert.equal(run.matched, expected, glob);
      assert.ok(compiled.size <= 12 * (m + 1), `${glob}: automaton size ${compiled.size} for ${m} characters`);
      assert.ok(run.steps <= compiled.size * (n + 1), `${glob}: ${run.steps} steps for ${n} characters (size ${compiled.size})`);
    }
  });

  it('literal prefixes rank globs', () => {
    assert.equal(globLiteralPrefix('models/llama-*'), 'models/llama-');
    assert.equal(globLiteralPrefix('./models/**'), 'models/');
    assert.equal(globLiteralPrefix('**'), '');
    assert.equal(globLiteralPrefix('a\\*b*'), 'a*b');
    assert.equal(globLiteralPrefix('models/{a,b}'), 'models/');
  });
});

describe('choosing the policy entry', () => {
  const ws = path.join(tempDir(), 'workspace');
  const p = policy(
    [
      { path: '**', sigstore: [{ identity: 'any', issuer: 'i' }] },
      { path: 'models/**', sigstore: [{ identity: 'below', issuer: 'i' }] },
      { path: 'models/llama-*', sigstore: [{ identity: 'llama', issuer: 'i' }] },
      { path: 'models/llama-7b', sigstore: [{ identity: 'exact', issuer: 'i' }] },
      { path: 'models/llama-?b', sigstore: [{ identity: 'same prefix, later', issuer: 'i' }] },
      { path: 'data/*', sigstore: [{ identity: 'data', issuer: 'i' }] },
      { path: 'data/*', sigstore: [{ identity: 'data, later', issuer: 'i' }] },
    ],
    ws,
  );
  const who = (model: string) => {
    const e = findPolicy(ws, model, p);
    return e?.sigstore[0]!.identity;
  };

  it('takes the longest literal prefix, then the first', () => {
    assert.equal(who(path.join(ws, 'models/llama-7b')), 'exact');
    assert.equal(who(path.join(ws, 'models/llama-13b')), 'llama');
    assert.equal(who(path.join(ws, 'models/llama-7b/adapter')), 'below');
    assert.equal(who(path.join(ws, 'models/mistral')), 'below');
    assert.equal(who(path.join(ws, 'elsewhere/m')), 'any');
    assert.equal(who(path.join(ws, 'data/set')), 'data');
    assert.equal(who(ws), 'any', 'the workspace folder itself is "."');
  });

  it('nothing for a model outside the workspace folder, or no match', () => {
    assert.equal(findPolicy(ws, path.join(ws, '..', 'other', 'models', 'llama-7b'), p), undefined);
    const narrow = policy([{ path: 'models/*', keyHints: ['a'.repeat(64)] }], ws);
    assert.equal(findPolicy(ws, path.join(ws, 'checkpoints/x'), narrow), undefined);
  });

  it('takes entries from several sources in the order given', () => {
    const file = parsePolicy({ models: [{ path: 'models/*', sigstore: [{ identity: 'file', issuer: 'i' }] }] }, { workspaceRoot: ws, source: 'file' });
    const settings = parsePolicy({ models: [{ path: 'models/*', sigstore: [{ identity: 'settings', issuer: 'i' }] }] }, { workspaceRoot: ws });
    assert.equal(findPolicy(ws, path.join(ws, 'models/x'), [file, settings])?.source, 'file');
    assert.equal(findPolicy(ws, path.join(ws, 'models/x'), [...settings.models, ...file.models])?.source, 'settings');
  });
});

describe('evaluating a signer against the policy', () => {
  it('Sigstore identity and issuer are compared exactly', () => {
    const e = entry({
      path: 'm',
      sigstore: [
        { identity: 'alice@example.com', issuer: GITHUB },
        { identity: 'https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com' },
      ],
    });
    assert.equal(evaluatePolicy(e, alice).ok, true);
    assert.match(evaluatePolicy(e, alice).reason, /alice@example\.com .* accepts/);
    const no = (signer: Partial<Extract<SignerInfo, { method: 'sigstore' }>>, why: string) => {
      const r = evaluatePolicy(e, { ...alice, ...signer });
      assert.equal(r.ok, false, why);
      assert.match(r.reason, /accepts only alice@example\.com/, why);
    };
    no({ identity: 'alice@example.co' }, 'a prefix of the identity');
    no({ identity: 'alice@example.com.evil.org' }, 'the identity as a prefix');
    no({ identity: 'Alice@example.com' }, 'case');
    no({ identity: ' alice@example.com' }, 'a space');
    no({ issuer: `${GITHUB}/` }, 'a trailing slash on the issuer');
    no({ issuer: 'https://github.com/login/oauth2' }, 'a longer issuer');
    no(
      { identity: 'https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main', issuer: GITHUB },
      'a listed identity with the issuer of another',
    );
    assert.equal(
      evaluatePolicy(e, {
        method: 'sigstore',
        identity: 'https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main',
        issuer: 'https://token.actions.githubusercontent.com',
      }).ok,
      true,
    );
  });

  it('a signer of a method the entry does not list fails', () => {
    const e = entry({ path: 'm', sigstore: [{ identity: 'alice@example.com', issuer: GITHUB }] });
    const r = evaluatePolicy(e, { method: 'key', keyHint: 'a'.repeat(64) });
    assert.equal(r.ok, false);
    assert.match(r.reason, /only signatures made with Sigstore identities/);
  });

  it('keys match by the hint of the PEM file, or a pinned hint', async () => {
    const ws = tempDir();
    const release = makeKeyPair('P-384');
    const other = makeKeyPair();
    fs.mkdirSync(path.join(ws, 'keys'));
    fs.copyFileSync(release.publicKey, path.join(ws, 'keys/release.pub'));
    const hint = publicKeyHint(loadPublicKey(fs.readFileSync(release.publicKey)));
    const otherHint = publicKeyHint(loadPublicKey(fs.readFileSync(other.publicKey)));
    const e = entry({ path: 'm', keys: ['keys/release.pub'] }, ws);
    assert.equal(evaluatePolicy(e, { method: 'key', keyHint: hint }).ok, true);
    assert.equal(evaluatePolicy(e, { method: 'key', keyHint: hint.toUpperCase() }).ok, true, 'hex case does not matter');
    const bad = evaluatePolicy(e, { method: 'key', keyHint: otherHint });
    assert.equal(bad.ok, false);
    assert.match(bad.reason, /keys\/release\.pub/);
    assert.equal(evaluatePolicy(entry({ path: 'm', keyHints: [otherHint.toUpperCase()] }, ws), { method: 'key', keyHint: otherHint }).ok, true);

    // Through a real signature: the signer the verifier reports is the one the policy names.
    const model = makeModel({ w: 'weights' });
    const sig = path.join(tempDir(), 'model.sig');
    await signModel(model, { pool: pool(1), signer: new KeySigner(loadPrivateKey(fs.readFileSync(release.privateKey))), signaturePath: sig });
    const result = await verifyModel(model, {
      verifier: new KeyVerifier(loadPublicKey(fs.readFileSync(release.publicKey))),
      pool: pool(1),
      signaturePath: sig,
    });
    assert.equal(evaluatePolicy(e, result.signer).ok, true);

    throwsAt(
      () => evaluatePolicy(entry({ path: 'm', keyHints: [otherHint], keys: ['keys/missing.pub'] }, ws), { method: 'key', keyHint: hint }),
      'POLICY_UNREADABLE',
      '$.models[0].keys[0]',
    );
    fs.writeFileSync(path.join(ws, 'keys/not-a-key.pub'), 'hello');
    throwsAt(
      () => evaluatePolicy(entry({ path: 'm', keys: ['keys/release.pub', 'keys/not-a-key.pub'] }, ws), { method: 'key', keyHint: otherHint }),
      'POLICY_INVALID',
      '$.models[0].keys[1]',
    );
  });

  it('certificates: the leaf issued by a CA in the files (or pinned), and the chain verified with those roots', async () => {
    const ws = tempDir();
    const pki = await makePki();
    fs.mkdirSync(path.join(ws, 'pki'));
    fs.copyFileSync(pki.files.root, path.join(ws, 'pki/root.pem'));
    fs.writeFileSync(path.join(ws, 'pki/ca.pem'), `${pki.rootPem}\n${pki.intermediatePem}\n`);
    const model = makeModel({ w: 'weights' });
    const sig = path.join(tempDir(), 'model.sig');
    const der = (pem: string) => parsePemCertificates(pem)[0]!;
    const signer = new CertificateSigner(loadPrivateKey(pki.leafKeyPem), der(pki.leafPem), [der(pki.intermediatePem)]);
    await signModel(model, { pool: pool(1), signer, signaturePath: sig });

    const e = entry({ path: 'm', certificateRoots: ['pki/ca.pem'] }, ws);
    const result = await verifyModel(model, { verifier: new CertificateVerifier({ roots: policyCertificateRoots(e) }), pool: pool(1), signaturePath: sig });
    assert.equal(result.ok, true);
    assert.equal(policyCertificateRoots(e).length, 2);
    assert.equal(evaluatePolicy(e, result.signer).ok, true);

    // The leaf is issued by the intermediate: a file with the root alone does not name its issuer.
    const rootOnly = evaluatePolicy(entry({ path: 'm', certificateRoots: ['pki/root.pem'] }, ws), result.signer);
    assert.equal(rootOnly.ok, false);
    assert.match(rootOnly.reason, /pki\/root\.pem/);
    // Another CA with another name.
    const otherPki = await makePki({}, 'other-root');
    fs.writeFileSync(path.join(ws, 'pki/other.pem'), `${otherPki.rootPem}\n${otherPki.intermediatePem}\n`);
    assert.equal(evaluatePolicy(entry({ path: 'm', certificateRoots: ['pki/other.pem'] }, ws), result.signer).ok, false);
    // Pinned by fingerprint, with or without colons.
    const fp = (result.signer as Extract<SignerInfo, { method: 'certificate' }>).fingerprint;
    assert.equal(evaluatePolicy(entry({ path: 'm', certificateFingerprints: [fp.replace(/:/g, '').toLowerCase()] }, ws), result.signer).ok, true);
    assert.equal(evaluatePolicy(entry({ path: 'm', certificateFingerprints: ['00'.repeat(32)] }, ws), result.signer).ok, false);
    fs.writeFileSync(path.join(ws, 'pki/empty.pem'), 'no certificate here');
    throwsAt(
      () => evaluatePolicy(entry({ path: 'm', certificateRoots: ['pki/empty.pem'] }, ws), result.signer),
      'POLICY_INVALID',
      '$.models[0].certificateRoots[0]',
    );
  });

  it('certificateRoots holding only the intermediate (a partial chain): its name matches the issuer, but the chain is refused', async () => {
    const ws = tempDir();
    const pki = await makePki();
    fs.mkdirSync(path.join(ws, 'pki'));
    fs.copyFileSync(pki.files.intermediate, path.join(ws, 'pki/intermediate.pem'));
    const model = makeModel({ w: 'weights' });
    const sig = path.join(tempDir(), 'model.sig');
    const der = (pem: string) => parsePemCertificates(pem)[0]!;
    await signModel(model, {
      pool: pool(1),
      signer: new CertificateSigner(loadPrivateKey(pki.leafKeyPem), der(pki.leafPem), [der(pki.intermediatePem)]),
      signaturePath: sig,
    });
    const e = entry({ path: 'm', certificateRoots: ['pki/intermediate.pem'] }, ws);
    await assert.rejects(
      verifyModel(model, { verifier: new CertificateVerifier({ roots: policyCertificateRoots(e) }), pool: pool(1), signaturePath: sig }),
      (err: unknown) => err instanceof ModelSigningError && err.code === 'CERTIFICATE_CHAIN_INVALID',
    );
    // With the root beside it, the same signature verifies.
    fs.appendFileSync(path.join(ws, 'pki/intermediate.pem'), pki.rootPem);
    const result = await verifyModel(model, { verifier: new CertificateVerifier({ roots: policyCertificateRoots(e) }), pool: pool(1), signaturePath: sig });
    assert.equal(result.ok, true);
    assert.equal(evaluatePolicy(e, result.signer).ok, true);
  });
});

describe('policy files', () => {
  it('the example parses', () => {
    const p = parsePolicy(EXAMPLE, { workspaceRoot: '/ws', source: 'f' });
    assert.equal(p.models.length, 1);
    assert.deepEqual(p.models[0]!.keys, ['keys/release.pub']);
    assert.equal(p.models[0]!.baseDir, path.resolve('/ws'));
    assert.deepEqual(parsePolicy({}, { workspaceRoot: '/ws' }).models, [], 'no models: no policy');
  });

  it('an unknown key is an error, not ignored: a typo would leave the model to trust on first use', () => {
    const e = EXAMPLE.models[0]!;
    const cases: Array<[unknown, string]> = [
      [{ ...EXAMPLE, extra: 1 }, '$.extra'],
      [{ models: [{ ...e, sigstor: [{ identity: 'a', issuer: 'b' }] }] }, '$.models[0].sigstor'],
      [{ models: [{ ...e, 'x-owner': 'ml' }] }, '$.models[0]["x-owner"]'],
      [{ models: [{ ...e, sigstore: [{ identity: 'a', issuer: 'b', note: 'x' }] }] }, '$.models[0].sigstore[0].note'],
      [{ Models: [] }, '$.Models'],
    ];
    for (const [doc, jsonPath] of cases)
      throwsAt(() => parsePolicy(doc, { workspaceRoot: '/ws', source: 'f' }), 'POLICY_INVALID', jsonPath, JSON.stringify(doc));
  });

  it('the setting is checked as the file is; anything but a list is an error', () => {
    const ctx = { workspaceRoot: '/ws', source: 'settings (modelSigning.verify.policy)' };
    assert.equal(parsePolicySetting(undefined, ctx), undefined);
    assert.equal(parsePolicySetting([], ctx), undefined);
    assert.equal(parsePolicySetting([{ path: 'm', keyHints: ['a'.repeat(64)] }], ctx)!.models[0]!.source, ctx.source);
    throwsAt(() => parsePolicySetting({ path: 'm', keyHints: ['a'.repeat(64)] }, ctx), 'POLICY_INVALID', '$.models');
    throwsAt(() => parsePolicySetting('models/*', ctx), 'POLICY_INVALID', '$.models');
    throwsAt(() => parsePolicySetting([{ path: 'models\\llama-*', keyHints: ['a'.repeat(64)] }], ctx), 'POLICY_INVALID', '$.models[0].path');
  });

  it('a key written twice is an error at that key (JSON.parse would keep the last, a reader sees the first)', () => {
    const text =
      '{ "models": [ { "path": "m", "sigstore": [{ "identity": "alice@example.com", "issuer": "i" }],\n  "sigstore": [{ "identity": "eve@example.com", "issuer": "i" }] } ] }';
    throwsAt(() => parsePolicyText(text, { workspaceRoot: '/ws', source: 'f' }), 'POLICY_INVALID', '$.models[0].sigstore');
    assert.deepEqual(
      jsonPathRange(text, '$.models[0].sigstore'),
      { start: { line: 1, character: 2 }, end: { line: 1, character: 64 } },
      'the last one, as JSON.parse',
    );
  });

  it('locates the offending value of an error in the text', () => {
    const text = '\uFEFF{\r\n  "models": [\n    { "path": "models\\\\llama-*",\n      "keys": ["k", 3] }, {"odd key": {"a": [1, {"b": null}]}}\n  ]\n}';
    const at = (jsonPath: string) => {
      const r = jsonPathRange(text, jsonPath);
      if (!r) return undefined;
      const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n/);
      return r.start.line === r.end.line ? lines[r.start.line]!.slice(r.start.character, r.end.character) : `${r.start.line}-${r.end.line}`;
    };
    assert.equal(at('$.models[0].path'), '"path": "models\\\\llama-*"');
    assert.equal(at('$.models[0].keys[1]'), '3');
    assert.equal(at('$.models[0].keys'), '"keys": ["k", 3]');
    assert.equal(at('$.models[1]["odd key"].a[1].b'), '"b": null');
    assert.equal(at('$.models'), '1-4');
    assert.equal(at('$.models[2]'), undefined);
    assert.equal(jsonPathRange('{ "models": [', '$'), undefined);
    // The path parsePolicy reports is the one jsonPathRange finds.
    assert.throws(
      () => parsePolicyText(text, { workspaceRoot: '/ws', source: 'f' }),
      (e: unknown) => e instanceof ModelSigningError && at((e.data as { jsonPath: string }).jsonPath) === '"path": "models\\\\llama-*"',
    );
  });

  it('invalid files give typed errors with the JSON path of the field', () => {
    const ok = { path: 'm', keyHints: ['a'.repeat(64)] };
    const cases: Array<[unknown, string]> = [
      [[], '$'],
      ['text', '$'],
      [{ $schema: 5, models: [] }, '$.$schema'],
      [{ models: {} }, '$.models'],
      [{ models: null }, '$.models'],
      [{ models: [ok, 'm'] }, '$.models[1]'],
      [{ models: [{ sigstore: [{ identity: 'a', issuer: 'b' }] }] }, '$.models[0].path'],
      [{ models: [{ path: 7, keys: ['k'] }] }, '$.models[0].path'],
      [{ models: [{ path: '/abs', keys: ['k'] }] }, '$.models[0].path'],
      [{ models: [{ path: 'v[0-9', keys: ['k'] }] }, '$.models[0].path'],
      [{ models: [{ path: 'm' }] }, '$.models[0]'],
      [{ models: [{ path: 'm', sigstore: [] }] }, '$.models[0]'],
      [{ models: [ok, { path: 'm', sigstore: { identity: 'a', issuer: 'b' } }] }, '$.models[1].sigstore'],
      [
        {
          models: [
            ok,
            {
              path: 'm',
              sigstore: [
                { identity: 'a', issuer: 'b' },
                { identity: 'a', issuer: 5 },
              ],
            },
          ],
        },
        '$.models[1].sigstore[1].issuer',
      ],
      [{ models: [{ path: 'm', sigstore: [{ issuer: 'b' }] }] }, '$.models[0].sigstore[0].identity'],
      [{ models: [{ path: 'm', sigstore: [{ identity: 'a ', issuer: 'b' }] }] }, '$.models[0].sigstore[0].identity'],
      [{ models: [{ path: 'm', sigstore: [{ identity: 'a', issuer: '' }] }] }, '$.models[0].sigstore[0].issuer'],
      [{ models: [{ path: 'm', keys: 'k.pub' }] }, '$.models[0].keys'],
      [{ models: [{ path: 'm', keys: ['k.pub', 3] }] }, '$.models[0].keys[1]'],
      [{ models: [{ path: 'm', keys: [''] }] }, '$.models[0].keys[0]'],
      [{ models: [{ path: 'm', keyHints: ['abc'] }] }, '$.models[0].keyHints[0]'],
      [{ models: [{ path: 'm', certificateRoots: [null] }] }, '$.models[0].certificateRoots[0]'],
      [{ models: [{ path: 'm', certificateFingerprints: ['AA:BB'] }] }, '$.models[0].certificateFingerprints[0]'],
      [{ models: [{ path: 'm', keys: ['k'], description: 1 }] }, '$.models[0].description'],
    ];
    for (const [doc, jsonPath] of cases)
      throwsAt(() => parsePolicy(doc, { workspaceRoot: '/ws', source: 'f' }), 'POLICY_INVALID', jsonPath, JSON.stringify(doc));
  });

  it('a JSON syntax error gives its line and column', async () => {
    const text = '{\n  "models": [\n    { "path": "m", }\n  ]\n}\n';
    assert.throws(
      () => parsePolicyText(text, { workspaceRoot: '/ws', source: 'f.json' }),
      (e: unknown) => {
        assert.ok(e instanceof ModelSigningError);
        assert.equal(e.code, 'POLICY_INVALID');
        assert.deepEqual(e.data, { source: 'f.json', jsonPath: '$', line: 3, column: 20 });
        return true;
      },
    );
    const ws = tempDir();
    assert.equal(await readPolicyFile(policyFilePath(ws)), undefined, 'no file, no policy');
  });

  it('pins a signer on first use, keeping the other entries', async () => {
    const ws = tempDir();
    const file = policyFilePath(ws);
    assert.equal(path.relative(ws, file), path.join('.vscode', 'model-signing.json'));
    assert.equal(POLICY_FILE, '.vscode/model-signing.json');

    // No file, no folder: both are made.
    const first = await pinIdentity(file, 'models/llama-*', alice);
    assert.deepEqual([first.created, first.changed], [true, true]);
    assert.equal(
      fs.readFileSync(file, 'utf8'),
      `{\n  "models": [\n    {\n      "path": "models/llama-*",\n      "sigstore": [\n        {\n          "identity": "alice@example.com",\n          "issuer": "${GITHUB}"\n        }\n      ]\n    }\n  ]\n}\n`,
    );

    // The user's file, with its own order.
    const doc = {
      $schema: '../schema.json',
      models: [
        { description: 'team', path: 'data/*', keys: ['keys/a.pub'] },
        { path: 'models/llama-*', sigstore: [{ identity: 'alice@example.com', issuer: GITHUB }], description: 'kept' },
      ],
    };
    fs.writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
    const bob: SignerInfo = { method: 'sigstore', identity: 'bob@example.com', issuer: 'https://accounts.google.com' };
    const again = await pinIdentity(file, 'models/llama-*', alice);
    assert.deepEqual([again.created, again.changed], [false, false], 'already listed: nothing written');
    const merged = await pinIdentity(file, './models/llama-*', bob);
    assert.equal(merged.changed, true);
    const key = makeKeyPair();
    const keyHint = publicKeyHint(loadPublicKey(fs.readFileSync(key.publicKey)));
    await pinIdentity(file, 'checkpoints/**', { method: 'key', keyHint });
    await pinIdentity(file, 'checkpoints/**', {
      method: 'certificate',
      subject: 'CN=x',
      issuer: 'CN=ca',
      fingerprint: 'AB:'.repeat(31) + 'AB',
      notBefore: '',
      notAfter: '',
    });

    const written = JSON.parse(fs.readFileSync(file, 'utf8')) as { $schema: string; models: object[] };
    assert.deepEqual(written, {
      ...doc,
      models: [
        doc.models[0],
        { ...doc.models[1], sigstore: [...doc.models[1]!.sigstore!, { identity: 'bob@example.com', issuer: 'https://accounts.google.com' }] },
        { path: 'checkpoints/**', keyHints: [keyHint], certificateFingerprints: ['AB:'.repeat(31) + 'AB'] },
      ],
    });
    assert.deepEqual(Object.keys(written), ['$schema', 'models'], 'key order kept');
    assert.deepEqual(Object.keys(written.models[0]!), ['description', 'path', 'keys']);
    assert.ok(fs.readFileSync(file, 'utf8').endsWith('}\n'));
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['model-signing.json'], 'no temporary file left');

    // Read back: the pinned signers pass, others do not.
    const p = (await readPolicyFile(file))!;
    assert.equal(p.models[0]!.baseDir, ws);
    const llama = findPolicy(ws, path.join(ws, 'models/llama-7b'), p)!;
    assert.equal(evaluatePolicy(llama, bob).ok, true);
    assert.equal(evaluatePolicy(llama, alice).ok, true);
    assert.equal(evaluatePolicy(llama, { ...bob, identity: 'eve@example.com' }).ok, false);
    assert.equal(evaluatePolicy(findPolicy(ws, path.join(ws, 'checkpoints/a/b'), p)!, { method: 'key', keyHint }).ok, true);
  });

  it('Pin Signer pins exactly the folder: glob characters in its name are escaped', async () => {
    const ws = tempDir();
    const file = policyFilePath(ws);
    // [folder pinned, a sibling the unescaped name would have governed as a pattern]
    const pairs: Array<[string, string]> = [
      ['llama [gguf]', 'llama g'],
      ['model*', 'model-evil'],
      ['what?', 'whatX'],
      ['{a,b}', 'a'],
      ['team/v[0-9]', 'team/v7'],
      ['all []*?{},\\', 'all ]x{},\\'],
    ];
    if (process.platform !== 'win32') pairs.push(['back\\slash', 'backslash'], ['trail\\', 'trail']);
    for (const [name, sibling] of pairs) {
      fs.mkdirSync(path.join(ws, name), { recursive: true });
      fs.mkdirSync(path.join(ws, sibling), { recursive: true });
      await pinIdentity(file, modelGlob(ws, path.join(ws, name)), alice, ws);
    }
    const p = (await readPolicyFile(file))!;
    for (const [name, sibling] of pairs) {
      assert.equal(evaluatePolicy(findPolicy(ws, path.join(ws, name), p)!, alice).ok, true, `${name} is pinned`);
      assert.equal(findPolicy(ws, path.join(ws, sibling), p), undefined, `the pin of ${name} does not govern ${sibling}`);
    }
    assert.equal(escapeGlob('llama [gguf]'), 'llama \\[gguf\\]');
    assert.equal(modelGlob(ws, ws), '.');
    assert.throws(() => modelGlob(ws, path.dirname(ws)), { code: 'INVALID_OPTION' });
  });

  it('pinning leaves an invalid file alone', async () => {
    const ws = tempDir();
    const file = policyFilePath(ws);
    fs.mkdirSync(path.dirname(file));
    for (const [text, jsonPath] of [
      ['{ "models": [ ', '$'],
      ['{ "models": [{ "path": 5 }] }', '$.models[0].path'],
    ] as const) {
      fs.writeFileSync(file, text);
      await assert.rejects(
        pinIdentity(file, 'm', alice),
        (e: unknown) => e instanceof ModelSigningError && e.code === 'POLICY_INVALID' && (e.data as { jsonPath: string }).jsonPath === jsonPath,
      );
      assert.equal(fs.readFileSync(file, 'utf8'), text);
    }
    await assert.rejects(pinIdentity(policyFilePath(tempDir()), '../up', alice), { code: 'POLICY_INVALID' });
  });
});

describe('the JSON schema of the policy file and of the setting', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(REPO, 'media/model-signing.schema.json'), 'utf8')) as JsonSchema;
  const setting = readExtensionManifest().contributes.configuration.properties['modelSigning.verify.policy'];
  const settingSchema: JsonSchema = { type: 'array', items: setting!.items as JsonSchema };
  const ok = { path: 'm', keyHints: ['a'.repeat(64)] };
  const entry = (e: Record<string, unknown>) => ({ models: [{ ...ok, ...e }] });

  // [document, valid]: what a schema can say. The glob's own syntax ('v[0-9', 'a/{}/b') and key
  // files are checked only by the parser; duplicate keys never reach a schema.
  const samples: Array<[unknown, boolean]> = [
    [EXAMPLE, true],
    [
      {
        models: [
          {
            path: 'models/**',
            description: 'd',
            sigstore: [{ identity: 'a@b.c', issuer: GITHUB }],
            keys: ['k.pub'],
            keyHints: ['A'.repeat(64)],
            certificateRoots: ['r.pem'],
            certificateFingerprints: ['AB:'.repeat(31) + 'AB', 'ab'.repeat(32)],
          },
        ],
      },
      true,
    ],
    [{}, true],
    [entry({ publicKeys: [fs.readFileSync(makeKeyPair().publicKey, 'utf8')] }), true],
    [entry({ publicKeys: ['keys/release.pub'] }), false],
    [entry({ path: 'weights\\*' }), true],
    [entry({ path: '\\[draft\\] model/llama \\{x\\}' }), true],
    [entry({ path: 'back\\\\slash' }), true],
    [entry({ path: 'v[a\\-z]' }), true],
    [{ models: {} }, false],
    [{ models: 'm' }, false],
    [{ models: [ok, 'm'] }, false],
    [entry({ path: 5 }), false],
    [entry({ path: '' }), false],
    [entry({ path: '/abs' }), false],
    [entry({ path: 'C:\\models' }), false],
    [entry({ path: 'models\\llama-*' }), false],
    [entry({ path: 'models\\.cache' }), false],
    [entry({ path: 'trailing\\' }), false],
    [entry({ sigstore: [{ identity: 1, issuer: 'x' }] }), false],
    [entry({ sigstore: [{ identity: 'a' }] }), false],
    [entry({ sigstore: [{ identity: 'a', issuer: 'b ' }] }), false],
    [entry({ sigstore: { identity: 'a', issuer: 'b' } }), false],
    [{ models: [{ path: 'm' }] }, false],
    [{ models: [{ path: 'm', keys: [] }] }, false],
    [entry({ keyHints: ['xyz'] }), false],
    [entry({ keys: 'k.pub' }), false],
    [entry({ certificateFingerprints: ['AA:BB'] }), false],
    [entry({ description: 1 }), false],
    [entry({ identity: 'typo: not here' }), false],
    [entry({ sigstor: [{ identity: 'a', issuer: 'b' }] }), false],
    [entry({ sigstore: [{ identity: 'a', issuer: 'b', note: 'x' }] }), false],
    [{ models: [], extra: true }, false],
    [entry({ path: '  ' }), false],
    [entry({ path: '../up' }), false],
    [entry({ path: 'a/../b' }), false],
    [entry({ path: 'a/..' }), false],
    [entry({ path: 'a/..b' }), true],
    [entry({ path: '.../x' }), true],
    [entry({ path: './a//b' }), true],
    [entry({ path: 'a\\!b' }), true],
    [entry({ path: 'c:/x' }), false],
    [entry({ sigstore: [] }), true],
    [{ models: [{ path: 'm', sigstore: [] }] }, false],
    [{ models: [ok, ok] }, true],
    [entry({ keys: [''] }), false],
    [entry({ keys: [5] }), false],
    [entry({ certificateRoots: [''] }), false],
    [entry({ keyHints: ['g'.repeat(64)] }), false],
    [entry({ sigstore: [{ identity: '', issuer: 'x' }] }), false],
    // A workflow rather than one release (signerClaims.test.ts checks the matching).
    [
      entry({ sigstore: [{ issuer: GITHUB, repository: 'acme/models', signerWorkflow: 'acme/models/.github/workflows/t.yml', sourceRef: 'refs/tags/v*' }] }),
      true,
    ],
    [entry({ sigstore: [{ issuer: GITHUB, repositoryOwner: 'acme', repositoryOwnerId: '7', trigger: 'push', runnerEnvironment: 'github-hosted' }] }), true],
    [entry({ sigstore: [{ issuer: GITHUB, identityRegex: 'https://github\\.com/acme/.*' }] }), true],
    [entry({ sigstore: [{ issuer: GITHUB, trigger: 'push' }] }), false],
    [entry({ sigstore: [{ repository: 'acme/models' }] }), false],
    [entry({ sigstore: [{ issuer: GITHUB, repository: 'acme/models', repositoryId: 'x1' }] }), false],
    [entry({ sigstore: [{ issuer: GITHUB, signerWorkflow: 'acme/models/.github/workflows/t.yml@refs/heads/main' }] }), false],
    [entry({ sigstore: [{ issuer: GITHUB, repository: 'acme' }] }), false],
    [entry({ sigstore: [{ issuer: GITHUB, identity: 'a', identityRegex: 'a' }] }), false],
    [entry({ sigstore: [{ identity: ' a', issuer: 'x' }] }), false],
    [entry({ certificateFingerprints: ['ab'.repeat(32) + ':'] }), true],
    [entry({ certificateFingerprints: ['a:' + 'b'.repeat(63)] }), true],
    [entry({ certificateFingerprints: ['ab'.repeat(31)] }), false],
    [entry({ certificateFingerprints: ['ab'.repeat(32) + 'a'] }), false],
    [{ models: null }, false],
    [{ $schema: 1 }, false],
    [[], false],
  ];

  it('is draft-07', () => assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#'));

  // VS Code resolves no $ref in a setting's schema (microsoft/vscode#97662), so package.json holds a copy.
  it("the setting's schema is the file's models list, $refs inlined", () => {
    const definitions = schema.definitions!;
    const inline = (s: unknown): unknown => {
      if (Array.isArray(s)) return s.map(inline);
      if (typeof s !== 'object' || s === null) return s;
      const ref = (s as { $ref?: string }).$ref;
      if (ref) return inline(definitions[ref.replace('#/definitions/', '')]);
      return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, inline(v)]));
    };
    const models = schema.properties!['models']!;
    assert.deepEqual(
      setting!.items,
      inline(definitions['entry']),
      "copy media/model-signing.schema.json's definitions.entry, $refs inlined, to the setting's items",
    );
    assert.equal(setting!.type, models.type);
    assert.deepEqual(setting!.default, models.default);
  });

  it('the file schema, the setting schema and the parser agree on every sample', () => {
    for (const [doc, valid] of samples) {
      const what = JSON.stringify(doc);
      let parsed = true;
      try {
        parsePolicy(doc, { workspaceRoot: '/ws' });
      } catch (e) {
        assert.ok(e instanceof ModelSigningError && e.code === 'POLICY_INVALID', `${what}: ${String(e)}`);
        parsed = false;
      }
      assert.equal(parsed, valid, `parser: ${what}`);
      assert.equal(validate(schema, doc).length === 0, valid, `file schema: ${what}`);
      const models = (doc as { models?: unknown }).models;
      const topLevelOnly = Object.keys(doc as object).some((k) => k !== 'models');
      if (models !== undefined && !topLevelOnly) assert.equal(validate(settingSchema, models).length === 0, valid, `setting schema: ${what}`);
    }
  });
});

/** The part of draft-07 the schema uses. */
interface JsonSchema {
  $schema?: string;
  $ref?: string;
  definitions?: Record<string, JsonSchema>;
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  minItems?: number;
  minLength?: number;
  pattern?: string;
  anyOf?: JsonSchema[];
  not?: JsonSchema;
  default?: unknown;
}

/** Checks a value against the keywords of JsonSchema ($ref only to #/definitions); returns the JSON paths of the failures. */
function validate(root: JsonSchema, value: unknown, schema: JsonSchema = root, at = '$'): string[] {
  if (schema.$ref) return validate(root, value, definition(root, schema.$ref), at);
  const errors: string[] = [];
  const type = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  if (schema.type && schema.type !== type) return [`${at}: not ${schema.type}`];
  if (schema.anyOf && !schema.anyOf.some((s) => validate(root, value, s, at).length === 0)) errors.push(`${at}: anyOf`);
  if (schema.not && validate(root, value, schema.not, at).length === 0) errors.push(`${at}: not`);
  if (type === 'string') {
    const s = value as string;
    if (schema.minLength !== undefined && Array.from(s).length < schema.minLength) errors.push(`${at}: minLength`);
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(s)) errors.push(`${at}: pattern`);
  }
  if (type === 'array') {
    const a = value as unknown[];
    if (schema.minItems !== undefined && a.length < schema.minItems) errors.push(`${at}: minItems`);
    if (schema.items) a.forEach((v, i) => errors.push(...validate(root, v, schema.items, `${at}[${i}]`)));
  }
  if (type === 'object') {
    const o = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in o)) errors.push(`${at}.${r}: required`);
    for (const [k, v] of Object.entries(o)) {
      const sub = schema.properties?.[k];
      if (sub) errors.push(...validate(root, v, sub, `${at}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${at}.${k}: not allowed`);
    }
  }
  return errors;
}

function definition(root: JsonSchema, ref: string): JsonSchema {
  const found = root.definitions?.[ref.replace('#/definitions/', '')];
  assert.ok(found, `${ref}: no such definition`);
  return found;
}
