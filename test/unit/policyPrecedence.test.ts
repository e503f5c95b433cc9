import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PolicyLayer, PolicyOrigin, findGoverningPolicy, parsePolicy } from '../../src/core';
import { tempDir } from '../helpers/fixtures';

const GITHUB = 'https://github.com/login/oauth';
const root = tempDir();
const model = path.join(root, 'models', 'llama-7b');

function layer(origin: PolicyOrigin, glob: string, identity: string): PolicyLayer {
  return { origin, policy: parsePolicy({ models: [{ path: glob, sigstore: [{ identity, issuer: GITHUB }] }] }, { workspaceRoot: root, source: origin }) };
}

describe('policy precedence: user settings, then the workspace file, then workspace settings', () => {
  it("the user's policy governs a model the workspace file names too, even with a more specific glob", () => {
    const found = findGoverningPolicy(root, model, [
      layer('workspaceFile', 'models/llama-7b', 'mallory@example.com'),
      layer('user', '**', 'alice@example.com'),
    ]);
    assert.equal(found?.origin, 'user');
    assert.equal(found?.entry.sigstore[0]?.identity, 'alice@example.com');
  });

  it('the workspace file wins over workspace settings, whatever their order', () => {
    const found = findGoverningPolicy(root, model, [
      layer('workspaceSettings', 'models/llama-7b', 'mallory@example.com'),
      layer('workspaceFile', 'models/*', 'alice@example.com'),
    ]);
    assert.equal(found?.origin, 'workspaceFile');
    assert.equal(found?.entry.sigstore[0]?.identity, 'alice@example.com');
  });

  it('a layer that names no glob matching the model leaves it to the next one', () => {
    const found = findGoverningPolicy(root, model, [
      layer('user', 'vendor/**', 'alice@example.com'),
      layer('workspaceSettings', 'models/**', 'bob@example.com'),
    ]);
    assert.equal(found?.origin, 'workspaceSettings');
    assert.equal(found?.entry.sigstore[0]?.identity, 'bob@example.com');
  });

  it('within one layer, the longest literal prefix still wins', () => {
    const layers = [layer('user', '**', 'alice@example.com'), layer('user', 'models/llama-*', 'bob@example.com')];
    assert.equal(findGoverningPolicy(root, model, layers)?.entry.sigstore[0]?.identity, 'bob@example.com');
  });

  it('no layer, or a model outside the workspace folder: no policy', () => {
    assert.equal(findGoverningPolicy(root, model, []), undefined);
    assert.equal(findGoverningPolicy(root, path.join(path.dirname(root), 'elsewhere'), [layer('user', '**', 'alice@example.com')]), undefined);
  });
});
