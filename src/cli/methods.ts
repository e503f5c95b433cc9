import * as tls from 'node:tls';
import { SafeText, safeText } from '../core/display';
import { readKeyFile } from '../core/io/readInputFile';
import { requireLazily } from '../core/lazyModule';
import { InputValues, signerFromInputs, verifierFromInputs } from '../core/methods/methodInputs';
import { Pkcs11MethodId, pkcs11Method } from '../core/methods/pkcs11Methods';
import { MethodId, signingMethod } from '../core/methods/registry';
import type { MethodInput } from '../core/methods/signingMethod';
import { fingerprint, parsePemCertificates } from '../core/signing/certificates';
import type { Signer } from '../core/signing/signer';
import type { Timestamper } from '../core/signing/timestamps';
import type { TimestampVerifier } from '../core/verifying/signingTime';
import type { TrustConfig } from '../core/sigstore/trustConfig';
import type { SignerInfo, Verifier } from '../core/verifying/verifier';
import type { VerificationResult } from '../core/verifying/verifyModel';
import { Parsed } from './args';
import { askPinOnTerminal } from './pinPrompt';
import { err } from './terminal';

/** What a command needs from the options of its signing method. */
export interface MethodSetup<T> {
  value: T;
  trust?: TrustConfig;
  warnings: string[];
  /** After a verification: what the method prints of it, and the warnings it adds. */
  afterVerify?: (result: VerificationResult, json: boolean) => string[];
}

// A method is built from the flags of its declared inputs; these are the ones the CLI builds its own way.

/** Keyless signing logs in: the login's flags are the CLI's own (options.ts). */
const OWN_SIGNERS: Partial<Record<MethodId, (p: Parsed) => Promise<MethodSetup<Signer>>>> = {
  sigstore: (p) => sigstoreMethod().makeSigstoreSigner(p),
};

const OWN_VERIFIERS: Partial<Record<MethodId, (p: Parsed) => Promise<MethodSetup<Verifier>>>> = {
  sigstore: (p) => sigstoreMethod().makeSigstoreVerifier(p),
  certificate: certificateVerifier,
};

export async function makeSigner(method: MethodId, p: Parsed): Promise<MethodSetup<Signer>> {
  const own = OWN_SIGNERS[method];
  if (own) return own(p);
  return { value: await signerFromInputs(method, flagValues(signingMethod(method).inputs.sign, p)), warnings: [] };
}

/** A PKCS #11 method's signer: the token's PIN is asked on the terminal when the URI gives none. */
export async function makePkcs11Signer(method: Pkcs11MethodId, p: Parsed): Promise<MethodSetup<Signer>> {
  const m = pkcs11Method(method);
  return { value: await m.makeSigner(flagValues(m.inputs, p), askPinOnTerminal), warnings: [] };
}

export async function makeVerifier(method: MethodId, p: Parsed): Promise<MethodSetup<Verifier>> {
  const own = OWN_VERIFIERS[method];
  if (own) return own(p);
  return { value: await verifierFromInputs(method, flagValues(signingMethod(method).inputs.verify, p)), warnings: [] };
}

/** The values of a method's input flags, by input name. */
function flagValues(inputs: readonly MethodInput[], p: Parsed): InputValues {
  return Object.fromEntries(inputs.map((i) => [i.name, i.kind === 'certificates' ? p.multis[i.flag] : p.strings[i.flag]]));
}

/** With no --certificate-chain, the trust anchors are every public CA (as the reference), with a warning when it passes. */
async function certificateVerifier(p: Parsed): Promise<MethodSetup<Verifier>> {
  const files = p.multis['certificate-chain']!;
  const publicCaStore = files.length === 0;
  const roots = publicCaStore
    ? tls.rootCertificates.flatMap((pem) => parsePemCertificates(pem, 'the Node.js CA store'))
    : files.flatMap((f) => parsePemCertificates(readKeyFile(f, 'certificate chain'), f));
  const logFingerprints = p.flags['log-fingerprints'];
  if (logFingerprints) roots.forEach((r) => err(safeText`[  init  ] sha256 Fingerprint: ${fingerprint(r)}\n`));
  const afterVerify = (result: VerificationResult, json: boolean): string[] => {
    if (result.signer.method !== 'certificate') return [];
    if (logFingerprints) err(safeText`[ verify ] sha256 Fingerprint: ${result.signer.fingerprint}\n`);
    // Only what was accepted needs the warning: a failure stays one line.
    if (!publicCaStore || !result.ok) return [];
    if (!json) err(safeText`${publicCaSignerLine(result.signer)}\n`);
    return [PUBLIC_CA_WARNING];
  };
  return { value: await signingMethod('certificate').makeVerifier({ roots }), warnings: [], afterVerify };
}

export const PUBLIC_CA_WARNING =
  'No --certificate-chain: the signing certificate was checked against every public CA in the ' +
  "Node.js CA store, so a certificate any of them issued (a web server's TLS certificate too) passes; " +
  "give the signer's own root CA with --certificate-chain";

/**
 * The signer `verify certificate` accepted from the public CA store, for stderr.
 * The names come from the signature, so control and bidi characters are shown escaped.
 */
export function publicCaSignerLine(signer: Extract<SignerInfo, { method: 'certificate' }>): SafeText {
  return safeText`Accepted signer: ${signer.subject}, issued by ${signer.issuer} (SHA-256 ${signer.fingerprint})`;
}

/** `--tsa-url` of a key or certificate signature, the Sigstore stack loaded only when it is given. */
export function timestamperFor(p: Parsed): Timestamper | undefined {
  const url = p.strings['tsa-url'];
  return url === undefined ? undefined : sigstoreMethod().makeTimestamper(url);
}

/** The check of a key or certificate signature's timestamps; the Sigstore stack is loaded only for a signature that has one. */
export function timestampVerifierFor(method: MethodId, p: Parsed): TimestampVerifier | undefined {
  if (method === 'sigstore') return undefined;
  return { verify: (signature, timestamps) => sigstoreMethod().makeTimestampVerifier(p).verify(signature, timestamps) };
}

/** dist/sigstore.js, loaded on first use (a path esbuild leaves alone); the sources directly under tsx. */
function sigstoreMethod(): typeof import('./sigstoreMethod') {
  return requireLazily(__filename, 'sigstore.js', 'sigstoreMethod');
}
