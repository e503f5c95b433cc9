// Bundles the extension, the hashing worker and the CLI to dist/ (CommonJS, Node 20).
import * as esbuild from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // ESM builds first, so unused code of hash-wasm and pkijs is dropped (the worker bundle goes from 267 KB to a few KB).
  mainFields: ['module', 'main'],
  define: { __VERSION__: JSON.stringify(version) },
  // pkcs11js's Node-API addon: copied beside the bundle as pkcs11.node and required from there, only when a
  // PKCS #11 method is used (core imports pkcs11js lazily). Node-API is ABI-stable: the same file loads in
  // Node and in VS Code's Electron extension host, on the platform it was built for.
  loader: { '.node': 'copy' },
  assetNames: '[name]',
};

// Core's keyless method requires ./sigstoreStack on first use; in dist/cli.js that require goes to
// dist/sigstore.js (which re-exports it), so the Sigstore stack stays out of the CLI's start path.
const sigstoreApart = {
  name: 'sigstore-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/sigstoreStack$/ }, () => ({ path: './sigstore.js', external: true }));
  },
};

const builds = [
  // Only the extension may import `vscode`: in the worker and the CLI an import of it fails the build.
  // The extension in two bundles: what activation needs, and the commands with the core, loaded on first use.
  // make-fetch-happen hangs under the extension host's proxy agents: the host's fetch stands in (src/extension/hostFetch.ts).
  {
    ...common,
    entryPoints: { extension: 'src/extension/extension.ts', commands: 'src/extension/commands.ts' },
    outdir: 'dist',
    external: ['vscode'],
    alias: { 'make-fetch-happen': './src/extension/hostFetch.ts' },
  },
  { ...common, entryPoints: { hashWorker: 'src/worker/hashWorker.ts' }, outdir: 'dist' },
  { ...common, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' }, plugins: [sigstoreApart] },
  // The CLI's keyless method, loaded by dist/cli.js when it is used.
  { ...common, entryPoints: { sigstore: 'src/cli/sigstoreMethod.ts' }, outdir: 'dist' },
  // `provenance verify|show`, also loaded by dist/cli.js only when used.
  { ...common, entryPoints: { provenance: 'src/cli/provenance.ts' }, outdir: 'dist' },
  // The provenance panel's page script, for the webview's browser: one IIFE, no Node, no vscode.
  // Its own folder, which is all of dist/ the webview may load (the panel's localResourceRoots).
  {
    entryPoints: { provenance: 'src/webview/provenance/main.ts' },
    outdir: 'dist/webview',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
  },
];

// The integration suite, run inside the extension host: the mocha runner (index.ts) and every
// *.test.ts, side by side in dist/test/integration (index.js finds the tests there). mocha is
// loaded from node_modules at run time. Left out of --production builds.
if (!production) {
  const integration = ['index.ts', ...readdirSync('test/integration').filter((f) => f.endsWith('.test.ts'))];
  builds.push({
    ...common,
    entryPoints: Object.fromEntries(integration.map((f) => [f.replace(/\.ts$/, ''), `test/integration/${f}`])),
    outdir: 'dist/test/integration',
    external: ['vscode', 'mocha'],
  });
}

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[watch] build started');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
