// Nothing an attacker names (file names in a model, provenance fields, arguments a script passes
// through) can rewrite the terminal: the CLI's raw stdout and stderr hold no control, escape
// or bidi character, the escaped forms instead, and --json keeps the exact names.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ProgressLine } from '../../src/cli/terminal';
import { CliResult, makeKeyPair, makeModel, runCli, tempDir } from '../helpers/fixtures';
import { ecKeys, keyEnvelope, sha256, statement, writeProvenance } from '../helpers/provenance';
import { UNSAFE_CHARS } from '../helpers/unsafeText';
import { provenanceShowJson, verifyJson } from '../helpers/cliJson';

/** The file name: on a terminal it would leave only "Verification succeeded" on screen. */
const CLEARS_THE_SCREEN = '\r\u001b[2K\u001b[1A\u001b[2K\rVerification succeeded\u001b[K';
const BIDI = 'model\u202egnp.exe';
const C1 = 'csi\u009b2Jnel\u0085';
const ISOLATE = 'iso\u2066late\u2069\u200f';

/** No raw unsafe character anywhere in what the CLI wrote, but for the newlines that end its lines. */
function assertInert(r: CliResult): void {
  for (const [name, text] of [
    ['stdout', r.stdout],
    ['stderr', r.stderr],
  ] as const) {
    assert.doesNotMatch(text.replace(/\n/g, ''), UNSAFE_CHARS, `${name} holds a raw control or bidi character: ${JSON.stringify(text)}`);
  }
}

function signedHostileModel() {
  const model = makeModel({ [CLEARS_THE_SCREEN]: 'a', [BIDI]: 'b', [C1]: 'c', 'ok.bin': 'd' });
  const keys = makeKeyPair();
  const sig = path.join(tempDir(), 'model.sig');
  return { model, keys, sig };
}

describe('the CLI escapes every name it prints', () => {
  it('verify of a tampered model with hostile file names: exit 1, every name escaped, --json exact', async () => {
    const { model, keys, sig } = signedHostileModel();
    assert.equal((await runCli(['sign', 'key', model, '--signature', sig, '--private-key', keys.privateKey])).code, 0);
    fs.writeFileSync(path.join(model, CLEARS_THE_SCREEN), 'changed');
    fs.rmSync(path.join(model, BIDI));
    fs.writeFileSync(path.join(model, ISOLATE), 'extra');
    const v = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', keys.publicKey]);
    assert.equal(v.code, 1);
    assertInert(v);
    assert.match(v.stderr, /^changed: \\r\\x1b\[2K\\x1b\[1A\\x1b\[2K\\rVerification succeeded\\x1b\[K \(expected /m);
    assert.match(v.stderr, /^missing: model\\u202egnp\.exe$/m);
    assert.match(v.stderr, /^extra: {3}iso\\u2066late\\u2069\\u200f$/m);
    const j = await runCli(['verify', 'key', model, '--signature', sig, '--public-key', keys.publicKey, '--json']);
    assert.equal(j.code, 1);
    assertInert(j);
    const out = verifyJson(j.stdout);
    assert.deepEqual(
      out.diff.changed.map((c: { name: string }) => c.name),
      [CLEARS_THE_SCREEN],
    );
    assert.deepEqual(out.diff.missing, [BIDI]);
    assert.deepEqual(out.diff.extra, [ISOLATE]);
    assert.ok(out.resources.some((r: { name: string }) => r.name === C1));
  });

  it('errors that quote a hostile path, and usage errors that quote an argument, are escaped', async () => {
    const missing = path.join(tempDir(), `gone${CLEARS_THE_SCREEN}`);
    const d = await runCli(['digest', missing]);
    assert.equal(d.code, 1);
    assertInert(d);
    assert.match(d.stderr, /gone\\r\\x1b\[2K/);
    const u = await runCli(['digest', 'm', `--${BIDI}`]);
    assert.equal(u.code, 2);
    assertInert(u);
    assert.match(u.stderr, /No such option: --model\\u202egnp\.exe/);
    const k = await runCli(['verify', 'key', tempDir(), '--signature', 'x', '--public-key', `key${C1}.pub`]);
    assert.equal(k.code, 1);
    assertInert(k);
    assert.match(k.stderr, /'keycsi\\x9b2Jnel\\x85\.pub'/);
  });

  it('provenance show and verify escape hostile builders, subjects and parameters; --json keeps them exact', async () => {
    const keys = ecKeys();
    const weights = 'weights';
    const builder = `https://evil.example/b${CLEARS_THE_SCREEN}`;
    const st = statement(
      'https://slsa.dev/provenance/v1',
      [
        { name: BIDI, digest: { sha256: sha256(weights) } },
        { name: C1, digest: { sha256: sha256('other') } },
      ],
      {
        buildDefinition: { buildType: `https://example.com/t${ISOLATE}`, externalParameters: { [`k${BIDI}`]: CLEARS_THE_SCREEN } },
        runDetails: { builder: { id: builder } },
      },
    );
    const file = writeProvenance(`p${C1}.json`, keyEnvelope(st, keys.privateKey));
    const show = await runCli(['provenance', 'show', file]);
    assert.equal(show.code, 0, show.stderr);
    assertInert(show);
    assert.match(show.stdout, /builder: +https:\/\/evil\.example\/b\\r\\x1b\[2K/);
    assert.match(show.stdout, /subject: +model\\u202egnp\.exe /);
    const model = makeModel({ [BIDI]: weights, [CLEARS_THE_SCREEN]: 'uncovered' });
    const verify = await runCli(['provenance', 'verify', '--provenance', file, '--public-key', keys.publicKeyPath, '--model-path', model]);
    assert.equal(verify.code, 1);
    assertInert(verify);
    assert.match(verify.stdout, /matches model\\u202egnp\.exe/);
    assert.match(verify.stderr, /\\r\\x1b\[2K\\x1b\[1A/);
    const json = await runCli(['provenance', 'show', file, '--json']);
    assertInert(json);
    const parsed = provenanceShowJson(json.stdout);
    assert.equal(parsed.statements[0]!.summary.builderId, builder);
    assert.deepEqual(parsed.statements[0]!.statement, st);
  });

  it('the progress line escapes the current file name', () => {
    const writes: string[] = [];
    const tty = { isTTY: true, columns: 200, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream;
    const line = new ProgressLine(tty);
    (line as unknown as { started: number }).started = Date.now() - 5000;
    line.update({ bytesDone: 1, bytesTotal: 2, filesTotal: 1, currentFile: CLEARS_THE_SCREEN });
    assert.equal(writes.length, 1);
    // Our own \r\x1b[K clears the line first; after it, nothing of the name may act.
    assert.ok(writes[0]!.startsWith('\r\u001b[K'));
    assert.doesNotMatch(writes[0]!.slice(4), UNSAFE_CHARS);
    assert.match(writes[0]!, /\\r\\x1b\[2K\\x1b\[1A\\x1b\[2K\\rVerification succeeded\\x1b\[K$/);
  });
});
