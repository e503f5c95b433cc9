import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  Bundle,
  HashPool,
  HashProgress,
  InputValues,
  MethodId,
  PolicyEntry,
  VerificationResult,
  Verifier,
  bundleKind,
  describeSigner,
  evaluatePolicy,
  isModelSigningError,
  ModelSigningError,
  PinMaterial,
  parseShardName,
  policyRefusesMethod,
  readBundle,
  signingMethod,
  verifierFromInputs,
  verifierFromPolicy,
  verifyModel,
} from '../core';
import { SafeText, safeText } from '../core/display';
import { pickInput } from './keyMaterial';
import { NOT_TRUSTED, PolicyNote, policyFor } from './modelPolicy';
import { isPolicyError, showPolicyProblem } from './policyProblems';
import { ModelState, ModelStates, canPin, problemCount } from './modelState';
import { COMMANDS, VIEWS } from './constants';
import { notPinnedText, signerText } from './trustWording';
import { ModelTarget, modelName } from './modelTarget';
import { notify } from './notify';
import { withHashingProgress } from './progress';
import { trustConfigFromSettings } from './sigstoreIdentity';
import { VerificationRuns } from './verificationRuns';
import { timestampVerifierFromSettings } from './timestamps';

/** What to trust, given up front (tests, policy); otherwise the flow asks. */
export interface VerifyModelArgs {
  publicKey?: string;
  certificateRoots?: string[];
  identity?: string;
  issuer?: string;
  /** No dialogs: for the live badge. */
  quiet?: boolean;
  /** Quiet, and the badge is taken only when it shows no model yet: the models found when the workspace opens. */
  background?: boolean;
  /** Stops a quiet verification (the editor closing). */
  signal?: AbortSignal;
}

export interface VerifyDeps {
  pool: HashPool;
  states: ModelStates;
  diagnostics: vscode.DiagnosticCollection;
  /** Problems in the workspace folders' policy files. */
  policyDiagnostics: vscode.DiagnosticCollection;
  log: vscode.LogOutputChannel;
  /** Verifiers that worked for a model, reused by the live badge. */
  remembered: Map<string, Verifier>;
  runs: VerificationRuns;
}

/** Verify Model (on the model the user picked): check the signature and every file, then show the result in the badge, the tree and Problems. */
export function verifyTarget(deps: VerifyDeps, target: ModelTarget, args: VerifyModelArgs = {}): Promise<VerificationResult | undefined> {
  return deps.runs.run(target.modelPath, Boolean(args.quiet), (current) => verifyNow(deps, target, args, current));
}

