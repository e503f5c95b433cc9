import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  Bundle, CertificateVerifier, HashPool, HashProgress, KeyVerifier, Policy, PolicyEntry, SigstoreVerifier, VerificationResult, Verifier, bundleKind,
  evaluatePolicy, findPolicy, isModelSigningError, parseShardName, loadPublicKey, parsePemCertificates, pinIdentity, policyCertificateRoots, policyFilePath,
  parsePolicy, publicKeyHint, readBundle, readKeyFile, readPolicyFile, verifyModel,
} from '../core';
import { SETTINGS } from './constants';
import { pickFiles } from './keyMaterial';
import { ModelState, ModelStates, describeSigner, problemCount } from './modelState';
import { ModelTarget, pickTarget } from './modelTarget';
import { withHashingProgress } from './progress';
import { trustConfigFromSettings } from './sigstoreIdentity';

/** What to trust, given up front (tests, policy); otherwise the flow asks. */
export interface VerifyModelArgs {
  publicKey?: string;
  certificateRoots?: string[];
  identity?: string;
  issuer?: string;
  /** No dialogs: for the live badge. */
  quiet?: boolean;
}

export interface VerifyDeps {
  pool: HashPool;
  states: ModelStates;
  diagnostics: vscode.DiagnosticCollection;
  log: vscode.LogOutputChannel;
  /** Verifiers that worked for a model, reused by the live badge. */
  remembered: Map<string, Verifier>;
}

/** Verify Model: check the signature and every file, then show the result in the badge, the tree and Problems. */
export async function verifyModelCommand(deps: VerifyDeps, uri?: vscode.Uri, args: VerifyModelArgs = {}): Promise<VerificationResult | undefined> {
  const target = await pickTarget(uri, 'Verify Model');
  if (!target) return undefined;
  return verifyTarget(deps, target, args);
}

export async function verifyTarget(deps: VerifyDeps, target: ModelTarget, args: VerifyModelArgs = {}): Promise<VerificationResult | undefined> {
  // A quiet (live) re-verification takes the badge only to say something is wrong, not from the model the user looks at.
  const set = (state: ModelState): void => deps.states.set(state, !args.quiet || !['verifying', 'verified'].includes(state.kind));
  if (!fs.existsSync(target.signaturePath)) {
    set({ kind: 'unsigned', target });
    if (!args.quiet) void vscode.window.showWarningMessage(`${path.basename(target.modelPath)} has no signature (${path.basename(target.signaturePath)})`);
    return undefined;
  }
  try {
    const bundle = await readBundle(target.signaturePath);
    const policy = await policyFor(target);
    const verifier = await chooseVerifier(deps, target, bundle, policy, args);
    if (!verifier) return undefined;
    set({ kind: 'verifying', target, percent: 0 });
    const run = (signal?: AbortSignal, onProgress?: (p: HashProgress) => void) =>
      verifyModel(target.modelPath, { verifier, pool: deps.pool, bundle, signaturePath: target.signaturePath, signal, onProgress: (p) => {
        onProgress?.(p);
        set({ kind: 'verifying', target, percent: p.bytesTotal ? (100 * p.bytesDone) / p.bytesTotal : 100 });
      } });
    const result = args.quiet ? await run() : await withHashingProgress(`Verifying ${path.basename(target.modelPath)}`, run);
    deps.remembered.set(target.modelPath, verifier);
    // A good signature by someone the policy does not name is a policy failure, not "verified".
    const verdict = policy && evaluatePolicy(policy, result.signer);
    if (verdict && !verdict.ok) {
      set({ kind: 'failed', target, message: `Policy: ${verdict.reason}` });
      deps.log.warn(`${target.modelPath}: ${verdict.reason}`);
      if (!args.quiet) void vscode.window.showErrorMessage(`${path.basename(target.modelPath)}: ${verdict.reason}`);
      return result;
    }
    report(deps, target, result, set, args.quiet);
    if (!policy && result.ok && !args.quiet) void offerPin(target, result);
    return result;
  } catch (e) {
    const message = isModelSigningError(e) ? e.message : e instanceof Error ? e.message : String(e);
    if (isModelSigningError(e) && e.code === 'CANCELLED') {
      set({ kind: 'failed', target, message: 'Verification cancelled' });
      return undefined;
    }
    set({ kind: 'failed', target, message });
    deps.log.error(`Verification of ${target.modelPath} failed: ${message}`);
    if (!args.quiet) void vscode.window.showErrorMessage(`Verification of ${path.basename(target.modelPath)} failed: ${message}`);
    return undefined;
  }
}

/** The workspace's policy entry for a model: `.vscode/model-signing.json`, then the setting; the file wins ties. */
async function policyFor(target: ModelTarget): Promise<PolicyEntry | undefined> {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(target.modelPath));
  if (!folder) return undefined;
  const root = folder.uri.fsPath;
  const file = await readPolicyFile(policyFilePath(root), root);
  const setting = vscode.workspace.getConfiguration(SETTINGS.section, folder.uri).get<unknown[]>(SETTINGS.policy) ?? [];
  const fromSettings = setting.length > 0 ? parsePolicy({ models: setting }, { workspaceRoot: root, source: `settings (${SETTINGS.section}.${SETTINGS.policy})` }) : undefined;
  const policies = [file, fromSettings].filter((p): p is Policy => p !== undefined);
  return policies.length > 0 ? findPolicy(root, target.modelPath, policies) : undefined;
}

