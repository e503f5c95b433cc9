import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { REPO } from '../helpers/fixtures';

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import|import\(|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

const CORE = path.join(REPO, 'src/core');

/**
 * Core's parts, lowest first: each may import only itself and the parts before it.
 * A file directly in src/core is a part of its own (errors.ts is `errors`). No two
 * parts share a level: a policy is read without knowing the methods, and each signing
 * method matches and pins its own policy entries.
 */
const CORE_ORDER: readonly string[] = [
  'display',
  'units',
  'errors',
  'abort',
  'lazyModule',
  'io',
  'formats',
  'huggingface',
  'hashing',
  'manifest',
  'signing',
  'pkcs11',
  'verifying',
  'sigstore',
  'policy',
  'methods',
  'provenance',
  'hub',
  'index',
];
const LEVEL = new Map(CORE_ORDER.map((part, level) => [part, level] as const));

function corePart(file: string): string {
  return path.relative(CORE, file).split(path.sep)[0]!.replace(/\.ts$/, '');
}

/** The core files a core file imports (relative specifiers resolved to their .ts file). */
function coreImports(file: string): string[] {
  return imports(file)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => path.resolve(path.dirname(file), spec))
    .map((target) => (fs.existsSync(`${target}.ts`) ? `${target}.ts` : target.endsWith('.json') ? target : path.join(target, 'index.ts')))
    .filter((target) => target.startsWith(CORE + path.sep));
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

it('inside core, imports go down the order of its parts', () => {
  for (const f of sources(CORE)) {
    const from = LEVEL.get(corePart(f));
    assert.ok(from !== undefined, `${f}: add its part to CORE_ORDER`);
    for (const target of coreImports(f)) {
      assert.ok(fs.existsSync(target), `${f} imports ${target}, which is not there`);
      const to = LEVEL.get(corePart(target))!;
      assert.ok(to <= from, `${path.relative(CORE, f)} (${corePart(f)}) imports ${path.relative(CORE, target)} (${corePart(target)}), a later part`);
    }
  }
});

it('core has no import cycle', () => {
  const graph = new Map(sources(CORE).map((f) => [f, coreImports(f)]));
  const done = new Set<string>();
  const visit = (f: string, trail: string[]): void => {
    const at = trail.indexOf(f);
    assert.equal(
      at,
      -1,
      `import cycle: ${trail
        .slice(at)
        .concat(f)
        .map((t) => path.relative(CORE, t))
        .join(' -> ')}`,
    );
    if (done.has(f)) return;
    for (const target of graph.get(f) ?? []) visit(target, [...trail, f]);
    done.add(f);
  };
  for (const f of graph.keys()) visit(f, []);
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

it('the webview page scripts import only each other and, as types, the messages they share with the extension', () => {
  const webview = sources(path.join(REPO, 'src/webview'));
  assert.ok(webview.length > 0);
  for (const f of webview) {
    const text = fs.readFileSync(f, 'utf8');
    assert.doesNotMatch(text, /\binnerHTML\b|outerHTML|insertAdjacentHTML|document\.write/, `${f} parses HTML: use textContent`);
    for (const spec of imports(f)) {
      const target = path.resolve(path.dirname(f), spec);
      if (target.startsWith(path.join(REPO, 'src/webview') + path.sep)) continue;
      assert.equal(target, path.join(REPO, 'src/extension/provenanceMessages'), `${f} imports ${spec}`);
      assert.match(text, new RegExp(`import type [^;]+ from '${spec}';`), `${f} imports ${spec} for its types only`);
    }
  }
});
