import { GlobOptions } from './glob';
import { Policy, PolicyEntry } from './policyFile';
import { findPolicy } from './policyMatch';

/**
 * Where a policy comes from. In order of precedence: the user's own settings,
 * then the workspace's `.vscode/model-signing.json`, then the workspace's
 * settings. The last two are both workspace input (a cloned repository writes
 * either), the file is the documented place, so it comes first of the two.
 */
export type PolicyOrigin = 'user' | 'workspaceFile' | 'workspaceSettings';

export const POLICY_PRECEDENCE: readonly PolicyOrigin[] = ['user', 'workspaceFile', 'workspaceSettings'];

export interface PolicyLayer {
  origin: PolicyOrigin;
  policy: Policy;
}

export interface GoverningPolicy {
  entry: PolicyEntry;
  origin: PolicyOrigin;
}

/**
 * The entry that governs a model when several policies may name it: the
 * first origin (in POLICY_PRECEDENCE) with a matching entry wins outright;
 * within one policy, findPolicy's rule (the longest literal prefix). Layers,
 * not one merged list: otherwise a workspace could escape the user's `**`
 * rule just by writing a longer glob for the same model.
 */
export function findGoverningPolicy(
  workspaceRoot: string,
  modelPath: string,
  layers: readonly PolicyLayer[],
  options: GlobOptions = {},
): GoverningPolicy | undefined {
  for (const origin of POLICY_PRECEDENCE) {
    const policies = layers.filter((l) => l.origin === origin).map((l) => l.policy);
    const entry = policies.length > 0 ? findPolicy(workspaceRoot, modelPath, policies, options) : undefined;
    if (entry) return { entry, origin };
  }
  return undefined;
}
