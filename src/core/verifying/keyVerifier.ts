import * as crypto from 'node:crypto';
import { settle } from '../abort';
import { FormatError, VerificationError } from '../errors';
import { BUNDLE_V03_MEDIA_TYPE, Bundle } from '../signing/bundle';
import { publicKeyHint, publicKeyPem } from '../signing/keys';
import { verifyDsseSignature } from './dsseSignature';
import { PinMaterial, VerifiedSignature, Verifier } from './verifier';

/** Verifies bundles made with a private key against its public key. */
export class KeyVerifier implements Verifier {
  private readonly hint: string;

  constructor(private readonly publicKey: crypto.KeyObject) {
    this.hint = publicKeyHint(publicKey);
  }

  verify(bundle: Bundle): Promise<VerifiedSignature> {
    return settle(() => this.check(bundle));
  }

  pinMaterial(): PinMaterial {
    return { publicKeyPem: publicKeyPem(this.publicKey) };
  }

  private check(bundle: Bundle): VerifiedSignature {
    checkMediaType(bundle);
    const pk = bundle.verificationMaterial.publicKey;
    if (!pk) throw new VerificationError('KEY_MISMATCH', 'The signature was not made with a key: it has no publicKey (try verify certificate or sigstore)');
    const warnings: string[] = [];
    if (pk.hint) {
      if (pk.hint.toLowerCase() !== this.hint) {
        throw new VerificationError(
          'KEY_MISMATCH',
          "Key mismatch: the public key hash in the signature's verification material does not match the provided public key",
          { expected: pk.hint, actual: this.hint },
        );
      }
    } else {
      warnings.push(
        "This model's signature uses an older verification material format. Please re-sign with an updated signer to use a public key identifier hash.",
      );
    }
    const payload = verifyDsseSignature(bundle, this.publicKey);
    return { signer: { method: 'key', keyHint: this.hint }, payload, warnings };
  }
}

/** The reference's key and certificate verifiers take only v0.3 bundles. */
export function checkMediaType(bundle: Bundle): void {
  if (bundle.mediaType !== BUNDLE_V03_MEDIA_TYPE) {
    throw new FormatError('BUNDLE_INVALID', `Invalid sigstore bundle, got media type ${bundle.mediaType} but expected ${BUNDLE_V03_MEDIA_TYPE}`, {
      mediaType: bundle.mediaType,
    });
  }
}
