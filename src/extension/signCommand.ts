import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { createPublicKey } from 'node:crypto';
import {
  CertificateSigner, HashPool, KeySigner, KeyVerifier, ModelSigningError, Signer, SigstoreSigner, Verifier, listModelFiles, parsePemCertificates, signModel,
} from '../core';
import { safeText } from '../core/display';
import { STATE } from './constants';
import { loadKeyInteractively, pickFiles } from './keyMaterial';
import { ModelTarget, pickTarget } from './modelTarget';
import { notify } from './notify';
import { readKeyFile } from '../core/io/readInputFile';
import { formatBytes } from '../core/units';
import { withHashingProgress } from './progress';
import { IdentitySource, chooseIdentitySource, identityProvider, trustConfigFromSettings } from './sigstoreIdentity';

export type SigningMethod = 'sigstore' | 'key' | 'certificate';

/** Everything the Sign Model flow asks, given up front by callers that already know (tests, other extensions). */
export interface SignModelArgs {
  method?: SigningMethod;
  privateKey?: string;
  password?: string;
  signingCertificate?: string;
  certificateChain?: string[];
  identitySource?: IdentitySource;
  identityToken?: string;
  /** Replace an existing signature without asking. */
  overwrite?: boolean;
  /** Skip the "what will be signed" confirmation. */
  skipConfirmation?: boolean;
}

export interface SignDeps {
  pool: HashPool;
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  /** Called with the model and, when signing implies one, the verifier of the new signature. */
  afterSign: (target: ModelTarget, verifier?: Verifier) => Promise<void>;
}

/** Sign Model: choose the method, show what will be signed and where, never overwrite unasked, write atomically. */
export async function signModelCommand(deps: SignDeps, uri?: vscode.Uri, args: SignModelArgs = {}): Promise<boolean> {
  const target = await pickTarget(uri, 'Sign Model');
  if (!target) return false;
  const method = args.method ?? (await chooseMethod(deps.context));
  if (!method) return false;
  await deps.context.workspaceState.update(STATE.signingMethod, method);

  const listing = await listModelFiles(target.modelPath, { ignorePaths: [target.signaturePath] });
  if (listing.files.length === 0) throw new ModelSigningError('EMPTY_MODEL', `Nothing to sign in ${path.basename(target.modelPath)}: no file is left after the ignored paths`);
  const bytes = listing.files.reduce((n, f) => n + f.size, 0);
  if (!args.skipConfirmation) {
    const detail = safeText`${listing.files.length} file${listing.files.length === 1 ? '' : 's'}, ${formatBytes(bytes)}\nSignature: ${target.signaturePath}\nIgnored: ${listing.ignorePaths.join(', ') || 'nothing'}`;
    if ((await notify.info(safeText`Sign ${path.basename(target.modelPath)}?`, { modal: true, detail }, 'Sign')) !== 'Sign') return false;
  }
  if (fs.existsSync(target.signaturePath) && !args.overwrite) {
    const answer = await notify.warn(safeText`${path.basename(target.signaturePath)} already exists. Replace it?`, { modal: true }, 'Replace');
    if (answer !== 'Replace') return false;
  }
  const made = await makeSigner(method, deps, args);
  if (!made) return false;
  const { signer, verifier } = made;

  await withHashingProgress(safeText`Signing ${path.basename(target.modelPath)}`, (signal, onProgress) =>
    signModel(target.modelPath, { signer, pool: deps.pool, signaturePath: target.signaturePath, signal, onProgress }));
  deps.log.info(`Signed ${target.modelPath} (${listing.files.length} files, ${method}) → ${target.signaturePath}`);
  void notify.info(safeText`Signed ${path.basename(target.modelPath)}: ${listing.files.length} files → ${path.basename(target.signaturePath)}`);
  await deps.afterSign(target, verifier);
  return true;
}

async function chooseMethod(context: vscode.ExtensionContext): Promise<SigningMethod | undefined> {
  const last = context.workspaceState.get<SigningMethod>(STATE.signingMethod);
  const items = [
    { label: 'Sigstore (keyless)', description: 'a short-lived certificate for your identity, logged in Rekor', method: 'sigstore' as const },
    { label: 'Private key', description: 'an EC key (P-256, P-384, P-521) in a PEM file', method: 'key' as const },
    { label: 'Certificate', description: 'a private key with its X.509 certificate chain', method: 'certificate' as const },
  ].sort((a, b) => Number(b.method === last) - Number(a.method === last));
  return (await vscode.window.showQuickPick(items, { title: 'Sign Model with', ignoreFocusOut: true }))?.method;
}

/** The signer, and for a key the verifier of what it signs, so the badge can show the result at once. */
async function makeSigner(method: SigningMethod, deps: SignDeps, args: SignModelArgs): Promise<{ signer: Signer; verifier?: Verifier } | undefined> {
  if (method === 'sigstore') {
    const trust = await trustConfigFromSettings();
    const source = args.identitySource ?? (await chooseIdentitySource());
    const identity = source && (await identityProvider(source, trust, args.identityToken));
    return identity && { signer: new SigstoreSigner({ trustConfig: trust, identity }) };
  }
  const keyFile = args.privateKey ?? (await pickFiles('Private key (PEM)'))?.[0];
  if (!keyFile) return undefined;
  const key = await loadKeyInteractively(keyFile, deps.context.secrets, args.password);
  if (!key) return undefined;
  if (method === 'key') return { signer: new KeySigner(key), verifier: new KeyVerifier(createPublicKey(key)) };
  const certFile = args.signingCertificate ?? (await pickFiles('Signing certificate (PEM)'))?.[0];
  if (!certFile) return undefined;
  const chainFiles = args.certificateChain ?? (await pickFiles('Certificate chain (PEM files; cancel for none)', true)) ?? [];
  const chain = chainFiles.flatMap((f) => parsePemCertificates(readKeyFile(f, 'certificate chain'), f));
  return { signer: new CertificateSigner(key, parsePemCertificates(readKeyFile(certFile, 'signing certificate'), certFile)[0]!, chain) };
}
