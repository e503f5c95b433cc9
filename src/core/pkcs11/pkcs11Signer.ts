/**
 * Signing with a key on a PKCS #11 token: the reference's `sign_pkcs11.Signer` and `CertSigner`. The bundle
 * is an ordinary key bundle (`publicKey.hint` of the token's public key) or certificate bundle, so
 * `verify key` and `verify certificate` check it.
 */
import * as crypto from 'node:crypto';
import { createCMSECDSASignature } from 'pkijs';
import { throwIfCancelled } from '../abort';
import { FormatError, ModelSigningError } from '../errors';
import type { Bundle, VerificationMaterial } from '../signing/bundle';
import { parseCertificate } from '../signing/certificates';
import { IN_TOTO_PAYLOAD_TYPE, pae } from '../signing/dsse';
import { hashForKey, publicKeyHint, samePublicKey, verifyBytes } from '../signing/keys';
import { Signer, signedBundle } from '../signing/signer';
import { pkcs11ModulePath } from './modulePath';
import { pinFromUri } from './pin';
import { Pkcs11Uri } from './pkcs11Uri';
import { TokenSlot, withModule } from './token';
import { TokenSession, tokenOf } from './tokenKeys';

export interface Pkcs11SignerOptions {
  uri: Pkcs11Uri;
  /**
   * Asked for the user PIN when the URI gives none and the token needs one (the CLI's prompt, the
   * extension's password box); undefined (or no callback) is PKCS11_PIN_REQUIRED.
   */
  askPin?: (token: TokenSlot) => Promise<string | undefined>;
  /** Where `module-name` is looked for (default: MODULE_DIRECTORIES). */
  moduleDirectories?: readonly string[];
}

/** The token, the PIN that opened it and the key's public half, found once and used again to sign. */
interface OpenedKey {
  modulePath: string;
  pin: string | undefined;
  publicKey: crypto.KeyObject;
}

/**
 * Opens the token the URI names, logs in and finds the key, so that a wrong PIN or a missing key fails
 * before the model is hashed. The session is closed again: sign() opens its own.
 */
async function openKey({ uri, askPin, moduleDirectories }: Pkcs11SignerOptions): Promise<OpenedKey> {
  const modulePath = pkcs11ModulePath(uri, moduleDirectories);
  const given = pinFromUri(uri);
  return withModule(modulePath, async (module) => {
    const session = new TokenSession(module, tokenOf(module, uri));
    try {
      let pin = given;
      if (pin === undefined && session.token.loginRequired) {
        pin = await askPin?.(session.token);
        if (pin === undefined) {
          throw new ModelSigningError('PKCS11_PIN_REQUIRED', `The token '${session.token.label}' needs its user PIN: add pin-value or pin-source to the URI`, {
            token: session.token.label,
          });
        }
      }
      if (pin !== undefined) session.login(pin);
      return { modulePath, pin, publicKey: session.keyPair(uri).publicKey };
    } finally {
      session.close();
    }
  });
}

/** Signs with the key a PKCS #11 URI names; the bundle names the key by its hint only, as a key bundle. */
export class Pkcs11KeySigner implements Signer {
  protected constructor(
    private readonly uri: Pkcs11Uri,
    private readonly key: OpenedKey,
  ) {}

  static async open(options: Pkcs11SignerOptions): Promise<Pkcs11KeySigner> {
    return new Pkcs11KeySigner(options.uri, await openKey(options));
  }

  get publicKey(): crypto.KeyObject {
    return this.key.publicKey;
  }

  protected verificationMaterial(): VerificationMaterial {
    return { publicKey: { hint: publicKeyHint(this.key.publicKey) }, tlogEntries: [] };
  }

  async sign(payload: Buffer, options: { signal?: AbortSignal } = {}): Promise<Bundle> {
    throwIfCancelled(options.signal);
    const signed = pae(IN_TOTO_PAYLOAD_TYPE, payload);
    const { publicKey, pin, modulePath } = this.key;
    // The reference's hash per curve: SHA-256 for P-256, SHA-384 for P-384, SHA-512 for P-521.
    const digest = crypto.createHash(hashForKey(publicKey)).update(signed).digest();
    const raw = await withModule(modulePath, async (module) => {
      const session = new TokenSession(module, tokenOf(module, this.uri));
      try {
        if (pin !== undefined) session.login(pin);
        const { privateKey, publicKey: now } = session.keyPair(this.uri);
        if (!samePublicKey(now, publicKey)) throw new ModelSigningError('KEY_MISMATCH', 'The key on the token changed while the model was hashed', {});
        return await session.signDigest(privateKey, digest);
      } finally {
        session.close();
      }
    });
    // CKM_ECDSA gives r||s; DSSE signatures are DER, as the reference converts them (DSASignature.from_p1363).
    const der = Buffer.from(createCMSECDSASignature(new Uint8Array(raw).buffer));
    if (!verifyBytes(publicKey, signed, der)) throw new ModelSigningError('SIGNATURE_INVALID', "The token's signature does not verify with its public key", {});
    return signedBundle(payload, der, this.verificationMaterial());
  }
}

/** Signs with a token's key and embeds its certificate and chain (leaf first, then the chain in file order). */
export class Pkcs11CertificateSigner extends Pkcs11KeySigner {
  private certificates: readonly Buffer[] = [];

  static async openWithCertificate(options: Pkcs11SignerOptions, signingCertificate: Buffer, chain: readonly Buffer[]): Promise<Pkcs11CertificateSigner> {
    const leaf = parseCertificate(signingCertificate, 'the signing certificate');
    const key = await openKey(options);
    if (!samePublicKey(leaf.publicKey, key.publicKey)) {
      throw new FormatError('CERTIFICATE_KEY_MISMATCH', 'The public key from the certificate does not match the public key paired with the private key', {});
    }
    const signer = new Pkcs11CertificateSigner(options.uri, key);
    signer.certificates = [signingCertificate, ...chain];
    return signer;
  }

  protected override verificationMaterial(): VerificationMaterial {
    return { x509CertificateChain: { certificates: this.certificates.map((der) => ({ rawBytes: der.toString('base64') })) }, tlogEntries: [] };
  }
}
