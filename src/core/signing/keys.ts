import * as crypto from 'node:crypto';
import { FormatError, errnoCode } from '../errors';
import { sha256Hex } from '../hashing/algorithm';

/** The hash OMS pairs with each supported curve. */
const CURVE_HASH: Record<string, 'sha256' | 'sha384' | 'sha512'> = {
  prime256v1: 'sha256',
  secp384r1: 'sha384',
  secp521r1: 'sha512',
};

/**
 * Reads a PEM private key (SEC1 or PKCS#8, encrypted or not). Text before the
 * armour, as GnuTLS certtool writes it, is skipped.
 */
export function loadPrivateKey(pem: string | Buffer, password?: string): crypto.KeyObject {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(password === undefined ? { key: pem, format: 'pem' } : { key: pem, format: 'pem', passphrase: password });
  } catch (e) {
    const code = errnoCode(e);
    // OpenSSL 3 reports a missing passphrase as an interrupted read.
    const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem.toString());
    if (password === undefined && (code === 'ERR_MISSING_PASSPHRASE' || encrypted)) {
      throw new FormatError('KEY_PASSWORD_REQUIRED', 'The private key is encrypted: give its password (--password)', {}, e);
    }
    // Never echo the key or the password back.
    const why = password !== undefined ? 'wrong password, or not a PEM private key' : 'not a PEM private key';
    throw new FormatError('KEY_INVALID', `Cannot read the private key: ${why}`, {}, e);
  }
  checkSupported(key);
  return key;
}

/**
 * Reads a PEM public key (SubjectPublicKeyInfo), or the public key of a PEM certificate. A private key is
 * refused (node would derive its public key): whoever gave it meant the public half, and should not be
 * handing the private one around.
 */
export function loadPublicKey(pem: string | Buffer): crypto.KeyObject {
  if (/-----BEGIN (?:[A-Z ]+ )?PRIVATE KEY-----/.test(pem.toString())) {
    throw new FormatError('KEY_IS_PRIVATE', 'This is a private key: give the public key (the .pub file) instead, and keep the private key to yourself', {});
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new FormatError('KEY_INVALID', 'Cannot read the public key: not a PEM public key', {}, e);
  }
  checkSupported(key);
  return key;
}

/** Only ECDSA on P-256, P-384 and P-521, as in the reference. */
export function checkSupported(key: crypto.KeyObject): void {
  if (key.asymmetricKeyType !== 'ec') {
    throw new FormatError('KEY_UNSUPPORTED', `Only elliptic curve keys are supported, got ${key.asymmetricKeyType ?? 'a symmetric key'}`, {
      type: key.asymmetricKeyType,
    });
  }
  const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
  if (!(curve in CURVE_HASH)) {
    throw new FormatError('KEY_UNSUPPORTED', `Unsupported key for curve '${curve}'`, { curve });
  }
}

/** SHA-256 for P-256, SHA-384 for P-384, SHA-512 for P-521. */
export function hashForKey(key: crypto.KeyObject): 'sha256' | 'sha384' | 'sha512' {
  return CURVE_HASH[key.asymmetricKeyDetails?.namedCurve ?? ''] ?? 'sha256';
}

/**
 * `publicKey.hint` of a key bundle: hex SHA-256 of the public key's PEM text
 * (64-column base64, final newline), as Python `cryptography` writes it; not of the DER.
 */
export function publicKeyHint(key: crypto.KeyObject): string {
  return sha256Hex(publicKeyPem(key));
}

/** The public key as PEM (SubjectPublicKeyInfo, 64-column base64, final newline): the text its hint is the hash of. */
export function publicKeyPem(key: crypto.KeyObject): string {
  const pub = key.type === 'private' ? crypto.createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'pem' }).toString();
}

export function signBytes(key: crypto.KeyObject, data: Buffer, hash = hashForKey(key)): Buffer {
  return crypto.sign(hash, data, { key, dsaEncoding: 'der' });
}

export function verifyBytes(key: crypto.KeyObject, data: Buffer, signature: Buffer, hash = hashForKey(key)): boolean {
  try {
    return crypto.verify(hash, data, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

export function samePublicKey(a: crypto.KeyObject, b: crypto.KeyObject): boolean {
  const der = (k: crypto.KeyObject) => (k.type === 'private' ? crypto.createPublicKey(k) : k).export({ type: 'spki', format: 'der' });
  return der(a).equals(der(b));
}
