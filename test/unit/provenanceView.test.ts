// The provenance panel's pure parts: which URLs may be links, the page's CSP, the messages the
// page may send, where a model's provenance is found, and the view made from real reports.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { KeySigner } from '../../src/core/signing/keySigner';
import { serializeBundle } from '../../src/core/signing/bundle';
import { verifyProvenance } from '../../src/core/provenance';
import { contentSecurityPolicy, newNonce, panelHtml } from '../../src/extension/provenanceHtml';
import { parseWebviewMessage } from '../../src/extension/provenanceMessages';
import { defaultModelFor, isProvenanceFile, provenanceFilesOf } from '../../src/extension/provenanceFiles';
import { errorView, formatSummary, hintControls, repositoryUrl, safeUrl, toProvenanceView } from '../../src/extension/provenanceView';
import { hintFlags } from '../../src/cli/provenanceReport';
import { tempDir } from '../helpers/fixtures';
import { UNSAFE_CHARS } from '../helpers/unsafeText';

const HOSTILE = { script: '<script>alert(1)</script>', img: '<img src=x onerror=alert(1)>', js: 'javascript:alert(1)' };
const sha256 = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');

describe('provenance view: links', () => {
  it('only http(s) URLs become links', () => {
    assert.equal(safeUrl('https://github.com/o/r'), 'https://github.com/o/r');
    assert.equal(safeUrl('http://example.com/x?y=1'), 'http://example.com/x?y=1');
    for (const bad of [
      HOSTILE.js,
      'JAVASCRIPT:alert(1)',
      ' javascript:alert(1)',
      'data:text/html,<b>x</b>',
      'file:///etc/passwd',
      'vscode://x',
      'command:workbench.action.quit',
      '//evil.example',
      'github.com/o/r',
      '',
      undefined,
    ]) {
      assert.equal(safeUrl(bad), undefined, String(bad));
    }
  });

  it('repository pages from the ways provenance names a source', () => {
    assert.equal(repositoryUrl('git+https://github.com/o/r@refs/tags/v1'), 'https://github.com/o/r');
    assert.equal(repositoryUrl('https://github.com/o/r.git'), 'https://github.com/o/r');
    assert.equal(repositoryUrl('github.com/o/r'), 'https://github.com/o/r');
    assert.equal(repositoryUrl(`git+${HOSTILE.js}`), undefined);
    assert.equal(repositoryUrl(HOSTILE.js), undefined);
  });
});

describe('provenance view: the page', () => {
  it('a nonce-only CSP with nothing remote, and the one script carrying the nonce', () => {
    const nonce = newNonce();
    assert.equal(Buffer.from(nonce, 'base64').length, 16);
    assert.notEqual(newNonce(), nonce);
    const csp = contentSecurityPolicy('https://x.vscode-cdn.net', nonce);
    assert.equal(csp, `default-src 'none'; style-src https://x.vscode-cdn.net; script-src 'nonce-${nonce}'; img-src https://x.vscode-cdn.net`);
    const html = panelHtml({
      cspSource: 'https://x.vscode-cdn.net',
      styleUri: 'https://x.vscode-cdn.net/p.css',
      scriptUri: 'https://x.vscode-cdn.net/p.js',
      nonce,
      title: `Provenance: ${HOSTILE.img}`,
    });
    assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${csp}">`));
    assert.equal([...html.matchAll(/<script\b/g)].length, 1);
    assert.ok(html.includes(`<script nonce="${nonce}" src="https://x.vscode-cdn.net/p.js"></script>`));
    assert.ok(!html.includes('<img'), 'the title is escaped');
  });

  it('messages from the page are checked: unknown types and wrong shapes are dropped', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseWebviewMessage({ type: 'openLink', url: 'https://a' }), { type: 'openLink', url: 'https://a' });
    assert.deepEqual(parseWebviewMessage({ type: 'refresh', extra: 1 }), { type: 'refresh' });
    assert.deepEqual(parseWebviewMessage({ type: 'setPolicy', sourceUri: 'injected' }), { type: 'setPolicy' });
    for (const junk of [null, 'ready', 42, {}, { type: 'openLink' }, { type: 'openLink', url: {} }, { type: 'exec', command: 'x' }])
      assert.equal(parseWebviewMessage(junk), undefined);
  });
});

