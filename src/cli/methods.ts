import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import * as tls from 'node:tls';
import {
  CertificateSigner, CertificateVerifier, KeySigner, KeyVerifier, ModelSigningError, PRODUCTION_OIDC_ISSUER, Signer,
  SigstoreSigner, SigstoreVerifier, TrustConfig, Verifier, chooseIdentityProvider, fingerprint, loadPrivateKey,
  loadPublicKey, oidcIssuerOf, parsePemCertificates, resolveTrustConfig,
} from '../core';
import { Parsed } from './args';
import { SupportedMethod } from './options';

/** What a command needs from the options of its signing method. */
export interface MethodSetup<T> {
  value: T;
  trust?: TrustConfig;
  warnings: string[];
}

export async function makeSigner(method: SupportedMethod, p: Parsed): Promise<MethodSetup<Signer>> {
  if (method === 'sigstore') {
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
    return { value: new SigstoreSigner({ trustConfig: config, identity }), trust: config, warnings };
  }
  const privateKey = loadPrivateKey(readInput(p.strings['private-key']!, 'private key'), p.strings.password);
  if (method === 'key') return { value: new KeySigner(privateKey), warnings: [] };
  const leaf = parsePemCertificates(readInput(p.strings['signing-certificate']!, 'signing certificate'), p.strings['signing-certificate'])[0]!;
  const chain = p.multis['certificate-chain']!.flatMap((f) => parsePemCertificates(readInput(f, 'certificate chain'), f));
  return { value: new CertificateSigner(privateKey, leaf, chain), warnings: [] };
}

export async function makeVerifier(method: SupportedMethod, p: Parsed): Promise<MethodSetup<Verifier>> {
  if (method === 'sigstore') {
    const { config, warnings } = await resolveTrustConfig({
      trustConfigPath: p.strings['trust-config'],
      useStaging: p.flags['use-staging'],
      refresh: p.flags['refresh-trust-root'],
    });
    const verifier = new SigstoreVerifier({ trustConfig: config, identity: p.strings.identity!, issuer: p.strings['identity-provider']! });
    return { value: verifier, trust: config, warnings };
  }
  if (method === 'key') return { value: new KeyVerifier(loadPublicKey(readInput(p.strings['public-key']!, 'public key'))), warnings: [] };
  const files = p.multis['certificate-chain']!;
  const roots = files.length > 0
    ? files.flatMap((f) => parsePemCertificates(readInput(f, 'certificate chain'), f))
    : tls.rootCertificates.flatMap((pem) => parsePemCertificates(pem, 'the Node.js CA store'));
  if (p.flags['log-fingerprints']) roots.forEach((r) => process.stderr.write(`[  init  ] sha256 Fingerprint: ${fingerprint(r)}\n`));
  return { value: new CertificateVerifier({ roots }), warnings: [] };
}

export function readInput(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ModelSigningError('FILE_READ_ERROR', `Cannot read the ${what} '${file}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { path: file }, e);
  }
}

/** Prints the login URL and tries the desktop's browser; without one, the printed URL is the way. */
function openInBrowser(url: string): void {
  process.stderr.write(`Waiting for browser interaction... If no browser opens, visit:\n\n  ${url}\n\n`);
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
  return new Promise((resolve) => rl.question(question, (answer) => {
    rl.close();
    resolve(answer.trim());
  }));
}
