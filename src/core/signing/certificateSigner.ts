import * as crypto from 'node:crypto';
import { settle } from '../abort';
import { FormatError } from '../errors';
import { Bundle } from './bundle';
import { parseCertificate } from './certificates';
import { samePublicKey } from './keys';
import { Signer, dsseBundle } from './signer';

/** Signs with an EC private key and embeds its certificate and chain (leaf first, then the chain in file order). */
export class CertificateSigner implements Signer {
  constructor(
    private readonly privateKey: crypto.KeyObject,
    private readonly signingCertificate: Buffer,
    private readonly chain: readonly Buffer[] = [],
  ) {
    const leaf = parseCertificate(signingCertificate, 'the signing certificate');
    if (!samePublicKey(leaf.publicKey, privateKey)) {
      throw new FormatError('CERTIFICATE_KEY_MISMATCH', 'The public key from the certificate does not match the public key paired with the private key');
    }
  }

  sign(payload: Buffer): Promise<Bundle> {
    const certificates = [this.signingCertificate, ...this.chain].map((der) => ({ rawBytes: der.toString('base64') }));
    return settle(() => dsseBundle(this.privateKey, payload, { x509CertificateChain: { certificates }, tlogEntries: [] }));
  }
}
