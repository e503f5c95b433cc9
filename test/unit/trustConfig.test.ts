// Which Sigstore trust root is used, and what a broken one is: a trust config
// file (--trust-config, modelSigning.sigstore.trustConfig) that is not usable
// is TRUST_CONFIG_INVALID naming the file; a broken refreshed copy in the TUF
// cache is passed over for the built-in root. No network: no refresh is due.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FormatError } from '../../src/core/errors';
import { CLIENT_TRUST_CONFIG_MEDIA_TYPE, loadTrustConfig, productionTrustConfig, resolveTrustConfig } from '../../src/core/sigstore/trustConfig';
import { tempDir } from '../helpers/fixtures';

/** Before the built-in TUF root expires: resolving never tries the network. */
const NOW = new Date('2024-06-01T00:00:00Z');

function trustConfigFile(trustedRoot: unknown): string {
  const file = path.join(tempDir(), 'trust_config.json');
  fs.writeFileSync(file, JSON.stringify({ mediaType: CLIENT_TRUST_CONFIG_MEDIA_TYPE, trustedRoot }));
  return file;
}

function assertInvalid(fn: () => unknown, file: string | undefined, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FormatError, String(e));
    assert.equal(e.code, 'TRUST_CONFIG_INVALID');
    assert.deepEqual(e.data, file === undefined ? {} : { path: file });
    assert.match(e.message, message);
    return true;
  });
}

describe('trust config files', () => {
  it('a trusted root without certificate authorities: TRUST_CONFIG_INVALID, naming the file', () => {
    const file = trustConfigFile({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [] });
    assertInvalid(() => loadTrustConfig(file), file, /it has no trusted root with certificate authorities$/);
  });

  it('a trusted root whose certificate bytes are not a string: TRUST_CONFIG_INVALID, naming the file', () => {
    const file = trustConfigFile({ certificateAuthorities: [{ certChain: { certificates: [{ rawBytes: 5 }] } }] });
    assertInvalid(() => loadTrustConfig(file), file, /^Invalid trust config '.*trust_config\.json': /);
  });

  it('the production trusted root, written out as a trust config, loads with its newest key date', () => {
    const production = productionTrustConfig();
    const file = trustConfigFile(production.trustedRoot);
    const loaded = loadTrustConfig(file);
    assert.equal(loaded.source, 'trust-config');
    assert.equal(loaded.path, file);
    assert.equal(loaded.date, production.date);
  });
});

describe('resolving the trust root without a trust config', () => {
  it('staging asked for without a trust config: refused, none is built in', async () => {
    await assert.rejects(resolveTrustConfig({ useStaging: true, now: NOW }), (e: unknown) => {
      assert.ok(e instanceof FormatError);
      assert.equal(e.code, 'TRUST_CONFIG_INVALID');
      assert.match(e.message, /--trust-config/);
      return true;
    });
  });

  it('a refreshed copy in the TUF cache is used; a corrupt one is passed over for the built-in root', async () => {
    const cache = tempDir('ms-tuf-');
    const cached = path.join(cache, 'trusted_root.json');
    fs.writeFileSync(cached, JSON.stringify(productionTrustConfig().trustedRoot));
    const fromCache = await resolveTrustConfig({ tufCachePath: cache, now: NOW });
    assert.deepEqual([fromCache.config.source, fromCache.config.path, fromCache.warnings], ['tuf', cached, []]);

    fs.writeFileSync(cached, '{"certificateAuthorities": [');
    const builtIn = await resolveTrustConfig({ tufCachePath: cache, now: NOW });
    assert.deepEqual([builtIn.config.source, builtIn.config.path, builtIn.warnings], ['embedded', undefined, []]);
  });
});
