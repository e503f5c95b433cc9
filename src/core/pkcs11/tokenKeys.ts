/**
 * A session on one token: the reference's `Pkcs11URI.login` and `Signer.find_object`. The token is the one
 * `slot-id` names (and `token`, if given, must be its label), else the one labelled `token`; its key pair
 * is found by `object` (CKA_LABEL) and `id` (CKA_ID), both when both are given.
 */
import * as crypto from 'node:crypto';
import * as asn1js from 'asn1js';
import { FormatError, ModelSigningError } from '../errors';
import { checkSupported } from '../signing/keys';
import { Pkcs11Uri, pathText } from './pkcs11Uri';
import { Pkcs11Module, TokenSlot, isCkr, tokenError, ulong } from './token';

/** The token the URI names. */
export function tokenOf(module: Pkcs11Module, uri: Pkcs11Uri): TokenSlot {
  const label = pathText(uri, 'token');
  const slotText = pathText(uri, 'slot-id');
  const tokens = module.tokens();
  if (slotText !== undefined) {
    const slotId = BigInt(slotText);
    const token = tokens.find((t) => t.slotId === slotId);
    if (!token) throw new ModelSigningError('PKCS11_TOKEN_NOT_FOUND', `There is no token in slot ${slotText} of the PKCS #11 module`, { slotId: slotText });
    if (label !== undefined && token.label !== label.trimEnd()) {
      throw new ModelSigningError('PKCS11_TOKEN_NOT_FOUND', `The token in slot ${slotText} is not called '${label}'`, { slotId: slotText, label });
    }
    return token;
  }
  if (label === undefined) throw new FormatError('PKCS11_URI_INVALID', 'Invalid PKCS #11 URI: it names no token: add token=LABEL or slot-id=N', {});
  const token = tokens.find((t) => t.label === label.trimEnd());
  if (!token) throw new ModelSigningError('PKCS11_TOKEN_NOT_FOUND', `Could not find a token with label '${label}' in any slot`, { label });
  return token;
}

/** A key pair on the token: the private key's handle, and its public key read from the public key object. */
export interface TokenKeyPair {
  privateKey: Buffer;
  publicKey: crypto.KeyObject;
}

/** A private key on a token, for a picker. */
export interface TokenKeyEntry {
  label: string;
  id: Buffer;
  /** `ec`, `rsa`, …: what CKA_KEY_TYPE says. */
  keyType: string;
}

/** An open session on a token; close() ends it. */
export class TokenSession {
  readonly handle: Buffer;

  constructor(
    private readonly module: Pkcs11Module,
    readonly token: TokenSlot,
  ) {
    try {
      this.handle = module.lib.C_OpenSession(token.slot, module.ck.CKF_SERIAL_SESSION);
    } catch (e) {
      throw tokenError('open a session', e);
    }
  }

  /** Logs in as the user. The PIN is never quoted, in errors or anywhere else. */
  login(pin: string): void {
    try {
      this.module.lib.C_Login(this.handle, this.module.ck.CKU_USER, pin);
    } catch (e) {
      if (isCkr(e, 'CKR_USER_ALREADY_LOGGED_IN')) return;
      if (isCkr(e, 'CKR_PIN_INCORRECT') || isCkr(e, 'CKR_PIN_LEN_RANGE')) {
        throw new ModelSigningError(
          'PKCS11_PIN_INCORRECT',
          `The token '${this.token.label}' refused the PIN: it is not the user PIN`,
          { token: this.token.label },
          e,
        );
      }
      throw tokenError('log in', e, isCkr(e, 'CKR_PIN_LOCKED') ? 'PKCS11_PIN_INCORRECT' : 'PKCS11_FAILED');
    }
  }

  /** The key pair the URI's `object` and `id` name: an EC key on P-256, P-384 or P-521. */
  keyPair(uri: Pkcs11Uri): TokenKeyPair {
    const label = pathText(uri, 'object');
    const id = uri.path.get('id');
    if (label === undefined && id === undefined) {
      throw new FormatError('PKCS11_URI_INVALID', 'Invalid PKCS #11 URI: it names no key: add object=LABEL or id=%XX…', {});
    }
    const { ck } = this.module;
    const privateKey = this.find(ck.CKO_PRIVATE_KEY, label, id, 'private key');
    const [type] = this.attributes(privateKey, [ck.CKA_KEY_TYPE]);
    if (ulong(type!) !== BigInt(ck.CKK_EC)) {
      const name = keyTypeName(this.module, type!);
      throw new FormatError('KEY_UNSUPPORTED', `Only elliptic curve keys are supported, got ${name}`, { type: name });
    }
    const publicObject = this.find(ck.CKO_PUBLIC_KEY, label, id, 'public key');
    const [params, point] = this.attributes(publicObject, [ck.CKA_EC_PARAMS, ck.CKA_EC_POINT]);
    const publicKey = crypto.createPublicKey({ key: ecSpki(params!, point!), format: 'der', type: 'spki' });
    checkSupported(publicKey);
    return { privateKey, publicKey };
  }