/** One verification; once a newer one of the model has started (`current()` false), it changes nothing shown. */
async function verifyNow(deps: VerifyDeps, target: ModelTarget, args: VerifyModelArgs, current: () => boolean): Promise<VerificationResult | undefined> {
  // A quiet (live) re-verification takes the badge from the model the user looks at only to say that something went
  // wrong, not that it is still wrong (a policy change re-checks every model); a background one only when the badge
  // has no model to show.
  const wasProblem = isProblem(deps.states.get(target.modelPath));
  const focus = (state: ModelState): boolean => (args.background ? deps.states.current === undefined : !args.quiet || (isProblem(state) && !wasProblem));
  const set = (state: ModelState): void => {
    if (current()) deps.states.set(state, focus(state));
  };
  // A quiet re-check keeps the model's last result on show until its own is ready: the badge and the view do not
  // flicker to "Verifying", and what they said stays readable meanwhile.
  const showProgress = !args.quiet || deps.states.get(target.modelPath) === undefined;
  const progress = (percent: number): void => {
    if (showProgress) set({ kind: 'verifying', target, percent });
  };
  if (!fs.existsSync(target.signaturePath)) {
    set({ kind: 'unsigned', target });
    if (!args.quiet) void notify.warn(safeText`${modelName(target.modelPath)} has no signature (${path.basename(target.signaturePath)})`);
    return undefined;
  }
  const refuse = (reason: string): undefined => {
    set({ kind: 'failed', target, message: `Policy: ${reason}`, policy: note });
    deps.log.warn(`${target.modelPath}: ${reason}`);
    if (!args.quiet) void notify.error(safeText`${modelName(target.modelPath)}: ${reason}`);
    return undefined;
  };
  let note: PolicyNote | undefined;
  try {
    const bundle = await readBundle(target.signaturePath);
    const governing = await policyFor(target.modelPath);
    const policy = governing.entry;
    note = governing.note;
    // The policy file read without error: clear its Problems entry.
    if (note.kind !== 'untrusted') showModelPolicyProblem(deps, target);
    // A policy that names nobody of the signature's kind refuses it before anything is asked: the same
    // reason for Verify Model and the live badge.
    const method = bundleKind(bundle);
    const refused = policy && policyRefusesMethod(policy, method);
    if (refused) return refuse(refused.reason);
    const verifier = await chooseVerifier(deps, target, bundle, method, policy, args);
    if (!verifier) return undefined;
    progress(0);
    // Once nothing more is asked (a focus change would close a picker), the Signed Model view (its own panel tab)
    // comes forward to show the files as they are checked.
    if (!args.quiet) void vscode.commands.executeCommand(`${VIEWS.manifest}.focus`);
    const run = (signal?: AbortSignal, onProgress?: (p: HashProgress) => void) =>
      verifyModel(target.modelPath, {
        verifier,
        pool: deps.pool,
        bundle,
        signaturePath: target.signaturePath,
        timestamps: timestampVerifierFromSettings,
        signal,
        onProgress: (p) => {
          onProgress?.(p);
          progress(p.bytesTotal ? (100 * p.bytesDone) / p.bytesTotal : 100);
        },
      });
    const result = args.quiet ? await run(args.signal) : await withHashingProgress(safeText`Verifying ${modelName(target.modelPath)}`, run);
    deps.remembered.set(target.modelPath, verifier);
    verifierMethods.set(verifier, method);
    // A good signature by someone the policy does not name is a policy failure, not "verified".
    const verdict = policy && evaluatePolicy(policy, result.signer);
    if (verdict && !verdict.ok) {
      refuse(verdict.reason);
      return result;
    }
    if (!current()) return result;
    // The key the user gave is kept with the result (pinMaterial), so Pin Signer writes the key itself into the policy.
    report(deps, { target, result, policy: note, pinned: Boolean(verdict?.ok), pin: verifier.pinMaterial?.() }, set, args.quiet);
    return result;
  } catch (e) {
    const message = isModelSigningError(e) ? e.message : e instanceof Error ? e.message : String(e);
    if (isPolicyError(e)) {
      set({ kind: 'policyError', target, message });
      showModelPolicyProblem(deps, target, e);
      deps.log.error(`${target.modelPath}: not verified, the verification policy is broken: ${message}`);
      if (!args.quiet) void notify.error(safeText`${modelName(target.modelPath)} is not verified: the verification policy is broken. ${message}`);
      return undefined;
    }
    // The live check was given no key for a key or certificate signature: say it is signed and not checked yet.
    if (isModelSigningError(e) && e.code === 'PUBLIC_KEY_REQUIRED' && args.quiet && isUnchecked(e.data)) {
      set({ kind: 'unchecked', target, method: e.data.method, needs: e.data.needs, policy: note });
      return undefined;
    }
    if (isModelSigningError(e) && e.code === 'CANCELLED') {
      set({ kind: 'failed', target, message: 'Verification cancelled' });
      return undefined;
    }
    set({ kind: 'failed', target, message, policy: note });
    deps.log.error(`Verification of ${target.modelPath} failed: ${message}`);
    if (!args.quiet) void notify.error(safeText`Verification of ${modelName(target.modelPath)} failed: ${message}`);
    return undefined;
  }
}

/** A state that reports something wrong with the model or its signature. */
function isProblem(state: ModelState | undefined): boolean {
  return state !== undefined && ['unsigned', 'tampered', 'failed', 'policyError'].includes(state.kind);
}

