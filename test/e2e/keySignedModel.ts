// A model signed with a key before the editor starts: the check on open is given no public key, so the
// model shows as signed and not checked yet, never as a failure.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCli } from '../helpers/fixtures';

export const KEY_SIGNED_MODEL = 'key-signed-model';

export async function prepareKeySignedModel(workspace: string): Promise<void> {
  const modelPath = join(workspace, KEY_SIGNED_MODEL);
  mkdirSync(modelPath, { recursive: true });
  writeFileSync(join(modelPath, 'weights.bin'), randomBytes(64 << 10));
  // The key lives outside the workspace: nothing in it tells the editor which key to check with.
  const key = join(dirname(workspace), `${KEY_SIGNED_MODEL}.key.pem`);
  writeFileSync(key, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const signed = await runCli(['sign', 'key', modelPath, '--private-key', key, '--signature', join(modelPath, 'model.sig')], { spawn: true });
  if (signed.code !== 0) throw new Error(`signing ${KEY_SIGNED_MODEL} failed (exit ${signed.code}): ${signed.stderr}`);
}
