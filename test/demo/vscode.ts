// `npm start`: the extension in a local VS Code. Packages the .vsix (as `npm run package` does),
// installs it into code-server 4.96.4 on 127.0.0.1 and opens a workspace with sample models:
//   tiny-model/   unsigned: right-click it, Sign Model
//   signed-llm/   signed keylessly by dev@example.com: right-click it, Verify Model
//   attested-model/ and attested-model.sigstore.json: provenance made by `attest`; right-click it, Open Provenance
// A local Sigstore (Fulcio, Rekor, a timestamp authority and an OIDC issuer on 127.0.0.1) stays up,
// and the settings point the extension at it, so keyless signing works offline too, with every identity
// source Sign Model offers (demoSigstore.ts): "Sign in with a browser" (the local issuer's login page),
// a pasted token (a fresh one from the token page named below), and "GitHub account" (the stand-ins).
// Ctrl-C stops everything, keeping the workspace (what you signed) and what verifies it. PORT picks the port (default: a free one).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installVsix, startServer, stopServer, type Server } from '../e2e/codeServer';
import { SIGNED_MODEL, SIGNER, prepareKeylessModel } from '../e2e/keylessModel';
import { SAMPLE_PROVENANCE_FILE, SAMPLE_PROVENANCE_MODEL, prepareSampleProvenance } from '../e2e/sampleProvenance';
import { packageFakeGitHubAuth, packageVsix } from '../e2e/vsix';
import { WORKSPACE_NAME, createModelWorkspace } from '../e2e/workspace';
import { startTokenPage, writeDemoTrustConfig } from './demoSigstore';
import { cleanUpRun, keptMessage, stoppingMessage } from './session';

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

async function main(): Promise<void> {
  const run = mkdtempSync(join(tmpdir(), 'model-signing-vscode-'));
  console.log('Packaging the extension (vsce package)…');
  const vsix = packageVsix(run);
  const workspace = createModelWorkspace(join(run, 'workspace'));
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
  let server: Server | undefined;
  /** Stops the editor and the local Sigstore; keeps what the user may have signed unless nothing was ever served. */
  const stop = async (keep: boolean) => {
    if (server) await stopServer(server);
    await tokenPage.stop();
    await keyless.stop();
    const kept = cleanUpRun(
      run,
      keep
        ? [
            { name: WORKSPACE_NAME, what: 'the workspace: the sample models and what you signed in it' },
            { name: 'demo-sigstore.json', what: "the local Sigstore's trust config: verify its keyless signatures with --trust-config" },
            { name: 'signing-key.pem', what: 'the private key offered for signing' },
          ]
        : [],
    );
    console.log(keptMessage(run, kept));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      console.log(
        stoppingMessage([server ? `VS Code (code-server at ${server.baseUrl})` : 'VS Code', 'the local Sigstore (Fulcio, Rekor, timestamps, OIDC issuer)']),
      );
      void stop(true).finally(() => process.exit(0));
    });
  }
  try {
    server = await startServer(run, workspace, {
      settings: {
        'modelSigning.sigstore.trustConfig': trustConfig,
        'modelSigning.github.apiUrl': keyless.github.apiBase,
        'modelSigningTests.githubSession': keyless.github.session,
      },
      port: process.env['PORT'] ? Number(process.env['PORT']) : undefined,
    });
  } catch (e) {
    await stop(false);
    throw e;
  }
  const url = `${server.baseUrl}/?folder=${encodeURIComponent(workspace)}`;
  console.log(`
Model Signing is running in VS Code (code-server 4.96.4), with the extension installed from
${vsix}

  Open ${url}

In the Explorer, right-click:
  tiny-model   → Sign Model   (a private key: ${keyless.privateKey}, or Sigstore keyless)
  ${SIGNED_MODEL}   → Verify Model (signed keylessly by ${SIGNER}); then change one of its files and watch the badge
  ${SAMPLE_PROVENANCE_FILE} → Open Provenance (made by \`model-signing attest\` for ${SAMPLE_PROVENANCE_MODEL}/)

Keyless signing uses a local Sigstore on 127.0.0.1 (trust config ${trustConfig}), with each identity source:
  Sign in with a browser   open the link the prompt shows in a new tab, log in as ${SIGNER}, paste the code
  Paste an identity token  a fresh token for ${SIGNER} (valid 10 minutes) at ${tokenPage.url}
  GitHub account           the stand-in account ${keyless.github.session.account.label} (${keyless.github.email}): Allow, then Sign

Ctrl-C stops VS Code and the local Sigstore, and keeps the workspace (what you signed) in
${workspace}`);
  await new Promise(() => undefined); // until a signal
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