/** The Problems entry of the policy file of the model's workspace folder: the error, or none. */
function showModelPolicyProblem(deps: VerifyDeps, target: ModelTarget, error?: Parameters<typeof showPolicyProblem>[2]): void {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(target.modelPath));
  if (folder) showPolicyProblem(deps.policyDiagnostics, folder.uri.fsPath, error);
}

/** Keyless verification takes its identity from the arguments or the policy, or accepts any (shown as not pinned). */
const OWN_VERIFIERS: Partial<Record<MethodId, (policy: PolicyEntry | undefined, args: VerifyModelArgs) => Promise<Verifier>>> = {
  sigstore: async (policy, args) => {
    const trustConfig = await trustConfigFromSettings();
    // One identity given (or the policy's only one): checked exactly. Otherwise verify, then show who
    // signed (not pinned) or check the policy's list.
    const rule =
      args.identity && args.issuer ? { identity: args.identity, issuer: args.issuer } : policy?.sigstore.length === 1 ? policy.sigstore[0] : undefined;
    return signingMethod('sigstore').makeVerifier(rule ? { trustConfig, rule } : { trustConfig, identity: '', issuer: '', anyIdentity: true });
  },
};

/** What the live check would need to check a signature it was given nothing for. */
interface Unchecked {
  method: MethodId;
  needs: string[];
}

function isUnchecked(data: unknown): data is Unchecked {
  return typeof data === 'object' && data !== null && 'method' in data && 'needs' in data && Array.isArray(data.needs);
}

/** The method each remembered verifier checks: a signature since replaced by one of another kind is not handed to it. */
const verifierMethods = new WeakMap<Verifier, MethodId>();

async function chooseVerifier(
  deps: VerifyDeps,
  target: ModelTarget,
  bundle: Bundle,
  method: MethodId,
  policy: PolicyEntry | undefined,
  args: VerifyModelArgs,
): Promise<Verifier | undefined> {
  const known = deps.remembered.get(target.modelPath);
  if (args.quiet && known && (verifierMethods.get(known) ?? method) === method) return known;
  if (!OWN_VERIFIERS[method]) {
    const fromPolicy = policy && verifierFromPolicy(method, policy, bundle);
    if (fromPolicy) return fromPolicy;
    if (args.quiet) {
      const needs = signingMethod(method).inputs.verify.map((i) => i.what ?? i.name);
      // The live badge asks nothing: say what Verify Model will ask for.
      const data: Unchecked = { method, needs };
      throw new ModelSigningError('PUBLIC_KEY_REQUIRED', `A ${method} signature: run Verify Model to give the ${needs.join(' and ')} to check it with`, data);
    }
  }
  return verifierFromArgs(method, args, policy);
}

/**
 * A verifier from the arguments, asking for what they leave out (a public key, roots); keyless takes the identity
 * given or the policy's only one, else accepts any (shown as not pinned). Undefined when the user cancels.
 */
export async function verifierFromArgs(method: MethodId, args: VerifyModelArgs, policy?: PolicyEntry): Promise<Verifier | undefined> {
  const own = OWN_VERIFIERS[method];
  if (own) return own(policy, args);
  // The arguments are named as the inputs, but for the roots (`certificateRoots`, an older name).
  const given: InputValues = { publicKey: args.publicKey, roots: args.certificateRoots };
  const values: Record<string, string[]> = {};
  for (const input of signingMethod(method).inputs.verify) {
    const value = given[input.name];
    const picked = value === undefined ? await pickInput(input) : [value].flat().filter(Boolean);
    // Every input asked is needed: a cancelled one cancels the verification.
    if (!picked?.length) return undefined;
    values[input.name] = picked;
  }
  return verifierFromInputs(method, values);
}

interface Outcome {
  target: ModelTarget;
  result: VerificationResult;
  policy: PolicyNote;
  /** A policy the user set (or pinned) accepts the signer. */
  pinned: boolean;
  pin?: PinMaterial;
}

