// Trusted timestamps on key and certificate signatures, from the user's settings: the timestamp authority
// Sign Model offers, and the authorities whose timestamps Verify Model trusts. Both are machine-scoped
// (userSetting): a workspace can neither send a signature's hash elsewhere nor choose which times are trusted.
import * as vscode from 'vscode';
import {
  MethodId,
  Rfc3161TimestampVerifier,
  Timestamper,
  TimestampVerifier,
  TsaTimestamper,
  parsePemCertificates,
  readKeyFile,
  timestampAuthoritiesOf,
} from '../core';
import { SETTINGS } from './constants';
import { trustConfigFromSettings } from './sigstoreIdentity';
import { userSetting } from './trustedSettings';

/**
 * The timestamper for a key or certificate signature: none when no authority is set (or for keyless, which
 * Sigstore always stamps); else offered, unless `timestamp` says; `cancelled` when the pick is dismissed.
 */
export async function chooseTimestamper(method: MethodId | 'pkcs11-key', timestamp?: boolean): Promise<{ timestamper?: Timestamper; cancelled?: true }> {
  const url = userSetting<string>(SETTINGS.timestampAuthorityUrl);
  if (method === 'sigstore' || !url || timestamp === false) return {};
  const timestamper = new TsaTimestamper(url);
  if (timestamp === true) return { timestamper };
  const add = { label: `Add a trusted timestamp from ${new URL(url).host}`, detail: `Proves when the model was signed (${url} receives the signature's hash)` };
  const skip = { label: 'No timestamp', detail: 'A certificate signature stops verifying when the certificate expires' };
  const picked = await vscode.window.showQuickPick([add, skip], { title: 'Sign Model: signing time', ignoreFocusOut: true });
  if (!picked) return { cancelled: true };
  return picked === add ? { timestamper } : {};
}

/**
 * The check of key and certificate signatures' timestamps: against the chain the setting names, else the
 * authorities of the Sigstore trust config; read only for a signature that has a timestamp.
 */
export const timestampVerifierFromSettings: TimestampVerifier = {
  async verify(signature, timestamps) {
    const chainFile = userSetting<string>(SETTINGS.timestampAuthorityChain);
    const authorities = chainFile
      ? [{ chain: parsePemCertificates(readKeyFile(chainFile, 'timestamp authority certificate chain'), chainFile) }]
      : timestampAuthoritiesOf(await trustConfigFromSettings());
    return new Rfc3161TimestampVerifier(authorities).verify(signature, timestamps);
  },
};
