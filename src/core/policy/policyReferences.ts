import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { FormatError, ModelSigningError, isModelSigningError } from '../errors';
import { MAX_SMALL_INPUT_BYTES, readInputFileSync } from '../io/readInputFile';
import { distinguishedName, fingerprint, parsePemCertificates } from '../signing/certificates';
import { loadPublicKey, publicKeyHint } from '../signing/keys';
import { PolicyEntry, PolicyErrorData } from './policyFile';

// The key and certificate files a policy entry names, read when a signer is checked against it.

/**
 * The `i`th of an entry's `keys` files as a public key. A file that cannot be read or is no key is a broken
 * policy (POLICY_UNREADABLE, POLICY_INVALID), never "no key": the model is then a policy error, not unverified.
 */
export function policyPublicKey(entry: PolicyEntry, file: string, i: number): crypto.KeyObject {
  const abs = path.resolve(entry.baseDir, file);
  const jsonPath = `$.models[${entry.index}].keys[${i}]`;
  const pem = readReferenced(entry, abs, jsonPath, 'key');
  try {
    return loadPublicKey(pem);
  } catch (e) {
    throw new FormatError<PolicyErrorData>(
      'POLICY_INVALID',
      `${entry.source}: ${jsonPath}: '${file}' is not a usable public key: ${e instanceof Error ? e.message : String(e)}`,
      { source: entry.source, jsonPath, file: abs },
      e,
    );
  }
}

/** The hint of the `i`th of an entry's `keys` files. */
export function keyFileHint(entry: PolicyEntry, file: string, i: number): string {
  return publicKeyHint(policyPublicKey(entry, file, i));
}

export interface PolicyCertificate {
  der: Buffer;
  subject: string;
  fingerprint: string;
}

/** The certificates of an entry's `certificateRoots` files, file by file. */
export function policyCertificates(entry: PolicyEntry): Array<{ file: string; certs: PolicyCertificate[] }> {
  return entry.certificateRoots.map((file, i) => {
    const abs = path.resolve(entry.baseDir, file);
    const jsonPath = `$.models[${entry.index}].certificateRoots[${i}]`;
    const pem = readReferenced(entry, abs, jsonPath, 'certificate').toString('utf8');
    try {
      const ders = parsePemCertificates(pem, file);
      return { file, certs: ders.map((der) => ({ der, subject: distinguishedName(new crypto.X509Certificate(der).subject), fingerprint: fingerprint(der) })) };
    } catch (e) {
      const why = isModelSigningError(e) ? e.message : String(e);
      throw new FormatError<PolicyErrorData>(
        'POLICY_INVALID',
        `${entry.source}: ${jsonPath}: '${file}' holds no usable certificate: ${why}`,
        { source: entry.source, jsonPath, file: abs },
        e,
      );
    }
  });
}

/** The DER certificates of an entry's `certificateRoots` files: the trust anchors to verify its models with. */
export function policyCertificateRoots(entry: PolicyEntry): Buffer[] {
  return policyCertificates(entry).flatMap((f) => f.certs.map((c) => c.der));
}

function readReferenced(entry: PolicyEntry, abs: string, jsonPath: string, what: string): Buffer {
  try {
    return readInputFileSync(abs, { what: `${what} file`, maxBytes: MAX_SMALL_INPUT_BYTES, unreadableCode: 'POLICY_UNREADABLE' });
  } catch (e) {
    const why = (e as Error).message;
    throw new ModelSigningError<PolicyErrorData>(
      'POLICY_UNREADABLE',
      `${entry.source}: ${jsonPath}: ${why.charAt(0).toLowerCase()}${why.slice(1)}`,
      { source: entry.source, jsonPath, file: abs },
      e,
    );
  }
}