describe('provenance view: files', () => {
  it('recognises provenance file names', () => {
    for (const n of [
      'm.intoto.jsonl',
      'a.sigstore',
      'a.sigstore.json',
      'x.build.slsa',
      'provenance.json',
      'model-provenance.json',
      'a.slsa.json',
      'dir/My.Provenance.JSON',
    ])
      assert.ok(isProvenanceFile(n), n);
    for (const n of ['model.sig', 'config.json', 'a.jsonl', 'provenance.txt', 'weights.bin']) assert.ok(!isProvenanceFile(n), n);
  });

  it("finds a model's provenance inside it and beside it, and the model a provenance file names", () => {
    const dir = tempDir();
    const model = path.join(dir, 'llm');
    fs.mkdirSync(model);
    for (const f of ['llm.intoto.jsonl', 'llm-provenance.json', 'other.sigstore', 'llm.txt']) fs.writeFileSync(path.join(dir, f), '');
    fs.writeFileSync(path.join(model, 'provenance.json'), '');
    fs.writeFileSync(path.join(model, 'weights.bin'), '');
    assert.deepEqual(provenanceFilesOf(model), [
      path.join(model, 'provenance.json'),
      path.join(dir, 'llm-provenance.json'),
      path.join(dir, 'llm.intoto.jsonl'),
    ]);
    assert.equal(defaultModelFor(path.join(dir, 'llm.intoto.jsonl')), model);
    assert.equal(defaultModelFor(path.join(dir, 'llm-provenance.json')), model);
    assert.equal(defaultModelFor(path.join(dir, 'other.sigstore')), dir);
    assert.equal(defaultModelFor(path.join(model, 'provenance.json')), model);
    fs.writeFileSync(path.join(dir, 'model.pt'), '');
    assert.equal(defaultModelFor(path.join(dir, 'model.pt.sigstore')), path.join(dir, 'model.pt'));
  });
});

