// `npm start` as a new user meets it: loading it prints nothing of a test runner, and Ctrl-C keeps
// the workspace (what the user signed) and says where, removing the rest of the run's folder.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { cleanUpRun, keptMessage } from '../demo/session';
import { REPO, tempDir } from '../helpers/fixtures';

describe('npm start (test/demo/vscode.ts)', () => {
  it('loads its modules without printing a test report (no node:test hook outside the tests)', () => {
    const modules = ['e2e/keylessModel', 'e2e/sampleProvenance', 'e2e/codeServer', 'e2e/vsix', 'e2e/workspace', 'demo/session'];
    const script = `${modules.map((m) => `require(${JSON.stringify(path.join(REPO, 'test', m))});`).join('')}console.log('loaded');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: REPO, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'loaded\n');
  });

  it('keeps the workspace and what verifies its signatures, and says where; removes the editor data and the tokens', () => {
    const run = tempDir();
    fs.mkdirSync(path.join(run, 'model-workspace', 'tiny-model'), { recursive: true });
    fs.writeFileSync(path.join(run, 'model-workspace', 'tiny-model', 'model.sig'), '{}');
    fs.writeFileSync(path.join(run, 'local-sigstore.json'), '{}');
    fs.writeFileSync(path.join(run, 'identity-token.txt'), 'secret');
    fs.mkdirSync(path.join(run, 'user-data'));
    const keep = [
      { name: 'model-workspace', what: 'the workspace' },
      { name: 'local-sigstore.json', what: 'the trust config' },
      { name: 'signing-key.pem', what: 'the key' },
    ];
    const kept = cleanUpRun(run, keep);
    assert.deepEqual(fs.readdirSync(run).sort(), ['local-sigstore.json', 'model-workspace']);
    assert.ok(fs.existsSync(path.join(run, 'model-workspace', 'tiny-model', 'model.sig')));
    assert.equal(
      keptMessage(run, kept),
      `Kept (delete them when you are done):\n  ${path.join(run, 'model-workspace')}  the workspace\n  ${path.join(run, 'local-sigstore.json')}  the trust config`,
    );
    assert.equal(keptMessage(run, cleanUpRun(run, [])), `Removed ${run}.`);
    assert.ok(!fs.existsSync(run));
  });
});
