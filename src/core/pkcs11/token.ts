/**
 * A PKCS #11 module and its tokens, through pkcs11js (a Node-API addon, loaded on first use so that
 * nothing else pays for it). Every call that can fail becomes a typed one-line error.
 */
import type * as Pkcs11Js from 'pkcs11js';
import { ErrorCode, ModelSigningError } from '../errors';

type Binding = typeof Pkcs11Js;

/** What is said of the addon that did not load, once per process. */
let bindingPromise: Promise<Binding> | undefined;

/** pkcs11js, or PKCS11_UNAVAILABLE where its addon does not load (a platform the package carries none for). */
export function pkcs11Binding(): Promise<Binding> {
  bindingPromise ??= import('pkcs11js').then(
    (m) => (m as { default?: Binding }).default ?? m,
    (e: unknown) => {
      bindingPromise = undefined;
      throw new ModelSigningError(
        'PKCS11_UNAVAILABLE',
        `PKCS #11 tokens cannot be used on this platform (${process.platform}-${process.arch}): the PKCS #11 binding did not load (${firstLine(e)})`,
        { platform: process.platform, arch: process.arch },
        e,
      );
    },
  );
  return bindingPromise;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

/** The CKR_ name of a Cryptoki error, or the binding's message. */
function ckrName(e: unknown): string {
  return /CKR_[A-Z_]+/.exec(firstLine(e))?.[0] ?? firstLine(e);
}

/** A failed Cryptoki call as a typed error: `what` says what was being done ("open a session"). */
export function tokenError(what: string, e: unknown, code: ErrorCode = 'PKCS11_FAILED'): ModelSigningError {
  return new ModelSigningError(code, `The PKCS #11 token could not ${what}: ${ckrName(e)}`, { ckr: ckrName(e) }, e);
}

/** Whether a Cryptoki error is this CKR_ code. */
export function isCkr(e: unknown, name: string): boolean {
  return ckrName(e) === name;
}

/** A token in a slot of the module. */
export interface TokenSlot {
  slot: Buffer;
  /** CK_SLOT_ID, as `slot-id` names it. */
  slotId: bigint;
  /** Without the blank padding. */
  label: string;
  manufacturer: string;
  model: string;
  serial: string;
  /** CKF_LOGIN_REQUIRED: its private keys need the user's PIN. */
  loginRequired: boolean;
  /** CKF_TOKEN_INITIALIZED: SoftHSM2 also lists an empty token in a spare slot. */
  initialized: boolean;
}

/** A CK_ULONG attribute or handle, as the binding gives it (native byte order; every platform it builds for is little-endian). */
export function ulong(value: Buffer): bigint {
  return value.length >= 8 ? value.readBigUInt64LE(0) : BigInt(value.readUInt32LE(0));
}

/** An initialised module; close() finalises and unloads it. */
export class Pkcs11Module {
  private constructor(
    readonly lib: Pkcs11Js.PKCS11,
    readonly ck: Binding,
    readonly path: string,
  ) {}

  static async open(modulePath: string): Promise<Pkcs11Module> {
    const ck = await pkcs11Binding();
    const lib = new ck.PKCS11();
    try {
      lib.load(modulePath);
    } catch (e) {
      throw new ModelSigningError('PKCS11_MODULE_NOT_FOUND', `Cannot load the PKCS #11 module '${modulePath}': ${firstLine(e)}`, { path: modulePath }, e);
    }
    try {
      lib.C_Initialize();
    } catch (e) {
      lib.close();
      throw tokenError('be initialised', e);
    }
    return new Pkcs11Module(lib, ck, modulePath);
  }

  /** The slots that hold a token. */
  tokens(): TokenSlot[] {
    const { lib, ck } = this;
    try {
      return lib.C_GetSlotList(true).map((slot) => {
        const info = lib.C_GetTokenInfo(slot);
        return {
          slot,
          slotId: ulong(slot),
          label: info.label.trimEnd(),
          manufacturer: info.manufacturerID.trimEnd(),
          model: info.model.trimEnd(),
          serial: info.serialNumber.trimEnd(),
          loginRequired: (info.flags & ck.CKF_LOGIN_REQUIRED) !== 0,
          initialized: (info.flags & ck.CKF_TOKEN_INITIALIZED) !== 0,
        };
      });
    } catch (e) {
      throw tokenError('list its slots', e);
    }
  }

  close(): void {
    try {
      this.lib.C_Finalize();
    } catch {
      // Finalising can only fail if it was never initialised; the module is unloaded either way.
    } finally {
      this.lib.close();
    }
  }
}

/** Runs `task` with the module open, and always closes it. */
export async function withModule<T>(modulePath: string, task: (module: Pkcs11Module) => Promise<T> | T): Promise<T> {
  const module = await Pkcs11Module.open(modulePath);
  try {
    return await task(module);
  } finally {
    module.close();
  }
}
