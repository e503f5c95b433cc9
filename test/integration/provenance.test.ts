/// <reference types="mocha" />
// The provenance viewer inside the real extension host: Open Provenance on a provenance file made
// here (an SLSA v1 statement signed with a key), the panel's locked-down page, the data the page
// is sent, the refusal of non-http(s) links, and a model file changed on disk updating the mark.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { name, publisher } from '../../package.json';
import { KeySigner } from '../../src/core/signing/keySigner';
import { serializeBundle } from '../../src/core/signing/bundle';
import type { ProvenancePanel } from '../../src/extension/provenancePanel';
import type { ProvenanceView, SubjectView } from '../../src/extension/provenanceView';
import type { ProvenanceStatement } from '../helpers/fixtures';

const HOSTILE_BUILDER = '<img src=x onerror=alert(1)>';
const HOSTILE_SUBJECT = '<script>alert(1)</script>';
const sha256 = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');

/** A safetensors file with one F32 tensor of 2×2. */
function safetensors(): Buffer {
  let header = JSON.stringify({ weight: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } });
  header += ' '.repeat((8 - (header.length % 8)) % 8);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([size, Buffer.from(header), Buffer.alloc(16, 1)]);
}

interface Fixture {
  model: string;
  provenance: string;
  publicKey: string;
  files: Record<string, Buffer>;
}

/** A model folder in the workspace and `<model>.sigstore.json` beside it, signed with a fresh P-256 key. */
async function makeProvenance(): Promise<Fixture> {
  const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const model = path.join(root, 'provenance-model');
  fs.mkdirSync(model, { recursive: true });
  const files = { 'model.safetensors': safetensors(), 'config.json': Buffer.from('{"hidden_size": 2}\n') };
  for (const [f, content] of Object.entries(files)) fs.writeFileSync(path.join(model, f), content);
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [
      ...Object.entries(files).map(([f, content]) => ({ name: f, digest: { sha256: sha256(content) } })),
      { name: HOSTILE_SUBJECT, digest: { sha256: sha256('nothing on disk') } },
    ],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: {
      buildDefinition: {
        buildType: 'https://actions.github.io/buildtypes/workflow/v1',
        externalParameters: {
          workflow: { ref: 'refs/heads/main', repository: 'https://github.com/acme/trainer', path: '.github/workflows/train.yml' },
          note: HOSTILE_SUBJECT,
        },
        internalParameters: { github: { event_name: 'workflow_dispatch', runner_environment: 'github-hosted' } },
        resolvedDependencies: [{ uri: 'git+https://github.com/acme/trainer@refs/heads/main', digest: { gitCommit: 'c0ffee'.padEnd(40, '0') } }],
      },
      runDetails: { builder: { id: HOSTILE_BUILDER }, metadata: { invocationId: 'javascript:alert(1)' } },
    },
  };
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const bundle = await new KeySigner(privateKey).sign(Buffer.from(JSON.stringify(statement)));
  const provenance = path.join(root, 'provenance-model.sigstore.json');
  fs.writeFileSync(provenance, serializeBundle(bundle));
  const keyFile = path.join(root, '..', 'provenance-key.pub');
  fs.writeFileSync(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return { model, provenance, publicKey: keyFile, files };
}

/** Resolves with the first view, from now on, that `check` accepts. */
function nextView(panel: ProvenancePanel, what: string, check: (v: ProvenanceView) => boolean, ms = 30_000): Promise<ProvenanceView> {
  if (panel.delivered && check(panel.delivered)) return Promise.resolve(panel.delivered);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`${what}: not within ${ms} ms; last view: ${JSON.stringify(panel.delivered?.statements[0]?.subjects.map((s) => [s.name, s.mark]))}`));
    }, ms);
    const sub = panel.onDidDeliver((v) => {
      if (!check(v)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(v);
    });
  });
}

const subject = (v: ProvenanceView, n: string): SubjectView | undefined => v.statements[0]?.subjects.find((s) => s.name === n);

