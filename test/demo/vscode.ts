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
import { SIGNED_MODEL, SIGNER } from '../e2e/keylessModel';
import { SAMPLE_PROVENANCE_FILE, SAMPLE_PROVENANCE_MODEL } from '../e2e/sampleProvenance';
import { type Server, startedServers, stopServer } from '../e2e/codeServer';
import { type Demo, startDemo } from './startDemo';
import { keptMessage, stoppingMessage } from './session';

async function main(): Promise<void> {
  // What has started so far, for a Ctrl-C that comes while it starts.
  const running: { server?: Server; demo?: Demo } = {};
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      console.log(
        stoppingMessage([
          running.server ? `VS Code (code-server at ${running.server.baseUrl})` : 'VS Code',
          'the local Sigstore (Fulcio, Rekor, timestamps, OIDC issuer, GitHub stand-ins, token page)',
        ]),
      );
      const started = running.demo;
      // Still starting: only the editor runs outside this process (its own process group).
      const stopping = started
        ? started.stop(true).then((kept) => console.log(keptMessage(started.run, kept)))
        : Promise.allSettled(startedServers.map(stopServer));
      void stopping.finally(() => process.exit(0));
    });
  }
  const demo = await startDemo({
    port: process.env['PORT'] ? Number(process.env['PORT']) : undefined,
    log: (line) => console.log(line),
    onServer: (s) => (running.server = s),
  });
  running.demo = demo;
  const { vsix, keyless, tokenPage, trustConfig, workspace, url } = demo;
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
