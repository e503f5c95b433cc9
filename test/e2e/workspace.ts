// The workspace both runners open: a fresh folder holding a small model, the kind of folder the
// extension signs and verifies. Made anew in a temporary directory for every run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const WORKSPACE_NAME = 'model-workspace';
export const MODEL_DIR = 'tiny-model';

/** Creates `<parent>/model-workspace/tiny-model/{config.json,weights.bin}` and a README; returns the workspace path. */
export function createModelWorkspace(parent: string): string {
  const workspace = join(parent, WORKSPACE_NAME);
  const model = join(workspace, MODEL_DIR);
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'config.json'), `${JSON.stringify({ model_type: 'tiny', hidden_size: 16, num_layers: 2 }, null, 2)}\n`);
  // 4 KiB of deterministic bytes, so digests are the same on every run.
  const weights = Buffer.alloc(4096);
  for (let i = 0; i < weights.length; i++) weights[i] = (i * 31 + 7) & 0xff;
  writeFileSync(join(model, 'weights.bin'), weights);
  writeFileSync(join(workspace, 'README.md'), '# Test workspace\n\nMade by test/e2e/workspace.ts for one test run.\n');
  return workspace;
}
