import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { REPO } from '../helpers/fixtures';

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

it('imports go one way: core knows nothing of vscode, the CLI or the extension; the worker only of core hashing', () => {
  const core = sources(path.join(REPO, 'src/core'));
  assert.ok(core.length > 10);
  for (const f of core) {
    for (const spec of imports(f)) {
      assert.notEqual(spec, 'vscode', `${f} imports vscode`);
      assert.ok(!/\/(cli|extension|worker)\//.test(spec) && !/^\.\.\/\.\.\/(cli|extension)/.test(spec), `${f} imports ${spec}`);
    }
  }
  for (const f of sources(path.join(REPO, 'src/worker'))) {
    for (const spec of imports(f)) {
      assert.ok(spec.startsWith('node:') || spec.startsWith('../core/errors') || spec.startsWith('../core/hashing/'), `${f} imports ${spec}`);
    }
  }
  for (const f of sources(path.join(REPO, 'src/cli'))) {
    for (const spec of imports(f)) assert.ok(!spec.includes('extension') && spec !== 'vscode', `${f} imports ${spec}`);
  }
});

it('the CLI writes to the terminal only through terminal.ts, which takes SafeText (untrusted values escaped)', () => {
  for (const f of sources(path.join(REPO, 'src/cli'))) {
    if (path.basename(f) === 'terminal.ts') continue;
    const text = fs.readFileSync(f, 'utf8');
    assert.doesNotMatch(text, /process\.(stdout|stderr)\.write|console\.(log|error|warn|info)/, `${f} writes to the terminal itself`);
  }
});

it('the extension notifies only through notify.ts, which takes SafeText', () => {
  for (const f of sources(path.join(REPO, 'src/extension'))) {
    if (path.basename(f) === 'notify.ts') continue;
    assert.doesNotMatch(fs.readFileSync(f, 'utf8'), /window\.show(Information|Warning|Error)Message/, `${f} shows a notification itself`);
  }
});
