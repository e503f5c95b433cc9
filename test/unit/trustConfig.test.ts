// Which Sigstore trust root is used, and what a broken one is: a trust config
// file (--trust-config, modelSigning.sigstore.trustConfig) that is not usable
// is TRUST_CONFIG_INVALID naming the file; a broken refreshed copy in the TUF
// cache is passed over for the built-in root; --use-staging needs no file. No
// network: no refresh is due.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { FormatError } from '../../src/core/errors';
import {
  CLIENT_TRUST_CONFIG_MEDIA_TYPE,
  TrustConfig,
  loadTrustConfig,
  oidcIssuerOf,
  productionTrustConfig,
  resolveTrustConfig,
  stagingTrustConfig,
} from '../../src/core/sigstore/trustConfig';
import { MT_TESTS, REPO, offlineTufEnv, runCli, tempDir } from '../helpers/fixtures';

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
  it('--trust-config wins over --use-staging', async () => {
    const file = trustConfigFile(productionTrustConfig().trustedRoot);
    const { config } = await resolveTrustConfig({ trustConfigPath: file, useStaging: true, now: NOW });
    assert.deepEqual([config.source, config.path], ['trust-config', file]);
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

describe('the built-in staging instance (--use-staging)', () => {
  it('needs no trust config: staging’s trusted root and signing config, byte for byte its TUF targets', async () => {
    const { config, warnings } = await resolveTrustConfig({ useStaging: true, now: NOW });
    assert.deepEqual([config.source, config.path, warnings], ['staging', undefined, []]);
    assert.equal(oidcIssuerOf(config), 'https://oauth2.sigstage.dev/auth');
    const sc = config.signingConfig as Record<string, Array<{ url: string }>>;
    assert.deepEqual(
      ['caUrls', 'rekorTlogUrls', 'tsaUrls'].map((k) => sc[k]!.map((s) => new URL(s.url).host)),
      [['fulcio.sigstage.dev'], ['global.rekor.sigstage.dev', 'rekor.sigstage.dev'], ['timestamp.sigstage.dev']],
    );
    const cas = config.trustedRoot.certificateAuthorities as Array<{ uri: string }>;
    assert.ok(cas.length > 0 && cas.every((ca) => ca.uri === 'https://fulcio.sigstage.dev'));
    // sha256 of the targets in sigstore/root-signing-staging metadata/targets.json, version 28 (commit ed88d5d).
    const published = {
      'trusted_root.json': '44deb991d4bbf2150751ccee235d9810bce4434383c26d8898c1bcadbace6ed8',
      'signing_config.v0.2.json': '7cd0090164c5c85e46d78ac44a28cca2e423967aa184c4d43c2108683ca26f62',
    };
    for (const [name, sha256] of Object.entries(published)) {
      const bytes = fs.readFileSync(path.join(REPO, 'src/core/sigstore/staging', name));
      assert.equal(crypto.createHash('sha256').update(bytes).digest('hex'), sha256, name);
    }
  });

  it('verifies a bundle staging signed (Rekor v2 and a timestamp); the production root does not', () => {
    const dir = path.join(REPO, 'test/fixtures/sigstore-staging');
    const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(path.join(dir, 'staging-rekor-v2.txt.sigstore.json'), 'utf8')));
    const entity = toSignedEntity(bundle, fs.readFileSync(path.join(dir, 'staging-rekor-v2.txt')));
    const verifierOf = (c: TrustConfig) => new Verifier(toTrustMaterial(TrustedRoot.fromJSON(c.trustedRoot)));
    const signer = verifierOf(stagingTrustConfig()).verify(entity, {
      subjectAlternativeName: '^jku@goto\\.fi$',
      extensions: { issuer: 'https://github.com/login/oauth' },
    });
    assert.equal(signer.identity?.subjectAlternativeName, 'jku@goto.fi');
    assert.throws(() => verifierOf(productionTrustConfig()).verify(entity), /timestamp could not be verified/);
  });

  it('`verify sigstore --use-staging` checks against staging: a signature made with production fails', async () => {
    const dir = 'v1.1.0-sigstore';
    const args = ['verify', 'sigstore', '--signature', `${dir}/model.sig`, dir, '--identity', 'stefanb@us.ibm.com'];
    const env = offlineTufEnv();
    const run = (extra: string[]) => runCli([...args, '--identity-provider', 'https://sigstore.verify.ibm.com/oauth2', ...extra], { cwd: MT_TESTS, env });
    assert.equal((await run([])).code, 0);
    const staging = await run(['--use-staging']);
    assert.equal(staging.code, 1);
    assert.equal(staging.stderr, 'Verification failed with error: Keyless verification failed (TIMESTAMP_ERROR): timestamp could not be verified\n');
  });
});
