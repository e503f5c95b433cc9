// Sign Model's "Hardware key (PKCS #11)": the module (remembered on this machine), then the token and
// the key from what the module lists, the PIN in a password box, kept in SecretStorage only when the
// user says so. The signature is an ordinary key signature, which Verify Model checks with the public key.
import * as vscode from 'vscode';
import {
  ModelSigningError,
  Pkcs11KeySigner,
  TokenKeyEntry,
  TokenSlot,
  Verifier,
  formatPkcs11Uri,
  installedModules,
  isModelSigningError,
  listTokenKeys,
  listTokens,
  parsePkcs11Uri,
  verifierFromInputs,
} from '../core';
import { safeText } from '../core/display';
import { notify } from './notify';

/** What a caller that already knows may give instead of being asked (tests, other extensions). */
export interface Pkcs11Args {
  /** The module's path. */
  pkcs11Module?: string;
  /** The token's label. */
  pkcs11Token?: string;
  /** The key's label (CKA_LABEL). */
  pkcs11Key?: string;
  pin?: string;
}

/** globalState: the module last used, for this machine (globalState is not synced unless asked). */
const MODULE_STATE = 'modelSigning.pkcs11Module';

export async function pkcs11SignerInteractively(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  args: Pkcs11Args,
): Promise<{ signer: Pkcs11KeySigner; verifier: Verifier } | undefined> {
  const modulePath = args.pkcs11Module ?? (await pickModule(context));
  if (!modulePath) return undefined;
  const tokens = await listTokens(modulePath);
  await context.globalState.update(MODULE_STATE, modulePath);
  const token = await pickToken(modulePath, tokens, args.pkcs11Token);
  if (!token) return undefined;
  const opened = await openToken(context.secrets, modulePath, token, args.pin);
  if (!opened) return undefined;
  const key = await pickKey(token, opened.keys, args.pkcs11Key);
  if (!key) return undefined;
  const uri = formatPkcs11Uri({
    path: [
      ['slot-id', String(token.slotId)],
      ['token', token.label],
      ['object', key.label],
      ['id', key.id],
    ],
    query: [['module-path', modulePath]],
  });
  // The PIN stays out of the URI (which the log shows): the signer asks for it, and gets the one given.
  const signer = await Pkcs11KeySigner.open({ uri: parsePkcs11Uri(uri), askPin: () => Promise.resolve(opened.pin) });
  log.info(`Signing with the PKCS #11 key ${uri}`);
  // Not awaited: signing goes on while the offer stands.
  if (opened.offerToRemember) void offerToRemember(context.secrets, opened.secretKey, opened.pin!);
  return { signer, verifier: await verifierFromInputs('key', {}, { publicKey: signer.publicKey }) };
}

async function pickModule(context: vscode.ExtensionContext): Promise<string | undefined> {
  const last = context.globalState.get<string>(MODULE_STATE);
  const paths = [...new Set([...(last ? [last] : []), ...installedModules()])];
  const browse = { label: '$(folder-opened) Choose a PKCS #11 module file…', path: undefined };
  const items = [...paths.map((p) => ({ label: p, description: p === last ? 'last used' : undefined, path: p })), browse];
  const picked = await vscode.window.showQuickPick(items, { title: 'PKCS #11 module of the token', ignoreFocusOut: true });
  if (!picked) return undefined;
  if (picked.path) return picked.path;
  const files = await vscode.window.showOpenDialog({ title: 'PKCS #11 module (a .so, .dylib or .dll)', canSelectMany: false, openLabel: 'Select' });
  return files?.[0]?.fsPath;
}

async function pickToken(modulePath: string, tokens: readonly TokenSlot[], label: string | undefined): Promise<TokenSlot | undefined> {
  if (tokens.length === 0)
    throw new ModelSigningError('PKCS11_TOKEN_NOT_FOUND', `The PKCS #11 module '${modulePath}' has no initialised token`, { modulePath });
  if (label !== undefined) {
    const token = tokens.find((t) => t.label === label);
    if (!token) throw new ModelSigningError('PKCS11_TOKEN_NOT_FOUND', `Could not find a token with label '${label}' in any slot`, { label });
    return token;
  }
  const items = tokens.map((t) => ({ label: t.label, description: `${t.manufacturer} ${t.model}, serial ${t.serial}`, token: t }));
  return (await vscode.window.showQuickPick(items, { title: 'Token to sign with', ignoreFocusOut: true }))?.token;
}

interface OpenedToken {
  keys: TokenKeyEntry[];
  pin?: string;
  secretKey: string;
  /** A PIN typed here that worked and is not stored yet. */
  offerToRemember: boolean;
}

/**
 * The token's private keys, logged in with the given PIN, the stored one or one typed in a password box.
 * A PIN the token refuses is asked again (a stored one is forgotten first); Escape ends it.
 */
async function openToken(secrets: vscode.SecretStorage, modulePath: string, token: TokenSlot, given?: string): Promise<OpenedToken | undefined> {
  const secretKey = `modelSigning.pkcs11Pin:${modulePath}:${token.serial}:${token.label}`;
  if (!token.loginRequired) return { keys: await listTokenKeys(modulePath, token.slotId), secretKey, offerToRemember: false };
  let pin = given ?? (await secrets.get(secretKey));
  let typed = false;
  let refused = false;
  for (;;) {
    if (pin === undefined) {
      pin = await vscode.window.showInputBox({
        title: `User PIN of the token '${token.label}'`,
        prompt: refused ? 'The token refused that PIN. Enter the user PIN again (a token may lock after a few wrong PINs).' : undefined,
        password: true,
        ignoreFocusOut: true,
      });
      if (pin === undefined) return undefined;
      typed = true;
    }
    try {
      return { keys: await listTokenKeys(modulePath, token.slotId, pin), pin, secretKey, offerToRemember: typed };
    } catch (e) {
      if (!isModelSigningError(e) || e.code !== 'PKCS11_PIN_INCORRECT' || given !== undefined) throw e;
      if (!typed) await secrets.delete(secretKey);
      pin = undefined;
      refused = true;
    }
  }
}

async function pickKey(token: TokenSlot, keys: readonly TokenKeyEntry[], label: string | undefined): Promise<TokenKeyEntry | undefined> {
  if (label !== undefined) {
    const key = keys.find((k) => k.label === label);
    if (!key)
      throw new ModelSigningError('PKCS11_OBJECT_NOT_FOUND', `Could not find a private key with label '${label}' on the token '${token.label}'`, { label });
    return key;
  }
  if (keys.length === 0) throw new ModelSigningError('PKCS11_OBJECT_NOT_FOUND', `The token '${token.label}' has no private key`, { token: token.label });
  const items = keys.map((k) => ({
    label: k.label || '(no label)',
    description: `${k.keyType.toUpperCase()} key, id ${k.id.toString('hex') || '(none)'}`,
    key: k,
  }));
  return (await vscode.window.showQuickPick(items, { title: `Key on '${token.label}' to sign with`, ignoreFocusOut: true }))?.key;
}

async function offerToRemember(secrets: vscode.SecretStorage, secretKey: string, pin: string): Promise<void> {
  const answer = await notify.info(safeText`Remember this token PIN in VS Code's secret storage?`, {}, 'Remember', 'Not now');
  if (answer === 'Remember') await secrets.store(secretKey, pin);
}