function report(deps: VerifyDeps, { target, result, policy, pinned, pin }: Outcome, set: (state: ModelState) => void, quiet = false): void {
  const kind = !result.ok ? 'tampered' : pinned ? 'verified' : 'signed';
  const state: ModelState = { kind, target, result, signer: describeSigner(result.signer), policy, checkedAt: new Date(), pin };
  set(state);
  const name = modelName(target.modelPath);
  // A shard names its file as the core parses it; a file name that merely ends in `:1:2` stays whole.
  const fileOf = (n: string) => (result.serialization.method === 'shards' ? (parseShardName(n)?.path ?? n) : n);
  const fileUri = (n: string) => vscode.Uri.file(target.isFile ? target.modelPath : path.join(target.modelPath, fileOf(n)));
  const sigUri = vscode.Uri.file(target.signaturePath);
  const entries = new Map<string, vscode.Diagnostic[]>();
  const add = (uri: vscode.Uri, message: SafeText, severity: vscode.DiagnosticSeverity) => {
    const d = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 0), String(message), severity);
    d.source = 'model-signing';
    entries.set(uri.toString(), [...(entries.get(uri.toString()) ?? []), d]);
  };
  result.diff.changed.forEach((c) =>
    add(
      fileUri(c.name),
      safeText`Modified since it was signed: expected ${c.expected.algorithm}:${c.expected.digest}, found ${c.actual.algorithm}:${c.actual.digest}`,
      vscode.DiagnosticSeverity.Error,
    ),
  );
  result.diff.missing.forEach((m) => add(sigUri, safeText`Signed file missing from ${name}: ${m}`, vscode.DiagnosticSeverity.Error));
  result.diff.extra.forEach((x) => add(fileUri(x), safeText`Not covered by the signature of ${name}`, vscode.DiagnosticSeverity.Warning));
  // Replace this model's diagnostics, keep other models'.
  deps.diagnostics.forEach((uri) => {
    if (uri.fsPath === target.signaturePath || uri.fsPath.startsWith(target.modelPath + path.sep) || uri.fsPath === target.modelPath)
      deps.diagnostics.delete(uri);
  });
  for (const [uri, ds] of entries) deps.diagnostics.set(vscode.Uri.parse(uri), ds);
  const signer = describeSigner(result.signer);
  result.warnings.forEach((w) => deps.log.warn(w));
  if (result.ok) {
    deps.log.info(`Verified ${target.modelPath}: ${result.manifest.resources.length} resources, signed by ${signer}`);
    if (!quiet) void tellVerified(state, name);
  } else {
    const n = problemCount(result);
    deps.log.warn(
      `${target.modelPath} does not match its signature: ${result.diff.changed.length} changed, ${result.diff.missing.length} missing, ${result.diff.extra.length} extra`,
    );
    if (!quiet) void notify.warn(safeText`${name} does not match its signature: ${n} file${n === 1 ? '' : 's'} differ (see Problems)`);
  }
}

/** Verified, or only signed: the notification says which, and offers Pin Signer for a signer nothing pins. */
async function tellVerified(state: ModelState, name: string): Promise<void> {
  if (state.kind === 'verified') {
    void notify.info(safeText`${name} verified: signed by ${signerText(state.result.signer)}, accepted by ${state.policy?.label ?? 'the policy'}`);
    return;
  }
  if (state.kind !== 'signed') return;
  const untrusted = state.policy?.kind === 'untrusted' ? ` ${NOT_TRUSTED}.` : '';
  const told = safeText`${name}: ${notPinnedText(state.result.signer)}. Every file matches its signature, but no policy you set names this signer.${untrusted}`;
  if (!canPin(state)) {
    void notify.info(told);
    return;
  }
  const answer = await notify.info(
    told,
    {
      detail: safeText`Pin Signer adds the signer to .vscode/model-signing.json for exactly this model: a later signature by anyone else shows as a policy failure.`,
    },
    'Pin Signer',
  );
  if (answer === 'Pin Signer') await vscode.commands.executeCommand(COMMANDS.pinSigner, state.target.modelPath);
}
