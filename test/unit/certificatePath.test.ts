// Differential tests of certificate path validation: every case of the corpus
// (test/helpers/x509Corpus.ts) is checked with the real `openssl verify`
// (-CAfile ROOTS -untrusted CHAIN LEAF: default purpose, no partial chains),
// which the reference relies on, and our validator must agree; then a model
// signed with that chain goes through the real `model-signing verify certificate`,
// which must also apply the OMS rule on the leaf's usage.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CertificateSigner, MAX_ISSUER_LOOKUPS, ModelSigningError, loadPrivateKey, signModel, validateCertificatePath } from '../../src/core';
import { checkProvenanceSignature, readProvenanceFile } from '../../src/core/provenance';
import { pae } from '../../src/core/signing/dsse';
import { makeModel, pool, runCli, tempDir } from '../helpers/fixtures';
import { IN_TOTO, statement } from '../helpers/provenance';
import { CORPUS, Cert, CorpusCase, buildCase, issuerLoop, keyPem, leafMaySign } from '../helpers/x509Corpus';

const hashPool = pool(1);

interface CaseFiles {
  dir: string;
  roots: string;
  chain?: string;
  leaf: string;
}

function writeCase(c: CorpusCase): CaseFiles {
  const dir = tempDir('ms-x509-');
  const write = (name: string, certs: Cert[]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, certs.map((x) => x.pem).join('\n') + '\n');
    return file;
  };
  return { dir, roots: write('roots.pem', c.roots), chain: c.chain.length ? write('chain.pem', c.chain) : undefined, leaf: write('leaf.pem', [c.leaf]) };
}

/** `openssl verify`'s verdict and its error line. */
function opensslVerify(files: CaseFiles): { ok: boolean; output: string } {
  const args = ['verify', '-CAfile', files.roots, ...(files.chain ? ['-untrusted', files.chain] : []), files.leaf];
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  assert.ok(!r.error, `openssl must be installed to run these tests: ${r.error?.message}`);
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}

async function ourVerdict(c: CorpusCase): Promise<{ ok: boolean; output: string }> {
  try {
    await validateCertificatePath(
      c.leaf.der,
      c.chain.map((x) => x.der),
      c.roots.map((x) => x.der),
      new Date(),
    );
    return { ok: true, output: 'accepted' };
  } catch (e) {
    assert.ok(e instanceof ModelSigningError && e.code === 'CERTIFICATE_CHAIN_INVALID', `expected CERTIFICATE_CHAIN_INVALID, got ${String(e)}`);
    return { ok: false, output: e.message };
  }
}

/** Signs a one-file model with the leaf's key and the case's chain, as a publisher would. */
async function signedModel(c: CorpusCase, dir: string): Promise<{ model: string; sig: string }> {
  const model = makeModel({ 'weights.bin': 'weights' });
  const sig = path.join(dir, 'model.sig');
  const signer = new CertificateSigner(
    loadPrivateKey(Buffer.from(await keyPem(c.leaf))),
    c.leaf.der,
    c.chain.map((x) => x.der),
  );
  await signModel(model, { signer, pool: hashPool, signaturePath: sig });
  return { model, sig };
}

describe('certificate paths: our validator agrees with openssl verify on every corpus case', () => {
  CORPUS.forEach(([name], index) => {
    it(name, { timeout: 120_000 }, async () => {
      const c = await buildCase(index);
      const files = writeCase(c);
      const openssl = opensslVerify(files);
      const ours = await ourVerdict(c);
      assert.equal(ours.ok, openssl.ok, `openssl: ${openssl.output}\nours: ${ours.output}`);

      const expected = openssl.ok && leafMaySign(c.leaf);
      const { model, sig } = await signedModel(c, files.dir);
      const cli = await runCli(['verify', 'certificate', model, '--signature', sig, '--certificate-chain', files.roots]);
      const where = `openssl: ${openssl.output}\nexit ${cli.code}\nstdout: ${cli.stdout}\nstderr: ${cli.stderr}`;
      if (expected) {
        assert.equal(cli.code, 0, where);
        assert.equal(cli.stdout, 'Verification succeeded\n', where);
      } else {
        assert.equal(cli.code, 1, where);
        assert.equal(cli.stdout, '', where);
        assert.match(cli.stderr, /^Verification failed with error: [^\n]+\n$/, where);
      }
    });
  });
});

