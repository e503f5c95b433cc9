// A model in the e2e workspace signed keylessly beforehand, with the real CLI,
// against the local Sigstore: the click-through then verifies it in the editor,
// offline, with the trust config the settings name. The local Sigstore and its
// OIDC issuer stay up for the run, so the editor can sign keylessly too: a fresh
// identity token is written beside the workspace for the integration suite.
// Beside them, a GitHub API stand-in and a Fulcio front that takes its access tokens (a
// deployment whose CA accepts GitHub sessions), for signing with the editor's GitHub account.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { startGitHubApi } from '../helpers/githubApi';
import { startGitHubFulcio } from '../helpers/githubFulcio';
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
  /** An identity token for SIGNER from the local issuer (valid 10 minutes), with `claims` over its own. */
  mintToken(claims?: Record<string, unknown>): Promise<string>;
  /** Signing with a GitHub account: the API stand-in, its one account's session, and the trust config whose CA takes its tokens. */
  github: { apiBase: string; trustConfig: string; email: string; session: { accessToken: string; account: { id: string; label: string } } };
  /** Stops the local Sigstore, the OIDC issuer and the GitHub stand-ins. */
  stop(): Promise<void>;
}

/** The GitHub account of the stand-in, and the email its certificates name. */
export const GITHUB_LOGIN = 'octocat';
export const GITHUB_EMAIL = 'octocat@example.com';

/** Where the suite in the extension host finds an identity token and its issuer: beside the workspace folder. */
export const KEYLESS_SIGNER_FILE = 'keyless-signer.json';

export async function prepareKeylessModel(workspace: string, runDir: string): Promise<KeylessModel> {
  const modelPath = join(workspace, SIGNED_MODEL);
  mkdirSync(join(modelPath, 'tokenizer'), { recursive: true });
  writeFileSync(join(modelPath, 'config.json'), `${JSON.stringify({ architectures: ['TinyLlm'], hidden_size: 64 }, null, 2)}\n`);
  writeFileSync(join(modelPath, 'model.safetensors'), randomBytes(256 << 10));
  writeFileSync(join(modelPath, 'tokenizer', 'vocab.txt'), 'hello\nworld\n');
  const idp = await startOidcIssuer({ users: [{ email: SIGNER }] });
  const sigstore = await startLocalSigstore({ oidcIssuerURL: idp.issuer });
  const trustConfig = join(runDir, 'local-sigstore.json');
  const accessToken = `gho_${randomBytes(18).toString('hex')}`;
  const api = await startGitHubApi({
    accounts: [{ token: accessToken, login: GITHUB_LOGIN, id: 583231, emails: [{ email: GITHUB_EMAIL, primary: true, verified: true }] }],
  });
  const front = await startGitHubFulcio({ sigstore, githubApiBase: api.apiBase });
  const githubTrustConfig = join(runDir, 'github-sigstore.json');
  front.writeTrustConfig(githubTrustConfig);
  const stop = async () => {
    await front.stop();
    await api.stop();
    await sigstore.stop();
    await idp.stop();
  };
  const mintToken = (claims: Record<string, unknown> = {}) => idp.mintToken({ email: SIGNER, email_verified: true, ...claims });
  try {
    sigstore.writeTrustConfig(trustConfig);
    const cli = resolve(__dirname, '../../dist/cli.js');
    const args = [cli, 'sign', modelPath, '--signature', join(modelPath, 'model.sig'), '--trust-config', trustConfig, '--identity-token', await mintToken()];
    const code = await new Promise<number>((done) => spawn(process.execPath, args, { stdio: 'ignore' }).on('close', (c) => done(c ?? -1)));
    if (code !== 0) throw new Error(`keyless signing of ${modelPath} failed (exit ${code})`);
    writeFileSync(join(dirname(workspace), KEYLESS_SIGNER_FILE), JSON.stringify({ identity: SIGNER, issuer: idp.issuer, token: await mintToken() }));
  } catch (e) {
    await stop();
    throw e;
  }
  const privateKey = join(runDir, 'signing-key.pem');
  writeFileSync(privateKey, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const github = {
    apiBase: api.apiBase,
    trustConfig: githubTrustConfig,
    email: GITHUB_EMAIL,
    session: { accessToken, account: { id: '583231', label: GITHUB_LOGIN } },
  };
  return { modelPath, trustConfig, issuer: idp.issuer, privateKey, mintToken, github, stop };
}
