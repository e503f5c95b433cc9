// The verdict can never be OK while a line of the report says FAIL, on every path that shows it:
// the CLI's human output and --json (verifyOutput, what `provenance verify` prints) and the
// provenance viewer (toProvenanceView). Checked over many generated cases, each verified for real:
// models attested here with a key, then changed at random (files deleted, renamed, copied,
// changed, added, the folder renamed), with random policies and keys; and the slsa-verifier
// vectors (incomplete, verified, Cloud Build items skipped) with random flags and artifacts.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { KeySigner, loadPrivateKey } from '../../src/core';
import { attestModel } from '../../src/core/provenance/attesting/attest';
import type { ProvenancePolicy, ProvenanceReport, VerifyProvenanceOptions } from '../../src/core/provenance/types';
import { fileVerdict } from '../../src/core/provenance/verifying/verdict';
import { verifyProvenance } from '../../src/core/provenance/verifying/verifyProvenance';
import { verifyOutput } from '../../src/cli/provenanceVerify';
import { toProvenanceView } from '../../src/extension/provenanceView';
import { makeKeyPair, makeModel, pool, tempDir } from '../helpers/fixtures';
import { SLSA_VECTORS, multipleGcbProvenance } from '../helpers/provenance';
import { provenanceVerifyJson } from '../helpers/cliJson';

const hashPool = pool();
const key = makeKeyPair('P-256');
const otherKey = makeKeyPair('P-256');
const SOURCE = 'github.com/acme/models';
const BUILDER = 'https://ci.example.com/builder@v1';

/** A small deterministic generator (mulberry32), so a failing case can be found again from its seed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;

/** What `provenance verify` prints, as the terminal gets it. */
function printed(reports: ProvenanceReport[], json: boolean, allowIncomplete: boolean): { stdout: string; stderr: string; code: number } {
  const o = verifyOutput(reports, { json, allowIncomplete });
  return { stdout: String(o.stdout), stderr: String(o.stderr), code: o.code };
}

/** Every path's verdict agrees with its lines: a FAIL anywhere means not OK, and not OK shows a FAIL. */
function assertInvariant(reports: ProvenanceReport[], allowIncomplete: boolean, label: string): void {
  const human = printed(reports, false, allowIncomplete);
  const lines = human.stdout.split('\n');
  const failLines = lines.filter((l) => /\bFAIL/.test(l));
  assert.equal(human.code === 0, fileVerdict(reports) === 'ok', label);
  if (failLines.length > 0) {
    assert.equal(human.code, 1, `${label}: FAIL lines with exit 0:\n${failLines.join('\n')}`);
    assert.ok(!human.stdout.includes('Provenance verification succeeded'), label);
  } else {
    assert.equal(human.code, 0, `${label}: exit 1 with no FAIL line:\n${human.stdout}${human.stderr}`);
  }
  // Each statement's block: a FAIL line under it means its result is not OK.
  for (const block of human.stdout.split(/\n(?=Provenance )/)) {
    if (/\bFAIL/.test(block)) assert.doesNotMatch(block, /^ {2}result: +OK$/m, `${label}: a FAIL line in a statement whose result is OK:\n${block}`);
  }

  const json = provenanceVerifyJson(printed(reports, true, allowIncomplete).stdout);
  assert.equal(json.verified, human.code === 0, label);
  for (const r of json.reports) {
    const failing = r.checks.filter((c: { status: string }) => c.status === 'fail');
    if (failing.length > 0) assert.ok(!r.ok && r.verdict === 'failed', `${label}: a failed check in an ok report (--json)`);
    if (
      r.subjects.some((s: { status: string }) => s.status === 'failed') ||
      (r.uncoveredFiles ?? []).length > 0 ||
      r.policy.some((c: { ok: boolean }) => !c.ok)
    ) {
      assert.ok(!r.ok, `${label}: a failed subject, file or policy check in an ok report (--json)`);
    }
  }
  if (json.verified)
    assert.ok(
      json.reports.every((r: { verdict: string }) => r.verdict !== 'failed'),
      label,
    );

  const view = toProvenanceView(reports, { file: 'p.json', modelPath: reports[0]?.modelRootDigest ? 'model' : undefined, trust: 'test' });
  assert.equal(view.verdict === 'ok', human.code === 0, `${label}: the viewer's verdict`);
  for (const st of view.statements) {
    const bad =
      st.problems.length > 0 ||
      st.subjects.some((s) => s.mark === 'changed' || s.mark === 'none') ||
      st.policy.some((c) => !c.ok) ||
      (st.verdict !== 'skipped' && st.signature.status === 'failed');
    if (bad) assert.ok(!st.ok && st.verdict === 'failed', `${label}: the viewer shows a failure in a statement that passes: ${st.heading}`);
    if (st.verdict === 'failed') assert.ok(st.problems.length > 0, `${label}: the viewer shows a failed statement with no reason`);
  }
}

