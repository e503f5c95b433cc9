// The reader registry (reading/forms/): a value goes to the first reader that
// accepts it, none accepting is the typed "not provenance" error, and each
// reader says, typed, what its form decides downstream (labels, how a key
// signature is checked, whether its statements are alternatives).
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FormatError } from '../../src/core/errors';
import { PROVENANCE_READERS } from '../../src/core/provenance/reading/forms/registry';
import { readProvenanceFile } from '../../src/core/provenance/reading/provenanceFile';
import { SLSA_VECTORS, readGcloudProvenance, writeProvenance } from '../helpers/provenance';

describe('provenance readers', () => {
  it('a JSON object no reader accepts: PROVENANCE_INVALID, naming the place and every form', async () => {
    const file = writeProvenance('other.json', { hello: 'world' });
    await assert.rejects(readProvenanceFile(file), (e: unknown) => {
      assert.ok(e instanceof FormatError, String(e));
      assert.equal(e.code, 'PROVENANCE_INVALID');
      assert.deepEqual({ ...e.data }, { where: file });
      assert.match(e.message, /not provenance: expected /);
      for (const r of PROVENANCE_READERS) assert.ok(e.message.includes(r.what), r.what);
      return true;
    });
  });

  it("the first reader that accepts a value reads it: gcloud output with an envelope's keys too is gcloud output", async () => {
    const gcloud = readGcloudProvenance(SLSA_VECTORS.GCB02);
    const both = { ...gcloud, ...gcloud.provenance_summary.provenance[0]!.envelope };
    const docs = await readProvenanceFile(writeProvenance('both.json', both));
    assert.deepEqual(
      docs.map((d) => d.form),
      gcloud.provenance_summary.provenance.map(() => 'gcb'),
    );
  });

  it('Cloud Build: alternatives, named by item, its regional KMS key over the raw payload first', async () => {
    const docs = await readProvenanceFile(SLSA_VECTORS.GCB02);
    for (const d of docs) {
      assert.equal(d.alternative, true);
      assert.deepEqual(d.label.position, { noun: 'Cloud Build item', always: true });
      assert.deepEqual(d.keySignature.schemes, [['raw-signature', 'dsse-signature']]);
      assert.equal(d.keySignature.signerName, 'keyid');
      assert.equal(d.keySignature.failedStep, 'raw-signature');
      assert.match(d.keySignature.keyRequired, /Cloud KMS key projects\/verified-builder\/locations\/global\//);
    }
  });

  it('a DSSE envelope and a Sigstore bundle: DSSE over the PAE only, named by line, never alternatives', async () => {
    for (const [file, form] of [
      [SLSA_VECTORS.GENERIC, 'DSSE envelope'],
      [SLSA_VECTORS.MAVEN, 'Sigstore bundle'],
    ] as const) {
      const [d] = await readProvenanceFile(file);
      assert.equal(d!.label.form, form);
      assert.equal(d!.alternative, false);
      assert.deepEqual(d!.label.position, { noun: 'line', always: false });
      assert.deepEqual(
        d!.keySignature.schemes,
        d!.envelope.signatures.map(() => ['dsse-signature']),
      );
      assert.equal(d!.keySignature.signerName, 'public-key');
    }
    const [bundle] = await readProvenanceFile(SLSA_VECTORS.MAVEN);
    assert.equal(bundle!.label.formDetail, `Sigstore bundle ${bundle!.bundle!.mediaType}`);
  });
});
