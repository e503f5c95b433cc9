// What a module offers, for a picker (the extension's Sign Model): its tokens, and the keys on one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelSigningError } from '../errors';
import { MODULE_DIRECTORIES } from './modulePath';
import { TokenSlot, withModule } from './token';
import { TokenKeyEntry, TokenSession } from './tokenKeys';

/** The PKCS #11 modules installed in the standard folders (and SoftHSM2's), by path. */
export function installedModules(directories: readonly string[] = MODULE_DIRECTORIES): string[] {
  return directories.flatMap((dir) => {
    try {
      return fs
        .readdirSync(dir)
        .filter((f) => /\.(so|dylib|dll)(\.\d+)*$/.test(f))
        .sort()
        .map((f) => path.join(dir, f));
    } catch {
      return [];
    }
  });
}

/** The module's initialised tokens. */
export function listTokens(modulePath: string): Promise<TokenSlot[]> {
  return withModule(modulePath, (module) => module.tokens().filter((t) => t.initialized));
}

/** The private keys on the token in slot `slotId`, after logging in with `pin` when one is given. */
export function listTokenKeys(modulePath: string, slotId: bigint, pin?: string): Promise<TokenKeyEntry[]> {
  return withModule(modulePath, (module) => {
    const token = module.tokens().find((t) => t.slotId === slotId);
    if (!token) throw new ModelSigningError('PKCS11_TOKEN_NOT_FOUND', `There is no token in slot ${slotId} of the PKCS #11 module`, { slotId: String(slotId) });
    const session = new TokenSession(module, token);
    try {
      if (pin !== undefined) session.login(pin);
      return session.privateKeys();
    } finally {
      session.close();
    }
  });
}