describe('path building is bounded', () => {
  // Hung before the bound (PKI.js follows the loop for ever); the timeout only turns a hang into a failure.
  it('a chain whose CAs issue each other in a loop is refused after a bounded number of issuer look-ups', { timeout: 60_000 }, async () => {
    const { a, l } = await issuerLoop();
    const r = (await buildCase(0)).roots[0]!;
    await assert.rejects(validateCertificatePath(l.der, [a.certA.der, a.certB.der], [r.der], new Date()), (e: unknown) => {
      assert.ok(e instanceof ModelSigningError && e.code === 'CERTIFICATE_CHAIN_INVALID', String(e));
      const lookups = (e.data as { issuerLookups?: number }).issuerLookups;
      assert.equal(typeof lookups, 'number', e.message);
      assert.ok(lookups! <= MAX_ISSUER_LOOKUPS, `${lookups} look-ups`);
      return true;
    });
  });
});

/**
 * A `.intoto.jsonl` line signed by the case's leaf, its certificate inside the
 * signature, and a trust config whose one CA is the case's chain and root.
 */
async function provenanceSignedBy(c: CorpusCase) {
  const payload = Buffer.from(JSON.stringify(statement('https://slsa.dev/provenance/v0.2', [{ name: 'w', digest: { sha256: '0'.repeat(64) } }], {})));
  const key = crypto.createPrivateKey(await keyPem(c.leaf));
  const sig = crypto.sign('sha256', pae(IN_TOTO, payload), { key, dsaEncoding: 'der' }).toString('base64');
  const file = path.join(tempDir('ms-x509-prov-'), 'p.intoto.jsonl');
  fs.writeFileSync(
    file,
    `${JSON.stringify({ payloadType: IN_TOTO, payload: payload.toString('base64'), signatures: [{ keyid: '', sig, cert: c.leaf.pem }] })}\n`,
  );
  const certificates = [...c.chain, ...c.roots].map((x) => ({ rawBytes: x.der.toString('base64') }));
  const trustedRoot = { certificateAuthorities: [{ certChain: { certificates }, validFor: { start: '2000-01-01T00:00:00Z' } }] };
  return { doc: (await readProvenanceFile(file))[0]!, trustConfig: { trustedRoot, source: 'trust-config' as const, date: '' } };
}

describe('provenance certificates go through the same validator', () => {
  const cases = [
    'a plain root → intermediate → leaf',
    'pathLen 0 on the root above one intermediate (broken)',
    'an unknown critical extension on the leaf',
    'name constraints on the root: leaf email outside the permitted domain',
  ];
  for (const name of cases) {
    it(name, async () => {
      const c = await buildCase(CORPUS.findIndex(([n]) => n === name));
      const openssl = opensslVerify(writeCase(c));
      const { doc, trustConfig } = await provenanceSignedBy(c);
      const check = await checkProvenanceSignature(doc, { trustConfig });
      const chainStep = check.steps?.find((s) => s.name === 'certificate-chain');
      // Without a log entry the best a provenance gets is 'incomplete'.
      assert.equal(check.status, openssl.ok ? 'incomplete' : 'failed', `openssl: ${openssl.output}\n${JSON.stringify(check)}`);
      if (!openssl.ok) assert.equal(check.error?.code, 'CERTIFICATE_CHAIN_INVALID');
      else assert.equal(chainStep?.status, 'ok');
    });
  }
});
