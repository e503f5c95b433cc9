// The attack on a workspace-chosen trust root: a model "signed by" the real signer's identity and
// issuer, but by a Sigstore of the attacker's own (any Fulcio issues any identity it likes), with
// that Sigstore's trust config inside the workspace. Only a workspace setting pointing
// modelSigning.sigstore.trustConfig at it could make the forgery verify; the suite checks it does not.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { startLocalSigstore } from '../helpers/localSigstore';

export const FORGED_MODEL = 'forged-model';
/** Where the suite in the extension host finds the forgery: beside the workspace folder. */
export const FORGED_SIGNER_FILE = 'forged-signer.json';

export async function prepareForgedModel(workspace: string, identity: string, issuer: string): Promise<void> {
  const modelPath = join(workspace, FORGED_MODEL);
  mkdirSync(modelPath, { recursive: true });
  writeFileSync(join(modelPath, 'weights.bin'), randomBytes(64 << 10));
  const attacker = await startLocalSigstore({ oidcIssuerURL: issuer });
  try {
    const trustConfig = join(workspace, '.sigstore', 'trust.json');
    attacker.writeTrustConfig(trustConfig);
    const token = await attacker.mintToken({ email: identity, iss: issuer });
    const cli = resolve(__dirname, '../../dist/cli.js');
    const args = [cli, 'sign', modelPath, '--signature', join(modelPath, 'model.sig'), '--trust-config', trustConfig, '--identity-token', token];
    const code = await new Promise<number>((done) => spawn(process.execPath, args, { stdio: 'ignore' }).on('close', (c) => done(c ?? -1)));
    if (code !== 0) throw new Error(`signing the forged model failed (exit ${code})`);
    writeFileSync(join(dirname(workspace), FORGED_SIGNER_FILE), JSON.stringify({ model: modelPath, trustConfig, identity, issuer }));
  } finally {
    // Verification is offline: the forgery needs none of the attacker's servers.
    await attacker.stop();
  }
}
