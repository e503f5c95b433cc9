// The keyless method of the CLI, in a bundle of its own (dist/sigstore.js): the
// Sigstore stack is most of the CLI's code, and only `sign`/`verify sigstore` need it.
import { spawn } from 'node:child_process';
import * as readline from 'node:readline';
import { signingMethod } from '../core/methods/registry';
import {
  PRODUCTION_OIDC_ISSUER,
  TrustConfig,
  chooseIdentityProvider,
  loadTrustConfig,
  oidcIssuerOf,
  productionTrustConfig,
  resolveTrustConfig,
} from '../core/sigstore';
import { readKeyFile } from '../core/io/readInputFile';
import { parsePemCertificates } from '../core/signing/certificates';
import { Rfc3161TimestampVerifier, TsaTimestamper, timestampAuthoritiesOf } from '../core/sigstore/timestampAuthority';
import type { Timestamper } from '../core/signing/timestamps';
import type { TimestampVerifier } from '../core/verifying/signingTime';
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
    audience: p.strings['client-id'],
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

/** `--tsa-url`: the timestamp authority that stamps a key or certificate signature. */
export function makeTimestamper(url: string): Timestamper {
  return new TsaTimestamper(url);
}

/**
 * The timestamp authorities trusted for a key or certificate signature's timestamps: each `--tsa-certificate-chain`
 * file (one authority's chain, its signing certificate first), else those of `--trust-config`, else those of the
 * built-in public-good root (offline).
 */
export function makeTimestampVerifier(p: Parsed): TimestampVerifier {
  const files = p.multis['tsa-certificate-chain'] ?? [];
  const trustConfig = p.strings['trust-config'];
  const authorities =
    files.length > 0
      ? files.map((f) => ({ chain: parsePemCertificates(readKeyFile(f, 'timestamp authority certificate chain'), f) }))
      : timestampAuthoritiesOf(trustConfig ? loadTrustConfig(trustConfig) : productionTrustConfig());
  return new Rfc3161TimestampVerifier(authorities);
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
