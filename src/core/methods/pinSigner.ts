import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelSigningError, errnoCode } from '../errors';
import { writeFileAtomic } from '../io/atomicWrite';
import { compileGlob, escapeGlob, normalizeGlob, workspaceRelativePath } from '../policy/glob';
import { PolicyEntry, parsePolicyJson, parsePolicy, readPolicyText } from '../policy/policyFile';
import { workflowRuleOf } from '../policy/signerRule';
import { PinMaterial, SignerInfo } from '../verifying/verifier';
import { describeSigner, methodOfSigner } from './registry';
import type { PinScope } from './signingMethod';

export type { PinScope } from './signingMethod';

/** One way to pin a signer, for the user to choose: its label, and in words what later signatures it accepts. */
export interface PinChoice {
  scope: PinScope;
  label: string;
  accepts: string;
}

/**
 * How a signer can be pinned: exactly (its identity, key or certificate), and for a GitHub Actions workflow
 * also as that workflow of that repository at any ref, offered first. Untrusted text: callers escape it.
 */
export function pinChoices(signer: SignerInfo): PinChoice[] {
  const exact: PinChoice = { scope: 'signer', label: `Exactly ${describeSigner(signer)}`, accepts: `Only signatures by ${describeSigner(signer)}.` };
  const rule = signer.method === 'sigstore' ? workflowRuleOf(signer) : undefined;
  if (!rule || signer.method !== 'sigstore') return [exact];
  const repository = rule.repository!;
  const path = rule.signerWorkflow!.startsWith(`${repository}/`) ? rule.signerWorkflow!.slice(repository.length + 1) : rule.signerWorkflow!;
  const repo = repository.replace(/^https:\/\/github\.com\//, '');
  const id = rule.repositoryId ? ` (repository id ${rule.repositoryId})` : '';
  const ref = signer.claims?.sourceRepositoryRef;
  return [
    {
      scope: 'workflow',
      label: `The workflow ${repo}/${path} (any ref)`,
      accepts:
        `Signatures by ${rule.signerWorkflow} at any ref, run in ${repository}${id}, from ${rule.issuer}: a later release passes; ` +
        'another workflow, a fork or another repository does not.',
    },
    {
      ...exact,
      label: `Exactly this ref: ${signer.identity}`,
      accepts: `Only signatures by ${signer.identity} (${signer.issuer})${ref ? `: a release from another ref than ${ref} does not pass` : ''}.`,
    },
  ];
}

/**
 * The glob that names exactly one model folder (or file): its path relative
 * to the workspace folder with every glob character escaped, so `llama [gguf]`
 * is not pinned as a set and `model*` does not also govern `model-evil`.
 */
export function modelGlob(workspaceRoot: string, modelPath: string): string {
  const rel = workspaceRelativePath(workspaceRoot, modelPath);
  if (rel === undefined)
    throw new ModelSigningError('INVALID_OPTION', `'${modelPath}' is not inside the workspace folder '${workspaceRoot}'`, { path: modelPath });
  return rel === '.' ? rel : escapeGlob(rel);
}

export interface PinResult {
  /** The file did not exist and was written. */
  created: boolean;
  /** False when the signer was already listed: nothing was written. */
  changed: boolean;
  /** The entry for the glob, as it now reads. */
  entry: PolicyEntry;
}

/**
 * Trust on first use: adds the signer to the entry whose `path` is `modelGlob`
 * (making one at the end if there is none) and writes the file atomically,
 * creating it and its folder if needed. Other entries and key order are
 * kept; the output is 2-space JSON with a final newline. A Sigstore
 * signer is pinned by identity and issuer, a key by its PEM (`publicKeys`) when
 * `material` has it, else by its hint (`keyHints`), a
 * certificate by its fingerprint (`certificateFingerprints`); with `scope` 'workflow', a GitHub Actions signer
 * by its workflow and repository at any ref (pinChoices). An existing file
 * that is not a valid policy is left alone (POLICY_INVALID).
 */
export async function pinIdentity(
  policyFile: string,
  modelGlob: string,
  signer: SignerInfo,
  workspaceRoot = path.dirname(path.dirname(path.resolve(policyFile))),
  material: PinMaterial = {},
  scope: PinScope = 'signer',
): Promise<PinResult> {
  const glob = normalizeGlob(modelGlob);
  compileGlob(glob);
  const text = await readPolicyText(policyFile);
  const doc = text === undefined ? { models: [] } : parsePolicyJson(text, policyFile);
  // Refuse to rewrite a file that is wrong: the user's mistake stays theirs to see.
  parsePolicy(doc, { workspaceRoot, source: policyFile });
  const root = doc as Record<string, unknown>;
  if (root.models === undefined) root.models = [];
  const models = root.models as Array<Record<string, unknown>>;
  let index = models.findIndex((m) => typeof m.path === 'string' && normalizeGlob(m.path) === glob);
  if (index < 0) {
    models.push({ path: modelGlob });
    index = models.length - 1;
  }
  const raw = models[index]!;
  const changed = methodOfSigner(signer).pin(raw, signer, material, scope);
  const policy = parsePolicy(doc, { workspaceRoot, source: policyFile });
  const entry = policy.models[index]!;
  if (!changed) return { created: false, changed: false, entry };
  try {
    await fs.promises.mkdir(path.dirname(path.resolve(policyFile)), { recursive: true });
  } catch (e) {
    throw new ModelSigningError('WRITE_FAILED', `Cannot write '${policyFile}': ${errnoCode(e) ?? String(e)}`, { path: policyFile }, e);
  }
  await writeFileAtomic(policyFile, `${JSON.stringify(doc, null, 2)}\n`);
  return { created: text === undefined, changed: true, entry };
}
