import { GlobOptions, compileGlob, globLiteralPrefix, workspaceRelativePath } from './glob';
import { Policy, PolicyEntry } from './policyFile';

export { policyCertificateRoots, policyPublicKey } from './policyReferences';

/**
 * The entry that governs a model folder: among the entries whose glob matches
 * the folder's path relative to the workspace folder, the one with the longest
 * literal prefix (`models/llama-7b` over `models/llama-*` over `models/**` over
 * `**`), then the first in order. Undefined if none matches or the model is
 * outside the workspace folder. Entries keep their own order: pass the file's
 * before the settings' to let the file win ties.
 */
export function findPolicy(
  workspaceRoot: string,
  modelPath: string,
  policies: readonly PolicyEntry[] | Policy | readonly Policy[],
  options: GlobOptions = {},
): PolicyEntry | undefined {
  const relPosix = workspaceRelativePath(workspaceRoot, modelPath);
  if (relPosix === undefined) return undefined;
  let best: PolicyEntry | undefined;
  let bestLength = -1;
  for (const entry of flatten(policies)) {
    if (!compileGlob(entry.path, options).test(relPosix)) continue;
    const length = Array.from(globLiteralPrefix(entry.path)).length;
    if (length > bestLength) {
      best = entry;
      bestLength = length;
    }
  }
  return best;
}

function flatten(policies: readonly PolicyEntry[] | Policy | readonly Policy[]): readonly PolicyEntry[] {
  if (!Array.isArray(policies)) return (policies as Policy).models;
  return (policies as ReadonlyArray<PolicyEntry | Policy>).flatMap((p) => ('models' in p ? p.models : [p]));
}
