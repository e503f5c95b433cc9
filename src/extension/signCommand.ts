import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { KeyObject, createPublicKey } from 'node:crypto';
import {
  HashPool,
  InputValues,
  MethodId,
  MethodInput,
  ModelSigningError,
  SIGNING_METHODS,
  isModelSigningError,
  Signer,
  Verifier,
  listModelFiles,
  signModel,
  signerFromInputs,
  signingMethod,
  verifierFromInputs,
} from '../core';
import { safeText } from '../core/display';
import { STATE } from './constants';
import { loadKeyInteractively, pickInput } from './keyMaterial';
import { Pkcs11Args, pkcs11SignerInteractively } from './pkcs11Signing';
import { ModelTarget, pickTarget, modelName } from './modelTarget';
import { notify } from './notify';
import { formatBytes } from '../core/units';
import { withHashingProgress } from './progress';
import { IdentitySource, chooseIdentitySource, identityProvider, trustConfigFromSettings } from './sigstoreIdentity';
import { chooseTimestamper } from './timestamps';

/**
 * Everything the Sign Model flow asks, given up front by callers that already know (tests, other extensions).
 * A method's file inputs are named as its declared inputs, in camelCase (`--private-key` is `privateKey`).
 */
export interface SignModelArgs extends Pkcs11Args {
  /** A registered method, or `pkcs11-key`: the key method with the key on a PKCS #11 token. */
  method?: MethodId | 'pkcs11-key';
  privateKey?: string;
  password?: string;
  signingCertificate?: string;
  certificateChain?: string[];
  identitySource?: IdentitySource;
  identityToken?: string;
  /** Add a timestamp from the configured timestamp authority (true), or not (false), without asking. */
  timestamp?: boolean;
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
  if (listing.files.length === 0)
    throw new ModelSigningError('EMPTY_MODEL', `Nothing to sign in ${modelName(target.modelPath)}: no file is left after the ignored paths`);
  const bytes = listing.files.reduce((n, f) => n + f.size, 0);
  if (!args.skipConfirmation) {
    const detail = safeText`${listing.files.length} file${listing.files.length === 1 ? '' : 's'}, ${formatBytes(bytes)}\nSignature: ${target.signaturePath}\nIgnored: ${listing.ignorePaths.join(', ') || 'nothing'}`;
    if ((await notify.info(safeText`Sign ${modelName(target.modelPath)}?`, { modal: true, detail }, 'Sign')) !== 'Sign') return false;
  }
  if (fs.existsSync(target.signaturePath) && !args.overwrite) {
    const answer = await notify.warn(safeText`${path.basename(target.signaturePath)} already exists. Replace it?`, { modal: true }, 'Replace');
    if (answer !== 'Replace') return false;
  }
  // How to sign before what with: the file pickers that follow take over the quick input.
  const { timestamper, cancelled } = await chooseTimestamper(method, args.timestamp);
  if (cancelled) return false;
  const made = await makeSigner(method, deps, args);
  if (!made) return false;
  const { signer, verifier } = made;

  try {
    await withHashingProgress(safeText`Signing ${modelName(target.modelPath)}`, (signal, onProgress) =>
      signModel(target.modelPath, { signer, timestamper, pool: deps.pool, signaturePath: target.signaturePath, signal, onProgress }),
    );
  } catch (e) {
    // The signature is written last, atomically: a cancel before it leaves the folder as it was, and says so.
    if (!isModelSigningError(e) || e.code !== 'CANCELLED') throw e;
    deps.log.info(`Signing ${target.modelPath} cancelled: nothing was written`);
    void notify.info(safeText`Signing cancelled: nothing was written (${modelName(target.modelPath)} is as it was)`);
    return false;
  }
  deps.log.info(`Signed ${target.modelPath} (${listing.files.length} files, ${method}) → ${target.signaturePath}`);
  void notify.info(safeText`Signed ${modelName(target.modelPath)}: ${listing.files.length} files → ${path.basename(target.signaturePath)}`);
  await deps.afterSign(target, verifier);
  return true;
}

