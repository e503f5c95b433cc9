// The keyless method of the CLI, in a bundle of its own (dist/sigstore.js): the
// Sigstore stack is most of the CLI's code, and only `sign`/`verify sigstore` need it.
import { spawn } from 'node:child_process';
import * as readline from 'node:readline';
import { signingMethod } from '../core/methods/registry';
import { PRODUCTION_OIDC_ISSUER, TrustConfig, chooseIdentityProvider, oidcIssuerOf, resolveTrustConfig } from '../core/sigstore';
import { safeText } from '../core/display';
import type { Signer } from '../core/signing/signer';
import type { Verifier } from '../core/verifying/verifier';
import type { Parsed } from './args';
import { signerRuleFromFlags } from './signerFlags';
import { err } from './terminal';

// Core's keyless method loads the stack from here in dist/cli.js (esbuild.mjs points it at this bundle).
export * from '../core/methods/sigstoreStack';

/** methods.ts's MethodSetup, spelled out: methods.ts loads this module, not the other way round. */
interface SigstoreSetup<T> {
  value: T;
  trust: TrustConfig;
  warnings: string[];
}

export async function makeSigstoreSigner(p: Parsed): Promise<SigstoreSetup<Signer>> {
  const { config, warnings } = await resolveTrustConfig({ trustConfigPath: p.strings['trust-config'], useStaging: p.flags['use-staging'] });
  const identity = chooseIdentityProvider({
    identityToken: p.strings['identity-token'],
    useAmbientCredentials: p.flags['use-ambient-credentials'],
    interactive: {
      issuer: oidcIssuerOf(config) ?? PRODUCTION_OIDC_ISSUER,
      clientId: p.strings['client-id'],
      clientSecret: p.strings['client-secret'],
      forceOob: p.flags['oauth-force-oob'],
      openUrl: openInBrowser,
      readCode: () => prompt('Enter verification code: '),
    },
  });
  return { value: await signingMethod('sigstore').makeSigner({ trustConfig: config, identity }), trust: config, warnings };
}

export async function makeSigstoreVerifier(p: Parsed): Promise<SigstoreSetup<Verifier>> {
  const rule = signerRuleFromFlags(p);
  const { config, warnings } = await resolveTrustConfig({
    trustConfigPath: p.strings['trust-config'],
    useStaging: p.flags['use-staging'],
    refresh: p.flags['refresh-trust-root'],
  });
  const verifier = await signingMethod('sigstore').makeVerifier({ trustConfig: config, rule });
  return { value: verifier, trust: config, warnings };
}

/** Prints the login URL and tries the desktop's browser; without one, the printed URL is the way. */
function openInBrowser(url: string): void {
  err(safeText`Waiting for browser interaction... If no browser opens, visit:\n\n  ${url}\n\n`);
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer.exe' : 'xdg-open';
  try {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener on this machine: the URL above is enough.
  }
}

function prompt(question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) =>
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer.trim());
    }),
  );
}