const MODEL_FILES = {
  'model.safetensors': 'weights',
  'training_args.bin': 'a pickle',
  'config.json': '{"a": 1}\n',
  'tokenizer/vocab.txt': 'a\nb\n',
  'tokenizer/merges.txt': 'a b\n',
};

/** The model, attested per file and not, once. */
async function attestedModel(): Promise<{ model: string; perFile: string; rootOnly: string }> {
  const model = makeModel(MODEL_FILES, 'release');
  const signer = new KeySigner(loadPrivateKey(fs.readFileSync(key.privateKey, 'utf8')));
  const out = tempDir();
  const files = { perFile: path.join(out, 'per-file.json'), rootOnly: path.join(out, 'root-only.json') };
  for (const [name, output] of Object.entries(files)) {
    await attestModel(model, {
      signer,
      pool: hashPool,
      output,
      perFile: name === 'perFile',
      environment: {},
      overrides: { sourceUri: SOURCE, sourceRef: 'refs/heads/main', sourceCommit: 'a'.repeat(40), builderId: BUILDER },
    });
  }
  return { model, ...files };
}

/** A copy of the model, changed by 0 to 3 random steps; sometimes one file of it. */
function changedCopy(model: string, rnd: () => number): { path: string; steps: string[] } {
  const copy = path.join(tempDir(), rnd() < 0.5 ? 'release' : `snapshots/${'e'.repeat(40)}`);
  fs.cpSync(model, copy, { recursive: true });
  const steps: string[] = [];
  const files = () =>
    fs
      .readdirSync(copy, { recursive: true, encoding: 'utf8' })
      .filter((f) => fs.statSync(path.join(copy, f)).isFile())
      .map((f) => f.split(path.sep).join('/'));
  for (let n = Math.floor(rnd() * 4); n > 0; n--) {
    const f = pick(rnd, files());
    const step = pick(rnd, ['delete', 'rename', 'copy', 'change', 'add'] as const);
    const to = pick(rnd, ['pytorch_model.bin', 'x.json', 'tokenizer/extra.txt']);
    if (step === 'delete' && files().length > 1) fs.rmSync(path.join(copy, f));
    else if (step === 'rename' && !files().includes(to)) fs.renameSync(path.join(copy, f), path.join(copy, to));
    else if (step === 'copy') fs.copyFileSync(path.join(copy, f), path.join(copy, to));
    else if (step === 'change') fs.appendFileSync(path.join(copy, f), '!');
    else fs.writeFileSync(path.join(copy, to), 'added');
    steps.push(`${step} ${f}${step === 'rename' || step === 'copy' ? ` → ${to}` : ''}`);
  }
  if (rnd() < 0.15) {
    const one = pick(rnd, files());
    return { path: path.join(copy, one), steps: [...steps, `single file ${one}`] };
  }
  return { path: copy, steps };
}

function randomPolicy(rnd: () => number): ProvenancePolicy {
  return {
    ...(rnd() < 0.7 ? { sourceUri: rnd() < 0.8 ? SOURCE : 'github.com/acme/other' } : {}),
    ...(rnd() < 0.6 ? { builderId: rnd() < 0.8 ? BUILDER.replace(/@.*/, '') : 'https://ci.example.com/other' } : {}),
  };
}