/** A token's key signs what the key method verifies: offered beside the registered methods. */
const PKCS11_ITEM = { label: 'Hardware key (PKCS #11)', description: 'an EC key on a smart card, HSM or software token', method: 'pkcs11-key' } as const;

async function chooseMethod(context: vscode.ExtensionContext): Promise<SignModelArgs['method']> {
  const last = context.workspaceState.get<SignModelArgs['method']>(STATE.signingMethod);
  const registered = SIGNING_METHODS.map((m) => ({ label: m.label, description: m.description, method: m.id }));
  const items = [...registered, PKCS11_ITEM].sort((a, b) => Number(b.method === last) - Number(a.method === last));
  return (await vscode.window.showQuickPick(items, { title: 'Sign Model with', ignoreFocusOut: true }))?.method;
}

type MadeSigner = { signer: Signer; verifier?: Verifier };

/** Keyless signing asks for an identity, not files: the one method the extension collects its own way. */
const OWN_SIGNERS: Partial<Record<MethodId, (deps: SignDeps, args: SignModelArgs) => Promise<MadeSigner | undefined>>> = {
  sigstore: async (deps, args) => {
    const trust = await trustConfigFromSettings();
    const source = args.identitySource ?? (await chooseIdentitySource(trust));
    const identity = source && (await identityProvider(source, trust, deps.log, args.identityToken));
    return identity && { signer: await signingMethod('sigstore').makeSigner({ trustConfig: trust, identity }) };
  },
};

/**
 * The signer, from the arguments or the method's declared inputs asked for in order, and when the method
 * verifies with a public key alone, the verifier of what it signs, so the badge can show the result at once.
 */
async function makeSigner(method: MethodId | 'pkcs11-key', deps: SignDeps, args: SignModelArgs): Promise<MadeSigner | undefined> {
  if (method === 'pkcs11-key') return pkcs11SignerInteractively(deps.context, deps.log, args);
  const own = OWN_SIGNERS[method];
  if (own) return own(deps, args);
  const { inputs } = signingMethod(method);
  const collected = await collectInputs(inputs.sign, deps, args);
  if (!collected) return undefined;
  const signer = await signerFromInputs(method, collected.values, collected.loaded);
  const keyInput = inputs.sign.find((i) => i.kind === 'privateKey');
  const privateKey = keyInput && (collected.loaded[keyInput.name] as KeyObject | undefined);
  const [publicKey, ...more] = inputs.verify;
  if (!privateKey || publicKey?.kind !== 'publicKey' || more.length > 0) return { signer };
  return { signer, verifier: await verifierFromInputs(method, {}, { [publicKey.name]: createPublicKey(privateKey) }) };
}

/**
 * A method's inputs from the arguments (named as the inputs) or asked for in the declared order; undefined
 * when a required one is cancelled. A private key is loaded as soon as it is chosen, to ask for its password.
 */
async function collectInputs(
  inputs: readonly MethodInput[],
  deps: SignDeps,
  args: SignModelArgs,
): Promise<{ values: InputValues; loaded: Record<string, unknown> } | undefined> {
  const given = args as Record<string, string | string[] | undefined>;
  const values: Record<string, string[]> = {};
  const loaded: Record<string, unknown> = {};
  for (const input of inputs) {
    if (!input.prompt) continue;
    const value = given[input.name];
    const picked = value === undefined ? await pickInput(input) : [value].flat();
    if (!picked?.length && input.required) return undefined;
    values[input.name] = picked ?? [];
    if (input.kind === 'privateKey' && picked?.length) {
      loaded[input.name] = await loadKeyInteractively(picked[0]!, deps.context.secrets, args.password);
      if (!loaded[input.name]) return undefined;
    }
  }
  return { values, loaded };
}
