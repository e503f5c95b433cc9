import * as tls from 'node:tls';
import { SafeText, safeText } from '../core/display';
import { readKeyFile } from '../core/io/readInputFile';
import { requireLazily } from '../core/lazyModule';
import { MethodId, signingMethod } from '../core/methods/registry';
import { fingerprint, parsePemCertificates } from '../core/signing/certificates';
import { loadPrivateKey, loadPublicKey } from '../core/signing/keys';
import type { Signer } from '../core/signing/signer';
import type { TrustConfig } from '../core/sigstore/trustConfig';
import type { SignerInfo, Verifier } from '../core/verifying/verifier';
import { Parsed } from './args';
import { err } from './terminal';

/** What a command needs from the options of its signing method. */
export interface MethodSetup<T> {
  value: T;
  trust?: TrustConfig;
  warnings: string[];
  /** verify certificate with no --certificate-chain: the trust anchors are every public CA. */
  publicCaStore?: boolean;
}

export async function makeSigner(method: MethodId, p: Parsed): Promise<MethodSetup<Signer>> {
  if (method === 'sigstore') return sigstoreMethod().makeSigstoreSigner(p);
  const privateKey = loadPrivateKey(readKeyFile(p.strings['private-key']!, 'private key'), p.strings.password);
  if (method === 'key') return { value: await signingMethod('key').makeSigner({ privateKey }), warnings: [] };
  const signingCertificate = parsePemCertificates(readKeyFile(p.strings['signing-certificate']!, 'signing certificate'), p.strings['signing-certificate'])[0]!;
  const certificateChain = p.multis['certificate-chain']!.flatMap((f) => parsePemCertificates(readKeyFile(f, 'certificate chain'), f));
  return { value: await signingMethod('certificate').makeSigner({ privateKey, signingCertificate, certificateChain }), warnings: [] };
}

export async function makeVerifier(method: MethodId, p: Parsed): Promise<MethodSetup<Verifier>> {
  if (method === 'sigstore') return sigstoreMethod().makeSigstoreVerifier(p);
  if (method === 'key') return { value: await signingMethod('key').makeVerifier({ publicKey: loadPublicKey(readKeyFile(p.strings['public-key']!, 'public key')) }), warnings: [] };
  const files = p.multis['certificate-chain']!;
  const publicCaStore = files.length === 0;
  const roots = publicCaStore
    ? tls.rootCertificates.flatMap((pem) => parsePemCertificates(pem, 'the Node.js CA store'))
    : files.flatMap((f) => parsePemCertificates(readKeyFile(f, 'certificate chain'), f));
  if (p.flags['log-fingerprints']) roots.forEach((r) => err(safeText`[  init  ] sha256 Fingerprint: ${fingerprint(r)}\n`));
  return { value: await signingMethod('certificate').makeVerifier({ roots }), warnings: [], publicCaStore };
}

export const PUBLIC_CA_WARNING = 'No --certificate-chain: the signing certificate was checked against every public CA in the '
  + "Node.js CA store, so a certificate any of them issued (a web server's TLS certificate too) passes; "
  + "give the signer's own root CA with --certificate-chain";

/**
 * The signer `verify certificate` accepted from the public CA store, for stderr.
 * The names come from the signature, so control and bidi characters are shown escaped.
 */
export function publicCaSignerLine(signer: Extract<SignerInfo, { method: 'certificate' }>): SafeText {
  return safeText`Accepted signer: ${signer.subject}, issued by ${signer.issuer} (SHA-256 ${signer.fingerprint})`;
}

/** dist/sigstore.js, loaded on first use (a path esbuild leaves alone); the sources directly under tsx. */
function sigstoreMethod(): typeof import('./sigstoreMethod') {
  return requireLazily(__filename, 'sigstore.js', 'sigstoreMethod');
}