describe('the verdict never says OK under a FAIL line: CLI, --json and the viewer', () => {
  it('models attested here, changed at random, with random policies and keys (80 cases)', async () => {
    const { model, perFile, rootOnly } = await attestedModel();
    const seen = { ok: 0, failed: 0 };
    for (let seed = 1; seed <= 80; seed++) {
      const rnd = random(seed);
      const target = changedCopy(model, rnd);
      const options: VerifyProvenanceOptions = {
        modelPath: target.path,
        pool: hashPool,
        policy: randomPolicy(rnd),
        publicKeyPath: rnd() < 0.85 ? key.publicKey : otherKey.publicKey,
      };
      const provenance = rnd() < 0.6 ? perFile : rootOnly;
      const reports = await verifyProvenance(provenance, options);
      assertInvariant(
        reports,
        false,
        `seed ${seed} (${path.basename(provenance)}; ${target.steps.join(', ') || 'unchanged'}; ${JSON.stringify(options.policy)})`,
      );
      seen[fileVerdict(reports)]++;
    }
    // Both outcomes were exercised, so the invariant was checked on each side.
    assert.ok(seen.ok >= 5 && seen.failed >= 5, JSON.stringify(seen));
  });

  it("slsa-verifier's vectors with random flags and artifacts (60 cases)", async () => {
    const cases = [
      { file: SLSA_VECTORS.GENERIC, artifacts: [SLSA_VECTORS.GENERIC_ARTIFACT, SLSA_VECTORS.MAVEN_ARTIFACT, undefined], source: SLSA_VECTORS.EXAMPLE },
      { file: SLSA_VECTORS.MAVEN, artifacts: [SLSA_VECTORS.MAVEN_ARTIFACT, SLSA_VECTORS.GENERIC_ARTIFACT, undefined], source: SLSA_VECTORS.EXAMPLE },
      { file: SLSA_VECTORS.BCR, artifacts: [SLSA_VECTORS.BCR_ARTIFACT, undefined], source: 'github.com/aspect-build/rules_lint' },
      { file: SLSA_VECTORS.GCB02, artifacts: [undefined], source: 'github.com/laurentsimon/gcb-tests' },
      { file: multipleGcbProvenance(SLSA_VECTORS.GCB02, [2]), artifacts: [undefined], source: 'github.com/laurentsimon/gcb-tests' },
      { file: multipleGcbProvenance(SLSA_VECTORS.GCB03, [2]), artifacts: [undefined], source: 'github.com/laurentsimon/gcb-tests' },
      { file: multipleGcbProvenance(SLSA_VECTORS.GCB02, []), artifacts: [undefined], source: 'github.com/laurentsimon/gcb-tests' },
    ];
    const verdicts = new Set<string>();
    for (let seed = 1; seed <= 60; seed++) {
      const rnd = random(1000 + seed);
      const c = pick(rnd, cases);
      const allowIncomplete = rnd() < 0.5;
      const modelPath = pick(rnd, c.artifacts);
      const options: VerifyProvenanceOptions = {
        allowIncomplete,
        pool: hashPool,
        publicKeyPath: pick(rnd, [SLSA_VECTORS.GLOBAL_KEY, SLSA_VECTORS.US_WEST2_KEY]),
        policy: {
          ...(rnd() < 0.8 ? { sourceUri: rnd() < 0.8 ? c.source : 'github.com/acme/other' } : {}),
          ...(rnd() < 0.3 ? { sourceBranch: pick(rnd, ['main', 'master']) } : {}),
        },
        ...(modelPath ? { modelPath } : {}),
      };
      const reports = await verifyProvenance(c.file, options);
      for (const r of reports) verdicts.add(r.verdict);
      assertInvariant(reports, allowIncomplete, `seed ${1000 + seed} (${path.basename(c.file)}; ${JSON.stringify({ ...options, pool: undefined })})`);
    }
    assert.deepEqual([...verdicts].sort(), ['failed', 'ok', 'skipped']);
  });
});
