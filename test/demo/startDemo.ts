// What `npm start` starts, for test/demo/vscode.ts (which prints how to use it and waits for Ctrl-C) and
// test/demo/soak.ts (which drives it an hour later): the .vsix packaged and installed into code-server
// 4.96.4 on 127.0.0.1 with the GitHub sign-in stand-in beside it, a workspace with the sample models, and
// a local Sigstore (Fulcio, Rekor, a timestamp authority, an OIDC issuer with its login page, the GitHub
// stand-ins and a page of fresh identity tokens) that the settings point the extension at.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installVsix, startServer, stopServer, type Server } from '../e2e/codeServer';
import { type KeylessModel, SIGNED_MODEL, SIGNER, prepareKeylessModel } from '../e2e/keylessModel';
import { SAMPLE_PROVENANCE_FILE, SAMPLE_PROVENANCE_MODEL, prepareSampleProvenance } from '../e2e/sampleProvenance';
import { packageFakeGitHubAuth, packageVsix } from '../e2e/vsix';
import { WORKSPACE_NAME, createModelWorkspace } from '../e2e/workspace';
import { type TokenPage, startTokenPage, writeDemoTrustConfig } from './demoSigstore';
import { cleanUpRun } from './session';

export interface Demo {
  /** The temporary folder everything lives in. */
  run: string;
  vsix: string;
  workspace: string;
  keyless: KeylessModel;
  tokenPage: TokenPage;
  /** The local Sigstore's trust config the settings name. */
  trustConfig: string;
  server: Server;
  /** The workbench with the workspace open. */
  url: string;
  /** Stops the editor and the local Sigstore; keeps the workspace and what verifies it when `keep`, else removes it all. */
  stop(keep: boolean): Promise<ReturnType<typeof cleanUpRun>>;
}

/** A small but real safetensors file: an 8-byte header length, the JSON header, then the tensor bytes. */
function safetensors(): Buffer {
  const data = Buffer.alloc(4 * 64 * 64 + 4 * 64, 0x3c);
  const header = Buffer.from(
    JSON.stringify({
      __metadata__: { format: 'pt' },
      'dense.weight': { dtype: 'F32', shape: [64, 64], data_offsets: [0, 4 * 64 * 64] },
      'dense.bias': { dtype: 'F32', shape: [64], data_offsets: [4 * 64 * 64, data.length] },
    }),
  );
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, header, data]);
}

/** Starts it all; `onServer` learns of the editor as soon as it runs (for a signal handler), `port` picks its port. */
export async function startDemo(options: { port?: number; log?: (line: string) => void; onServer?: (server: Server) => void } = {}): Promise<Demo> {
  const run = mkdtempSync(join(tmpdir(), 'model-signing-vscode-'));
  options.log?.('Packaging the extension (vsce package)…');
  const vsix = packageVsix(run);
  // Directly in the run's folder, so the entry the clean-up keeps (WORKSPACE_NAME) is the workspace itself.
  const workspace = createModelWorkspace(run);
  writeFileSync(join(workspace, 'tiny-model', 'model.safetensors'), safetensors());
  const keyless = await prepareKeylessModel(workspace, run);
  try {
    await prepareSampleProvenance(workspace, keyless);
  } catch (e) {
    await keyless.stop();
    throw e;
  }
  const tokenPage = await startTokenPage(() => keyless.mintToken());
  const trustConfig = join(run, 'demo-sigstore.json');
  let server: Server | undefined;
  const stop = async (keep: boolean) => {
    if (server) await stopServer(server);
    await tokenPage.stop();
    await keyless.stop();
    return cleanUpRun(
      run,
      keep
        ? [
            { name: WORKSPACE_NAME, what: 'the workspace: the sample models and what you signed in it' },
            { name: 'demo-sigstore.json', what: "the local Sigstore's trust config: verify its keyless signatures with --trust-config" },
            { name: 'signing-key.pem', what: 'the private key offered for signing' },
          ]
        : [],
    );
  };
  try {
    writeDemoTrustConfig(keyless.github.trustConfig, keyless.issuer, trustConfig);
    writeFileSync(
      join(workspace, 'README.md'),
      `# Try Model Signing

Right-click in the Explorer:
- \`tiny-model\` → **Sign Model**: with a private key (${keyless.privateKey}) or Sigstore keyless (a local
  Sigstore runs beside this VS Code): sign in with a browser (open the link it shows in a new tab, log in
  as ${SIGNER}, paste the code), paste a fresh token from ${tokenPage.url}, or use the GitHub account
  (a stand-in, ${keyless.github.email}).
- \`${SIGNED_MODEL}\` → **Verify Model**: signed keylessly by ${SIGNER}. Then change one of its files and watch the
  badge in the status bar, and the Signed Model view in the Explorer.
- \`${SAMPLE_PROVENANCE_FILE}\` → **Open Provenance**: SLSA provenance that \`model-signing attest\` made for
  \`${SAMPLE_PROVENANCE_MODEL}\` (which was then signed: its model.sig is not part of the model).
`,
    );
    installVsix(run, vsix);
    // "GitHub account": the sign-in stand-in the e2e suite uses, installed beside the extension.
    installVsix(run, packageFakeGitHubAuth(run));
    server = await startServer(run, workspace, {
      settings: {
        'modelSigning.sigstore.trustConfig': trustConfig,
        'modelSigning.github.apiUrl': keyless.github.apiBase,
        'modelSigningTests.githubSession': keyless.github.session,
      },
      port: options.port,
    });
    options.onServer?.(server);
  } catch (e) {
    await stop(false);
    throw e;
  }
  const url = `${server.baseUrl}/?folder=${encodeURIComponent(workspace)}`;
  return { run, vsix, workspace, keyless, tokenPage, trustConfig, server, url, stop };
}
