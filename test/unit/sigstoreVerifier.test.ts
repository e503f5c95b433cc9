// Keyless verification offline, against the reference's keyless signature and
// the built-in production root: a bundle broken in one place fails with the
// code that names that place, not a generic one.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode, FormatError, ModelSigningError, VerificationError } from '../../src/core/errors';
import { InlineHashPool } from '../../src/core/hashing/hashPool';
import { Bundle, parseBundle } from '../../src/core/signing/bundle';
import { SigstoreVerifier } from '../../src/core/sigstore/sigstoreVerifier';
import { productionTrustConfig } from '../../src/core/sigstore/trustConfig';
import { verifyModel } from '../../src/core/verifying/verifyModel';
import { MT_TESTS } from '../helpers/fixtures';

const MODEL = path.join(MT_TESTS, 'v1.1.0-sigstore');
const SIGNATURE = path.join(MODEL, 'model.sig');
const IDENTITY = 'stefanb@us.ibm.com';
const ISSUER = 'https://sigstore.verify.ibm.com/oauth2';

type BundleJson = { dsseEnvelope: Record<string, unknown>; verificationMaterial: { tlogEntries: Record<string, unknown>[] } };

/** The reference bundle as JSON, changed by `edit`, parsed as the CLI parses it. */
function edited(edit: (b: BundleJson) => void): Bundle {
  const json = JSON.parse(fs.readFileSync(SIGNATURE, 'utf8')) as BundleJson;
  edit(json);
  return parseBundle(JSON.stringify(json));
}

function verify(bundle?: Bundle) {
  const verifier = new SigstoreVerifier({ trustConfig: productionTrustConfig(), identity: IDENTITY, issuer: ISSUER });
  return verifyModel(MODEL, { verifier, pool: new InlineHashPool(), signaturePath: SIGNATURE, bundle, ignorePaths: ['ignore-me'] });
}

async function failsWith(bundle: Bundle, cls: typeof FormatError | typeof VerificationError, code: ErrorCode): Promise<ModelSigningError> {
  let caught: unknown;
  await assert.rejects(verify(bundle), (e: unknown) => {
    caught = e;
    return true;
  });
  assert.ok(caught instanceof cls, `expected ${cls.name}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

describe('keyless bundles broken in one place', () => {
  it('the reference signature itself verifies (the baseline)', async () => {
    const r = await verify();
    assert.equal(r.ok, true);
    assert.deepEqual(r.signer, { method: 'sigstore', identity: IDENTITY, issuer: ISSUER });
  });

  it('a DSSE payload type other than in-toto: PAYLOAD_INVALID, naming the type', async () => {
    const e = await failsWith(
      edited((b) => (b.dsseEnvelope.payloadType = 'application/json')),
      FormatError,
      'PAYLOAD_INVALID',
    );
    assert.match(e.message, /but got application\/json$/);
  });

  it('a log entry without its log id is a malformed bundle: BUNDLE_INVALID, not a failed signature', async () => {
    await failsWith(
      edited((b) => delete b.verificationMaterial.tlogEntries[0]!.logId),
      FormatError,
      'BUNDLE_INVALID',
    );
  });

  it('a log entry of another kind than the envelope: TLOG_INVALID with sigstore-js code', async () => {
    const e = await failsWith(
      edited((b) => ((b.verificationMaterial.tlogEntries[0]!.kindVersion as { kind: string }).kind = 'hashedrekord')),
      VerificationError,
      'TLOG_INVALID',
    );
    assert.equal(e.data.sigstoreCode, 'TLOG_BODY_ERROR');
  });
});
