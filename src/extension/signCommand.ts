import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { KeyObject, createPublicKey } from 'node:crypto';
import {
  HashPool, MethodId, MethodInput, ModelSigningError, SIGNING_METHODS, Signer, Verifier, listModelFiles, parsePemCertificates, signModel, signingMethod,
} from '../core';
import { safeText } from '../core/display';
import { STATE } from './constants';
import { loadKeyInteractively, pickInput } from './keyMaterial';
import { ModelTarget, pickTarget } from './modelTarget';
import { notify } from './notify';
import { readKeyFile } from '../core/io/readInputFile';
import { formatBytes } from '../core/units';
import { withHashingProgress } from './progress';
import { IdentitySource, chooseIdentitySource, identityProvider, trustConfigFromSettings } from './sigstoreIdentity';

/**
 * Everything the Sign Model flow asks, given up front by callers that already know (tests, other extensions).
 * A method's file inputs are named as its declared inputs, in camelCase (`--private-key` is `privateKey`).
 */
export interface SignModelArgs {
  method?: MethodId;
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

async function chooseMethod(context: vscode.ExtensionContext): Promise<MethodId | undefined> {
  const last = context.workspaceState.get<MethodId>(STATE.signingMethod);
  const items = SIGNING_METHODS.map((m) => ({ label: m.label, description: m.description, method: m.id }))
    .sort((a, b) => Number(b.method === last) - Number(a.method === last));
  return (await vscode.window.showQuickPick(items, { title: 'Sign Model with', ignoreFocusOut: true }))?.method;
}

/** The signer, and for a key the verifier of what it signs, so the badge can show the result at once. */
async function makeSigner(method: MethodId, deps: SignDeps, args: SignModelArgs): Promise<{ signer: Signer; verifier?: Verifier } | undefined> {
  if (method === 'sigstore') {
    const trust = await trustConfigFromSettings();
    const source = args.identitySource ?? (await chooseIdentitySource());
    const identity = source && (await identityProvider(source, trust, args.identityToken));
    return identity && { signer: await signingMethod('sigstore').makeSigner({ trustConfig: trust, identity }) };
  }
  const inputs = await keyInputs(signingMethod(method).inputs.sign, deps, args);
  if (!inputs) return undefined;
  const { privateKey, files } = inputs;
  if (method === 'key') return { signer: await signingMethod('key').makeSigner({ privateKey }), verifier: await signingMethod('key').makeVerifier({ publicKey: createPublicKey(privateKey) }) };
  const pem = (key: string, what: string) => files[key]!.flatMap((f) => parsePemCertificates(readKeyFile(f, what), f));
  return { signer: await signingMethod('certificate').makeSigner({ privateKey, signingCertificate: pem('signingCertificate', 'signing certificate')[0]!, certificateChain: pem('certificateChain', 'certificate chain') }) };
}

/**
 * The private key and the other files a key-based method declares, from the arguments or asked for in the
 * declared order; undefined when a required one is cancelled. The key's password is asked as soon as the key is chosen.
 */
async function keyInputs(inputs: readonly MethodInput[], deps: SignDeps, args: SignModelArgs): Promise<{ privateKey: KeyObject; files: Record<string, string[]> } | undefined> {
  const given = args as Record<string, string | string[] | undefined>;
  const files: Record<string, string[]> = {};
  let privateKey: KeyObject | undefined;
  for (const input of inputs) {
    if (!input.prompt) continue;
    const name = input.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const value = given[name];
    const picked = value === undefined ? await pickInput(input) : [value].flat();
    if (!picked?.length && input.required) return undefined;
    files[name] = picked ?? [];
    if (name === 'privateKey') {
      privateKey = await loadKeyInteractively(files[name][0]!, deps.context.secrets, args.password);
      if (!privateKey) return undefined;
    }
  }
  return privateKey && { privateKey, files };
}