describe('provenance view: from a real report', () => {
  it('hostile strings stay data, subjects carry their marks and formats, javascript: URLs are no links', async () => {
    const dir = tempDir();
    const model = path.join(dir, 'model');
    fs.mkdirSync(model);
    let header = JSON.stringify({ w: { dtype: 'F16', shape: [3], data_offsets: [0, 6] } });
    header += ' '.repeat((8 - (header.length % 8)) % 8);
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(header.length));
    const weights = Buffer.concat([size, Buffer.from(header), Buffer.alloc(6, 2)]);
    fs.writeFileSync(path.join(model, 'model.safetensors'), weights);
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [
        { name: 'model.safetensors', digest: { sha256: sha256(weights) } },
        { name: HOSTILE.script, digest: { sha256: sha256('x') } },
      ],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: {
        buildDefinition: {
          buildType: HOSTILE.js,
          externalParameters: { [HOSTILE.img]: HOSTILE.script, source: { uri: HOSTILE.js } },
          resolvedDependencies: [
            { uri: `git+${HOSTILE.js}`, digest: { gitCommit: 'a'.repeat(40) } },
            { uri: 'git+https://github.com/o/r@refs/heads/main', digest: { gitCommit: 'b'.repeat(40) } },
          ],
        },
        runDetails: { builder: { id: HOSTILE.img }, metadata: { invocationId: HOSTILE.js } },
      },
    };
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const file = path.join(dir, 'model.sigstore.json');
    fs.writeFileSync(file, serializeBundle(await new KeySigner(privateKey).sign(Buffer.from(JSON.stringify(statement)))));
    const pub = path.join(dir, 'key.pub');
    fs.writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));

    const reports = await verifyProvenance(file, { modelPath: model, publicKeyPath: pub });
    const view = toProvenanceView(reports, { file, modelPath: model, trust: 'test' });
    const st = view.statements[0]!;
    assert.equal(st.builderId, HOSTILE.img);
    assert.equal(st.signature.status, 'verified');
    assert.equal(st.run?.url, undefined);
    assert.equal(st.dependencies[0]!.label.url, undefined);
    assert.equal(st.dependencies[1]!.label.url, 'https://github.com/o/r');
    assert.deepEqual(st.parameters, statement.predicate.buildDefinition.externalParameters);
    const [weightsSubject, hostile] = st.subjects;
    assert.equal(weightsSubject!.mark, 'file');
    assert.equal(weightsSubject!.format?.summary, 'safetensors, 1 tensor, 3 parameters, F16');
    assert.equal(hostile!.name, HOSTILE.script);
    assert.equal(hostile!.mark, 'none');
    assert.deepEqual(JSON.parse(st.rawStatement), statement);
    // The whole view survives postMessage's structured clone as JSON would.
    assert.deepEqual(JSON.parse(JSON.stringify(view)), view);

    // Without a model, subjects are listed unchecked.
    const unchecked = toProvenanceView(await verifyProvenance(file, { publicKeyPath: pub }), { file, trust: 'test' });
    assert.deepEqual(
      unchecked.statements[0]!.subjects.map((s) => s.mark),
      ['unchecked', 'unchecked'],
    );
  });

  it("failure text points at the panel's own controls, never at CLI flags; the CLI words the same hint as flags", async () => {
    const dir = tempDir();
    const model = path.join(dir, 'model');
    fs.mkdirSync(model);
    fs.writeFileSync(path.join(model, 'w.bin'), 'w');
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'w.bin', digest: { sha256: sha256('w') } }],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: {},
    };
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const file = path.join(dir, 'model.sigstore.json');
    fs.writeFileSync(file, serializeBundle(await new KeySigner(privateKey).sign(Buffer.from(JSON.stringify(statement)))));
    const st = toProvenanceView(await verifyProvenance(file, { modelPath: model }), { file, modelPath: model, trust: 'test' }).statements[0]!;
    assert.match(st.signature.label, /^Failed: .*its public key is needed to check the signature; choose its public key with Verify With a Public Key…$/);
    for (const text of [st.signature.label, ...st.problems, ...st.policy.map((c) => c.message)]) assert.doesNotMatch(text, /--[a-z]/, text);
    assert.ok(
      st.problems.some((p) => p.endsWith('; choose its public key with Verify With a Public Key…')),
      st.problems.join(' | '),
    );

    const builder = {
      expect: 'builder-id',
      value: 'https://github.com/o/r/.github/workflows/t.yml',
      or: { expect: 'source-uri', value: 'github.com/o/r' },
    } as const;
    assert.equal(
      hintControls(builder),
      'set the expected builder to https://github.com/o/r/.github/workflows/t.yml with Expected Source and Builder… (or the expected source to github.com/o/r)',
    );
    assert.equal(hintControls({ expect: 'source-uri' }), 'set the expected source with Expected Source and Builder…');
    assert.equal(hintFlags(builder), 'give --builder-id https://github.com/o/r/.github/workflows/t.yml (or --source-uri github.com/o/r)');
    assert.equal(hintFlags({ expect: 'source-uri' }), 'give --source-uri URI');
  });

  it('bidi overrides and control characters in builder, subjects, parameters and file names reach the page escaped', async () => {
    const dir = tempDir();
    const clears = '\r\u001b[2KVerified\u009b2J';
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'model\u202egnp.exe', digest: { sha256: sha256('x') } }],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: {
        buildDefinition: { buildType: 'https://example.com/t', externalParameters: { [`key\u2066`]: clears } },
        runDetails: { builder: { id: `https://b.example/${clears}\u200f` } },
      },
    };
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const file = path.join(dir, 'p\u202e.sigstore.json');
    fs.writeFileSync(file, serializeBundle(await new KeySigner(privateKey).sign(Buffer.from(JSON.stringify(statement)))));
    const pub = path.join(dir, 'key.pub');
    fs.writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
    const view = toProvenanceView(await verifyProvenance(file, { publicKeyPath: pub }), { file, trust: 'test' });
    const st = view.statements[0]!;
    // Nothing unsafe anywhere in what is posted, but the raw statement's own newlines.
    assert.doesNotMatch(JSON.stringify({ ...view, statements: [{ ...st, rawStatement: '' }] }), UNSAFE_CHARS);
    assert.doesNotMatch(st.rawStatement.replace(/\n/g, ''), UNSAFE_CHARS);
    assert.equal(st.subjects[0]!.name, 'model\\u202egnp.exe');
    assert.equal(st.builderId, 'https://b.example/\\r\\x1b[2KVerified\\x9b2J\\u200f');
    assert.deepEqual(st.parameters, { 'key\\u2066': '\\r\\x1b[2KVerified\\x9b2J' });
    assert.equal(view.fileName, 'p\\u202e.sigstore.json');
    // The raw statement is still the exact statement.
    assert.deepEqual(JSON.parse(st.rawStatement), statement);
    const failed = errorView(`Cannot read ${clears}`, { file, trust: 'test' });
    assert.equal(failed.error, 'Cannot read \\r\\x1b[2KVerified\\x9b2J');
  });

  it('formats read as a label and the facts that say most', () => {
    assert.equal(
      formatSummary({ kind: 'torchscript', label: 'TorchScript', facts: { archive: 'net', tensors: 3, code_files: 1, model_class: '__torch__.Net' } }),
      'TorchScript, 3 tensors, __torch__.Net',
    );
    assert.equal(formatSummary({ kind: 'keras', label: 'Keras v3 (.keras)', facts: { class_name: 'Sequential' } }), 'Keras v3 (.keras), Sequential');
  });
});
