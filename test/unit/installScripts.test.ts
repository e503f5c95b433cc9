// `npm ci` prints no install-script warnings: npm 11 skips a dependency's install scripts unless
// package.json's allowScripts names it, and warns about each one it does not name. None is needed
// (esbuild's binary comes as an optional dependency; vsce-sign and keytar serve publishing only),
// so each is named and denied.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from '../helpers/fixtures';

interface Lock {
  packages: Record<string, { hasInstallScript?: boolean }>;
}

describe('npm ci', () => {
  it('every locked package with an install script is named in allowScripts, and denied', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as Lock;
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([where]) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length));
    assert.ok(withScripts.length > 0);
    for (const name of withScripts) assert.equal(pkg.allowScripts?.[name], false, `${name}: add "${name}": false to allowScripts`);
  });
});