  /** The token's private keys, with their labels, ids and key types. */
  privateKeys(): TokenKeyEntry[] {
    const { ck } = this.module;
    return this.findAll([{ type: ck.CKA_CLASS, value: ck.CKO_PRIVATE_KEY }]).map((handle) => {
      const [label, id, type] = this.attributes(handle, [ck.CKA_LABEL, ck.CKA_ID, ck.CKA_KEY_TYPE]);
      return { label: label!.toString('utf8'), id: id!, keyType: keyTypeName(this.module, type!) };
    });
  }

  /** CKM_ECDSA over a digest: the raw r||s signature. */
  async signDigest(privateKey: Buffer, digest: Buffer): Promise<Buffer> {
    const { lib, ck } = this.module;
    try {
      lib.C_SignInit(this.handle, { mechanism: ck.CKM_ECDSA }, privateKey);
      // r||s of P-521 is 132 bytes, the largest.
      return await lib.C_SignAsync(this.handle, digest, Buffer.alloc(132));
    } catch (e) {
      throw tokenError('sign', e);
    }
  }

  close(): void {
    try {
      this.module.lib.C_CloseSession(this.handle);
    } catch {
      // The module is finalised next, which closes every session anyway.
    }
  }

  private find(cls: number, label: string | undefined, id: Buffer | undefined, what: string): Buffer {
    const { ck } = this.module;
    const template: Pkcs11Template = [{ type: ck.CKA_CLASS, value: cls }];
    if (label !== undefined) template.push({ type: ck.CKA_LABEL, value: Buffer.from(label, 'utf8') });
    if (id !== undefined) template.push({ type: ck.CKA_ID, value: id });
    const found = this.findAll(template)[0];
    if (found) return found;
    const named = [label !== undefined ? `label '${label}'` : '', id !== undefined ? `id ${id.toString('hex')}` : ''].filter(Boolean).join(' and ');
    throw new ModelSigningError('PKCS11_OBJECT_NOT_FOUND', `Could not find a ${what} with ${named} on the token '${this.token.label}'`, {
      label,
      id: id?.toString('hex'),
    });
  }

  private findAll(template: Pkcs11Template): Buffer[] {
    const { lib } = this.module;
    try {
      lib.C_FindObjectsInit(this.handle, template);
      try {
        return lib.C_FindObjects(this.handle, 1000);
      } finally {
        lib.C_FindObjectsFinal(this.handle);
      }
    } catch (e) {
      throw tokenError('search its objects', e);
    }
  }

  private attributes(handle: Buffer, types: number[]): Buffer[] {
    try {
      return this.module.lib
        .C_GetAttributeValue(
          this.handle,
          handle,
          types.map((type) => ({ type })),
        )
        .map((a) => a.value);
    } catch (e) {
      throw tokenError('read a key attribute', e);
    }
  }
}

type Pkcs11Template = { type: number; value: number | Buffer }[];

function keyTypeName(module: Pkcs11Module, type: Buffer): string {
  const value = ulong(type);
  // CKK_EC has an older name, CKK_ECDSA, with the same value.
  if (value === BigInt(module.ck.CKK_EC)) return 'ec';
  const ck = module.ck as unknown as Record<string, unknown>;
  const name = Object.keys(ck).find((k) => k.startsWith('CKK_') && typeof ck[k] === 'number' && BigInt(ck[k]) === value);
  return name ? name.slice(4).toLowerCase().replace(/_/g, '-') : `key type ${value}`;
}

/**
 * A SubjectPublicKeyInfo from CKA_EC_PARAMS (the curve's DER) and CKA_EC_POINT (a DER OCTET STRING
 * holding the point; some tokens give the bare point), as the reference builds it with asn1crypto.
 */
function ecSpki(params: Buffer, point: Buffer): Buffer {
  const wrapped = asn1js.fromBER(point);
  const bare = wrapped.offset === point.length && wrapped.result instanceof asn1js.OctetString ? Buffer.from(wrapped.result.valueBlock.valueHexView) : point;
  const curve = asn1js.fromBER(params);
  if (curve.offset === -1) throw new FormatError('KEY_INVALID', 'The token gave malformed EC parameters for the key', {});
  const spki = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '1.2.840.10045.2.1' }), curve.result] }),
      new asn1js.BitString({ valueHex: bare }),
    ],
  });
  return Buffer.from(spki.toBER());
}
