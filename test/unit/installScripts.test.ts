// `npm ci` prints no install-script warnings: npm 11 warns about each dependency install script that
// package.json's allowScripts does not name. One is needed: pkcs11js builds its Node-API addon with
// node-gyp (against the Node headers the machine has). The others are not (esbuild's binary comes as an
// optional dependency; vsce-sign and keytar serve publishing only), so each is named and denied.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from '../helpers/fixtures';

interface Lock {
  packages: Record<string, { hasInstallScript?: boolean }>;
}

describe('npm ci', () => {
  it('every locked package with an install script is named in allowScripts, and denied unless it builds an addon we load', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as Lock;
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([where]) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length));
    assert.ok(withScripts.length > 0);
    const allowed = new Set(['pkcs11js']);
    for (const name of withScripts) assert.equal(pkg.allowScripts?.[name], allowed.has(name), `${name}: add "${name}": ${allowed.has(name)} to allowScripts`);
  });
});
