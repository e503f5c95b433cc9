// A model in the e2e workspace signed keylessly beforehand, with the real CLI,
// against the local Sigstore: the click-through then verifies it in the editor,
// offline, with the trust config the settings name.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startLocalSigstore } from '../helpers/localSigstore';
import { startOidcIssuer } from '../helpers/oidcIssuer';

export const SIGNED_MODEL = 'signed-llm';
export const SIGNER = 'dev@example.com';

export interface KeylessModel {
  modelPath: string;
  trustConfig: string;
  issuer: string;
  /** A P-256 private key (PEM) outside the workspace, for signing through the UI. */
  privateKey: string;
}

export async function prepareKeylessModel(workspace: string, runDir: string): Promise<KeylessModel> {
  const modelPath = join(workspace, SIGNED_MODEL);
  mkdirSync(join(modelPath, 'tokenizer'), { recursive: true });
  writeFileSync(join(modelPath, 'config.json'), `${JSON.stringify({ architectures: ['TinyLlm'], hidden_size: 64 }, null, 2)}\n`);
  writeFileSync(join(modelPath, 'model.safetensors'), randomBytes(256 << 10));
  writeFileSync(join(modelPath, 'tokenizer', 'vocab.txt'), 'hello\nworld\n');
  const idp = await startOidcIssuer({ users: [{ email: SIGNER }] });
  const sigstore = await startLocalSigstore({ oidcIssuerURL: idp.issuer });
  const trustConfig = join(runDir, 'local-sigstore.json');
  try {
    sigstore.writeTrustConfig(trustConfig);
    const token = await idp.mintToken({ email: SIGNER, email_verified: true });
    const cli = resolve(__dirname, '../../dist/cli.js');
    const args = [cli, 'sign', modelPath, '--signature', join(modelPath, 'model.sig'), '--trust-config', trustConfig, '--identity-token', token];
    const code = await new Promise<number>((done) => spawn(process.execPath, args, { stdio: 'ignore' }).on('close', (c) => done(c ?? -1)));
    if (code !== 0) throw new Error(`keyless signing of ${modelPath} failed (exit ${code})`);
  } finally {
    await sigstore.stop();
    await idp.stop();
  }
  const privateKey = join(runDir, 'signing-key.pem');
  writeFileSync(privateKey, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { modelPath, trustConfig, issuer: idp.issuer, privateKey };
}
