// Cloud Build files with several provenance items: as slsa-verifier does, the file passes when an
// item's signature verifies with the given key and that item passes the policy; the items that do
// not verify are skipped, not failed, in the core, the CLI (human and --json) and the viewer.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileVerdict } from '../../src/core/provenance/verifying/verdict';
import { verifyProvenance } from '../../src/core/provenance/verifying/verifyProvenance';
import { toProvenanceView } from '../../src/extension/provenanceView';
import { runCli } from '../helpers/fixtures';
import { SLSA_VECTORS, cloudBuildV01, ecKeys, gcloudOutput, multipleGcbProvenance, writeProvenance } from '../helpers/provenance';
import { provenanceVerifyJson } from '../helpers/cliJson';

// slsa-verifier's gcloud-container-multiple-provenance-3rdvalid.json and
// gcloud-container-multiple-invalid-provenance.json, made the same way from the shared vectors.
const MULTIPLE = [
  { version: 'v0.2', file: multipleGcbProvenance(SLSA_VECTORS.GCB02, [2]), key: SLSA_VECTORS.GLOBAL_KEY, wrongKey: SLSA_VECTORS.US_WEST2_KEY },
  { version: 'v0.3', file: multipleGcbProvenance(SLSA_VECTORS.GCB03, [2]), key: SLSA_VECTORS.US_WEST2_KEY, wrongKey: SLSA_VECTORS.GLOBAL_KEY },
];
const NONE_VALID = multipleGcbProvenance(SLSA_VECTORS.GCB02, []);
const SOURCE = 'github.com/laurentsimon/gcb-tests';

describe("slsa-verifier's Cloud Build files with several provenance items", () => {
  for (const c of MULTIPLE) {
    it(`${c.version}, the 3rd item valid: verified, the other two skipped (core, CLI, --json, viewer)`, async () => {
      const reports = await verifyProvenance(c.file, { publicKeyPath: c.key, policy: { sourceUri: SOURCE } });
      assert.deepEqual(
        reports.map((r) => r.verdict),
        ['skipped', 'skipped', 'ok'],
      );
      assert.deepEqual(
        reports.map((r) => r.signature.status),
        ['failed', 'failed', 'verified'],
      );
      assert.equal(fileVerdict(reports), 'ok');
      assert.deepEqual(
        reports[0]!.checks.map((c) => c.status),
        ['skip'],
      );

      const args = ['provenance', 'verify', '--provenance', c.file, '--public-key', c.key, '--source-uri', SOURCE];
      const human = await runCli(args);
      assert.equal(human.code, 0, human.stdout + human.stderr);
      assert.doesNotMatch(human.stdout, /FAIL/);
      assert.equal(human.stdout.match(/^ {2}result: {6}SKIPPED /gm)?.length, 2);
      assert.match(human.stdout, /^ {2}signature: {3}skipped: The signature does not verify with the given public key/m);
      assert.match(human.stdout, /\[statement 3 of 3\][\s\S]*result: {6}OK\nProvenance verification succeeded\n$/);

      const json = provenanceVerifyJson((await runCli([...args, '--json'])).stdout);
      assert.equal(json.verified, true);
      assert.deepEqual(
        json.reports.map((r: { verdict: string; ok: boolean }) => [r.verdict, r.ok]),
        [
          ['skipped', false],
          ['skipped', false],
          ['ok', true],
        ],
      );

      const view = toProvenanceView(reports, { file: c.file, trust: 'test' });
      assert.equal(view.verdict, 'ok');
      assert.deepEqual(
        view.statements.map((s) => [s.verdict, s.problems.length]),
        [
          ['skipped', 0],
          ['skipped', 0],
          ['ok', 0],
        ],
      );
      assert.match(view.statements[0]!.skippedReason!, /does not verify/);
    });

    it(`${c.version}: with the other key none verifies, so none is skipped and the file fails`, async () => {
      const reports = await verifyProvenance(c.file, { publicKeyPath: c.wrongKey, policy: { sourceUri: SOURCE } });
      assert.deepEqual(
        reports.map((r) => r.verdict),
        ['failed', 'failed', 'failed'],
      );
      const r = await runCli(['provenance', 'verify', '--provenance', c.file, '--public-key', c.wrongKey, '--source-uri', SOURCE]);
      assert.equal(r.code, 1, r.stdout);
    });

    it(`${c.version}: the valid item must still pass the policy (another source fails)`, async () => {
      const r = await runCli(['provenance', 'verify', '--provenance', c.file, '--public-key', c.key, '--source-uri', 'github.com/laurentsimon/other']);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /^Provenance verification failed: statement 3: source-uri: /);
    });
  }

  it('no item valid (multiple-invalid-provenance): every item fails', async () => {
    const reports = await verifyProvenance(NONE_VALID, { publicKeyPath: SLSA_VECTORS.GLOBAL_KEY, policy: { sourceUri: SOURCE } });
    assert.deepEqual(
      reports.map((r) => r.verdict),
      ['failed', 'failed', 'failed'],
    );
    assert.equal(fileVerdict(reports), 'failed');
    assert.equal(toProvenanceView(reports, { file: NONE_VALID, trust: 'test' }).verdict, 'failed');
  });
});

describe('Cloud Build items made here: a forged item beside a genuine one', () => {
  const digest = 'c'.repeat(64);
  const keys = ecKeys();
  const forger = ecKeys();
  /** One gcloud output listing the items of each (statement, signing key), in order. */
  const combined = (...items: Array<[ReturnType<typeof cloudBuildV01>, typeof keys]>) => {
    const outputs = items.map(([st, k]) => gcloudOutput(st, k.privateKey));
    return writeProvenance('gcloud.json', { ...outputs[0]!, provenance_summary: { provenance: outputs.flatMap((o) => o.provenance_summary.provenance) } });
  };
  const genuine = cloudBuildV01(digest);
  const elsewhere = cloudBuildV01(digest, { repo: 'https://github.com/evil/models' });

  it('a forged item (another key) is skipped whatever it claims; the genuine one decides', async () => {
    const file = combined([elsewhere, forger], [genuine, keys]);
    const reports = await verifyProvenance(file, { publicKeyPath: keys.publicKeyPath, policy: { sourceUri: 'github.com/acme/models' } });
    assert.deepEqual(
      reports.map((r) => r.verdict),
      ['skipped', 'ok'],
    );
    assert.deepEqual(reports[0]!.policy, [], 'nothing of an unverified item is checked or shown as checked');
    assert.equal(fileVerdict(reports), 'ok');
    // Expecting the forged item's source: the genuine item fails, so the file does.
    const evil = await verifyProvenance(file, { publicKeyPath: keys.publicKeyPath, policy: { sourceUri: 'github.com/evil/models' } });
    assert.deepEqual(
      evil.map((r) => r.verdict),
      ['skipped', 'failed'],
    );
    assert.equal(fileVerdict(evil), 'failed');
  });

  it('every item that verifies must pass the policy, in either order', async () => {
    for (const items of [
      [
        [elsewhere, keys],
        [genuine, keys],
      ],
      [
        [genuine, keys],
        [elsewhere, keys],
      ],
    ] as const) {
      const file = combined(...(items as unknown as Array<[ReturnType<typeof cloudBuildV01>, typeof keys]>));
      const reports = await verifyProvenance(file, { publicKeyPath: keys.publicKeyPath, policy: { sourceUri: 'github.com/acme/models' } });
      assert.equal(fileVerdict(reports), 'failed', reports.map((r) => r.verdict).join());
      assert.ok(!reports.some((r) => r.verdict === 'skipped'));
    }
  });
});