suite('Provenance viewer', () => {
  let fixture: Fixture;
  let panel: ProvenancePanel;

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension(`${publisher}.${name}`)!;
    if (!ext.isActive) await ext.activate();
    fixture = await makeProvenance();
  });

  suiteTeardown(() => panel?.dispose());

  test('Open Provenance is contributed to the palette and the Explorer menu for provenance files', async () => {
    assert.ok((await vscode.commands.getCommands(true)).includes('modelSigning.openProvenance'));
    const pkg = vscode.extensions.getExtension(`${publisher}.${name}`)!.packageJSON as {
      contributes: { menus: Record<string, Array<{ command: string; when?: string }>> };
    };
    const item = pkg.contributes.menus['explorer/context']!.find((m) => m.command === 'modelSigning.openProvenance');
    assert.ok(item?.when?.includes('resourceFilename'), 'an Explorer menu item limited to provenance file names');
  });

  test('opens a panel with a nonce-only Content-Security-Policy and posts the report to the page', async () => {
    const opened = await vscode.commands.executeCommand<ProvenancePanel>('modelSigning.openProvenance', vscode.Uri.file(fixture.provenance), {
      publicKey: fixture.publicKey,
    });
    assert.ok(opened, 'the command returns the panel');
    panel = opened;
    assert.equal(panel.panel.title, 'Provenance: provenance-model.sigstore.json');
    // The model named like the file, beside it, is the default model.
    assert.equal(panel.modelPath, fixture.model);

    const html = panel.html;
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.ok(csp, 'a CSP meta tag');
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    assert.ok(nonce && nonce.length >= 22, `a nonce of 128 bits in ${csp}`);
    // Styles and images from the webview's own resource origin only; scripts only with the nonce.
    const own = panel.panel.webview.cspSource;
    assert.equal(csp, `default-src 'none'; style-src ${own}; script-src 'nonce-${nonce}'; img-src ${own}`);
    assert.doesNotMatch(csp, /unsafe-|data:|blob:/);
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
    assert.equal(scripts.length, 1);
    assert.ok(scripts[0]!.includes(`nonce="${nonce}"`), 'the one script carries the nonce');
    assert.ok(!html.includes('onerror') && !html.includes('acme'), 'no provenance data in the HTML itself');
    const options = panel.panel.webview.options;
    assert.equal(options.enableScripts, true);
    assert.deepEqual(
      options.localResourceRoots?.map((u) => path.relative(vscode.extensions.getExtension(`${publisher}.${name}`)!.extensionUri.fsPath, u.fsPath)),
      [path.join('media', 'provenance'), path.join('dist', 'webview')],
    );

    // The page asked for the data (ready) and the extension delivered it.
    const view = await nextView(panel, 'a view with the subjects checked', (v) => v.statements.length === 1 && subject(v, 'config.json')?.mark === 'file');
    const st = view.statements[0]!;
    assert.equal(st.builderId, HOSTILE_BUILDER);
    assert.equal(st.predicateType, 'https://slsa.dev/provenance/v1');
    assert.equal(st.signature.status, 'verified', st.signature.label);
    assert.equal(st.signature.method, 'key');
    assert.equal(st.trigger, 'workflow_dispatch');
    assert.equal(st.dependencies.length, 1);
    assert.equal(st.dependencies[0]!.label.url, 'https://github.com/acme/trainer');
    assert.deepEqual(st.dependencies[0]!.digests, [`gitCommit:${'c0ffee'.padEnd(40, '0')}`]);
    const statement = JSON.parse(st.rawStatement) as ProvenanceStatement;
    assert.deepEqual(
      st.subjects.map((s) => s.name),
      statement.subject.map((s: { name: string }) => s.name),
    );
    for (const [f, content] of Object.entries(fixture.files)) {
      const s = subject(view, f)!;
      assert.equal(s.mark, 'file', `${f}: ${s.detail}`);
      assert.deepEqual(s.digests, [`sha256:${sha256(content)}`]);
      assert.deepEqual(s.files, [f]);
    }
    assert.equal(subject(view, 'model.safetensors')?.format?.summary, 'safetensors, 1 tensor, 4 parameters, F32');
    assert.equal(subject(view, HOSTILE_SUBJECT)?.mark, 'none');
    // A run link that is javascript: is text only.
    assert.equal(st.run?.url, undefined);
    assert.deepEqual(st.parameters, statement.predicate.buildDefinition.externalParameters);
  });

  test('a model file changed on disk turns its subject to changed, and back when restored', async () => {
    const file = path.join(fixture.model, 'config.json');
    fs.writeFileSync(file, '{"hidden_size": 3}\n');
    const t0 = Date.now();
    const changed = await nextView(panel, 'config.json marked changed', (v) => subject(v, 'config.json')?.mark === 'changed');
    console.log(`    subject marked changed ${Date.now() - t0} ms after the write`);
    assert.match(subject(changed, 'config.json')!.detail, /config\.json has another digest \(changed file\)/);
    assert.equal(subject(changed, 'model.safetensors')?.mark, 'file');
    fs.writeFileSync(file, fixture.files['config.json']!);
    await nextView(panel, 'config.json matching again', (v) => subject(v, 'config.json')?.mark === 'file');
  });

  test('links other than http(s) are refused without asking; junk messages are ignored', async () => {
    for (const url of [
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      'command:workbench.action.terminal.new',
      'not a url',
    ]) {
      assert.equal(await panel.handleMessage({ type: 'openLink', url }), 'refused', url);
    }
    assert.equal(await panel.handleMessage({ type: 'openLink', url: 42 }), undefined);
    assert.equal(await panel.handleMessage('openLink'), undefined);
    assert.equal(await panel.handleMessage({ type: 'runCommand', command: 'workbench.action.quit' }), undefined);
  });

  test('opening the same file again reuses the panel; a provenance that is not provenance shows its error', async () => {
    const again = await vscode.commands.executeCommand<ProvenancePanel>('modelSigning.openProvenance', vscode.Uri.file(fixture.provenance), {
      publicKey: fixture.publicKey,
    });
    assert.equal(again, panel);
    const bogus = path.join(path.dirname(fixture.provenance), 'bogus-provenance.json');
    fs.writeFileSync(bogus, '{"not": "provenance"}');
    const other = await vscode.commands.executeCommand<ProvenancePanel>('modelSigning.openProvenance', vscode.Uri.file(bogus));
    try {
      assert.ok(other && other !== panel);
      const view = await nextView(other, 'an error view', (v) => v.error !== undefined);
      assert.equal(view.statements.length, 0);
      assert.ok(view.error!.length > 0);
    } finally {
      other?.dispose();
    }
  });
});
