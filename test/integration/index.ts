// The mocha runner the extension host loads: VS Code requires the module named by
// extensionTestsPath (dist/test/integration/index.js) and awaits its run(). Used by both
// test/e2e/runVsCode.ts (code-server, through the workbench URL's payload) and
// runTestElectron.ts (@vscode/test-electron). mocha is loaded from the extension's node_modules.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { name, publisher } from '../../package.json';
import type { ModelSigningApi } from '../../src/extension/extension';
import { START_MARKER } from './marker';

export async function run(): Promise<void> {
  // The models found as the workspace opened are verified in the background: let that pass end
  // first, so no suite's own Verify Model races it on the same model.
  const ext = vscode.extensions.getExtension<ModelSigningApi>(`${publisher}.${name}`);
  await (ext?.isActive ? ext.exports : await ext?.activate())?.verifiedOnOpen;
  // Generous per-test timeout: a loaded 2-core machine is slow, and a timeout is only for a test that hangs.
  const mocha = new Mocha({ ui: 'tdd', reporter: 'spec', color: false, timeout: 60_000 });
  // Every suite bundled next to this file (esbuild.mjs builds test/integration/*.test.ts here).
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const file of files) mocha.addFile(join(__dirname, file));
  console.log(`${START_MARKER} ${files.join(', ')} in VS Code ${vscode.version}, Node ${process.versions.node}`);
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} integration test(s) failed`)) : resolve()));
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