async function chooseVerifier(deps: VerifyDeps, target: ModelTarget, bundle: Bundle, policy: PolicyEntry | undefined, args: VerifyModelArgs): Promise<Verifier | undefined> {
  const known = deps.remembered.get(target.modelPath);
  if (args.quiet && known) return known;
  const kind = bundleKind(bundle);
  if (kind === 'sigstore') {
    const trustConfig = await trustConfigFromSettings();
    // One identity given (or the policy's only one): checked exactly. Otherwise verify, then show who
    // signed (trust on first use) or check the policy's list.
    const rule = args.identity && args.issuer ? { identity: args.identity, issuer: args.issuer } : policy?.sigstore.length === 1 ? policy.sigstore[0] : undefined;
    return new SigstoreVerifier({ trustConfig, identity: rule?.identity ?? '', issuer: rule?.issuer ?? '', anyIdentity: !rule });
  }
  if (kind === 'key') {
    const policyKey = policy && policyKeyFor(policy, bundle.verificationMaterial.publicKey?.hint);
    if (policyKey) return new KeyVerifier(policyKey);
    if (args.quiet) return known;
    const file = args.publicKey ?? (await pickFiles('Public key of the signer (PEM)'))?.[0];
    return file ? new KeyVerifier(loadPublicKey(readKeyFile(file, 'public key'))) : undefined;
  }
  if (policy && policy.certificateRoots.length > 0) return new CertificateVerifier({ roots: policyCertificateRoots(policy) });
  if (args.quiet) return known;
  const roots = args.certificateRoots ?? (await pickFiles('Trusted root certificates (PEM)', true));
  return roots?.length ? new CertificateVerifier({ roots: roots.flatMap((f) => parsePemCertificates(readKeyFile(f, 'root certificate'), f)) }) : undefined;
}

/** The policy's public key whose hint the signature names (or its only key, for old bundles without a hint). */
function policyKeyFor(policy: PolicyEntry, hint: string | undefined) {
  const keys = policy.keys.map((k) => loadPublicKey(readKeyFile(path.resolve(policy.baseDir, k), 'public key')));
  return keys.find((k) => hint && publicKeyHint(k) === hint.toLowerCase()) ?? (keys.length === 1 && !hint ? keys[0] : undefined);
}

/** Trust on first use: after a model with no policy verifies, offer to pin who signed it. */
async function offerPin(target: ModelTarget, result: VerificationResult): Promise<void> {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(target.modelPath));
  if (!folder) return;
  const who = describeSigner(result.signer);
  const answer = await vscode.window.showInformationMessage(`Trust ${who} for ${path.basename(target.modelPath)} from now on?`, { detail: 'Adds the signer to .vscode/model-signing.json: a later signature by anyone else shows as a policy failure.' }, 'Pin Signer');
  if (answer !== 'Pin Signer') return;
  const glob = path.relative(folder.uri.fsPath, target.modelPath).split(path.sep).join('/') || '.';
  await pinIdentity(policyFilePath(folder.uri.fsPath), glob, result.signer, folder.uri.fsPath);
  void vscode.window.showInformationMessage(`Pinned ${who} for ${glob} in .vscode/model-signing.json`);
}

function report(deps: VerifyDeps, target: ModelTarget, result: VerificationResult, set: (state: ModelState) => void, quiet = false): void {
  set({ kind: result.ok ? 'verified' : 'tampered', target, result });
  const name = path.basename(target.modelPath);
  // A shard names its file as the core parses it; a file name that merely ends in `:1:2` stays whole.
  const fileOf = (n: string) => (result.serialization.method === 'shards' ? parseShardName(n)?.path ?? n : n);
  const fileUri = (n: string) => vscode.Uri.file(target.isFile ? target.modelPath : path.join(target.modelPath, fileOf(n)));
  const sigUri = vscode.Uri.file(target.signaturePath);
  const entries = new Map<string, vscode.Diagnostic[]>();
  const add = (uri: vscode.Uri, message: string, severity: vscode.DiagnosticSeverity) => {
    const d = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 0), message, severity);
    d.source = 'model-signing';
    entries.set(uri.toString(), [...(entries.get(uri.toString()) ?? []), d]);
  };
  result.diff.changed.forEach((c) => add(fileUri(c.name), `Modified since it was signed: expected ${c.expected.algorithm}:${c.expected.digest}, found ${c.actual.digest}`, vscode.DiagnosticSeverity.Error));
  result.diff.missing.forEach((m) => add(sigUri, `Signed file missing from ${name}: ${m}`, vscode.DiagnosticSeverity.Error));
  result.diff.extra.forEach((x) => add(fileUri(x), `Not covered by the signature of ${name}`, vscode.DiagnosticSeverity.Warning));
  // Replace this model's diagnostics, keep other models'.
  deps.diagnostics.forEach((uri) => {
    if (uri.fsPath === target.signaturePath || uri.fsPath.startsWith(target.modelPath + path.sep) || uri.fsPath === target.modelPath) deps.diagnostics.delete(uri);
  });
  for (const [uri, ds] of entries) deps.diagnostics.set(vscode.Uri.parse(uri), ds);
  const signer = describeSigner(result.signer);
  result.warnings.forEach((w) => deps.log.warn(w));
  if (result.ok) {
    deps.log.info(`Verified ${target.modelPath}: ${result.manifest.resources.length} resources, signed by ${signer}`);
    if (!quiet) void vscode.window.showInformationMessage(`${name} verified: signed by ${signer}`);
  } else {
    const n = problemCount(result);
    deps.log.warn(`${target.modelPath} does not match its signature: ${result.diff.changed.length} changed, ${result.diff.missing.length} missing, ${result.diff.extra.length} extra`);
    if (!quiet) void vscode.window.showWarningMessage(`${name} does not match its signature: ${n} file${n === 1 ? '' : 's'} differ (see Problems)`);
  }
}
