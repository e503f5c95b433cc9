/// <reference types="mocha" />
// The extension and `model-signing --cache=DIR` share one digest cache folder (the setting
// modelSigning.verify.digestCacheFolder): each reuses what the other hashed. The CLI runs as a real
// child process; what was hashed is read from its "Digest cache:" line and the extension's liveHashStats.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { name, publisher } from '../../package.json';
import type { ModelSigningApi } from '../../src/extension/extension';
import { INTEGRATION_SCRATCH } from './marker';
import { waitFor } from './waitFor';
import { extensionApi } from './extensionApi';
import { writeKeyPair } from './signature';

const scratch = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, '..', INTEGRATION_SCRATCH);

/** Runs the built CLI (Node, or Electron as Node under test:electron) and returns its "Digest cache:" line. */
function cli(args: readonly string[]): string {
  const ext = vscode.extensions.getExtension(`${publisher}.${name}`)!;
  const r = spawnSync(process.execPath, [path.join(ext.extensionPath, 'dist', 'cli.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  return /^Digest cache: .*$/m.exec(r.stderr)?.[0] ?? `no cache line: ${r.stderr}`;
}

suite('A digest cache folder shared with the CLI', () => {
  let api: ModelSigningApi;
  let tmp: string;
  const config = () => vscode.workspace.getConfiguration('modelSigning');

  suiteSetup(async () => {
    api = await extensionApi();
    fs.mkdirSync(scratch, { recursive: true });
    tmp = fs.mkdtempSync(path.join(scratch, 'digest-cache-'));
  });
  suiteTeardown(async () => {
    await config().update('verify.digestCacheFolder', undefined, vscode.ConfigurationTarget.Global);
    await config().update('verify.useDigestCache', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the extension reuses what `sign --cache` hashed, and the CLI what the extension hashed', async () => {
    const model = path.join(tmp, 'model');
    fs.mkdirSync(model);
    fs.writeFileSync(path.join(model, 'weights.bin'), crypto.randomBytes(1 << 20));
    fs.writeFileSync(path.join(model, 'config.json'), '{"layers": 32}');
    fs.writeFileSync(path.join(model, 'vocab.txt'), 'a b c');
    const pub = path.join(tmp, 'key.pub');
    writeKeyPair(path.join(tmp, 'key.pem'), pub);
    // The CLI stores a file's digest once its last change is older than its racy window (100 ms).
    const written = Math.max(...fs.readdirSync(model).map((f) => fs.statSync(path.join(model, f)).ctimeMs));
    await waitFor('the files are out of the racy window', () => Date.now() > written + 100);

    const cacheDir = path.join(tmp, 'cache');
    await config().update('verify.digestCacheFolder', cacheDir, vscode.ConfigurationTarget.Global);
    await config().update('verify.useDigestCache', true, vscode.ConfigurationTarget.Global);
    const signature = path.join(model, 'model.sig');
    const signed = cli(['sign', 'key', model, '--private-key', path.join(tmp, 'key.pem'), '--signature', signature, `--cache=${cacheDir}`]);
    assert.match(signed, /: 0 of 3 digests reused .*, 3 computed /);

    // Verify Model with the cache on: the three digests come from the CLI's file.
    api.digestCacheOptions.racyWindowMs = 0;
    const before = await api.liveHashStats();
    const first = await vscode.commands.executeCommand<{ ok: boolean }>('modelSigning.verifyModel', vscode.Uri.file(model), { publicKey: pub });
    assert.equal(first?.ok, true);
    const after = await api.liveHashStats();
    assert.equal(after.hits - before.hits, 3, 'three digests from the CLI');
    assert.equal(after.bytesHashed - before.bytesHashed, 0);

    // One file changes: the extension hashes it and stores its digest in the shared folder; the CLI then hashes nothing.
    fs.writeFileSync(path.join(model, 'config.json'), '{"layers": 31}');
    const second = await vscode.commands.executeCommand<{ ok: boolean }>('modelSigning.verifyModel', vscode.Uri.file(model), { publicKey: pub });
    assert.equal(second?.ok, false);
    // Only config.json, once by Verify Model and perhaps once more by the live badge, which watches the model now.
    const hashed = (await api.liveHashStats()).bytesHashed - after.bytesHashed;
    assert.ok(hashed > 0 && hashed % 14 === 0 && hashed <= 28, `${hashed} bytes hashed`);
    assert.match(cli(['digest', model, '--ignore-paths', signature, `--cache=${cacheDir}`]), /: 3 of 3 digests reused .*, 0 computed /);
  });
});
