import type * as crypto from 'node:crypto';
import { policyCertificateRoots, policyCertificates } from '../policy/policyReferences';
import { CertificateSigner } from '../signing/certificateSigner';
import { CertificateVerifier, CertificateVerifierOptions } from '../verifying/certificateVerifier';
import type { SignerInfo } from '../verifying/verifier';
import { PRIVATE_KEY_INPUTS } from './keyMethod';
import { SigningMethod, rawList } from './signingMethod';
import { settle } from '../abort';

type CertificateSignerInfo = Extract<SignerInfo, { method: 'certificate' }>;

interface CertificateSignerInputs {
  privateKey: crypto.KeyObject;
  /** DER. */
  signingCertificate: Buffer;
  /** DER, leaf issuer first. */
  certificateChain: readonly Buffer[];
}

/** A private key and its X.509 chain: the reference's `use_certificate_signer` (`_signing/sign_certificate.py`). */
export const CERTIFICATE_METHOD: SigningMethod<'certificate', CertificateSignerInfo, CertificateSignerInputs, CertificateVerifierOptions> = {
  id: 'certificate',
  label: 'Certificate',
  description: 'a private key with its X.509 certificate chain',
  help: { sign: 'Sign a model with a private key and its X.509 certificate chain.', verify: 'Verify a model signed with an X.509 certificate chain.' },
  inputs: {
    sign: [
      ...PRIVATE_KEY_INPUTS,
      {
        name: 'signingCertificate',
        flag: 'signing-certificate',
        kind: 'certificate',
        what: 'signing certificate',
        required: true,
        metavar: 'PATH',
        help: 'Path to the signing certificate, as a PEM-encoded file.',
        prompt: 'Signing certificate (PEM)',
      },
      {
        name: 'certificateChain',
        flag: 'certificate-chain',
        kind: 'certificates',
        what: 'certificate chain',
        required: false,
        metavar: 'PATH',
        help: 'Certificate chain to embed, as PEM files (leaf issuer first).',
        prompt: 'Certificate chain (PEM files; cancel for none)',
      },
    ],
    verify: [
      {
        name: 'roots',
        flag: 'certificate-chain',
        kind: 'certificates',
        what: 'root certificate',
        required: false,
        metavar: 'PATH',
        help: 'Trust anchors, as PEM files (default: the Mozilla CA store built into Node.js).',
        prompt: 'Trusted root certificates (PEM)',
      },
    ],
  },
  // Whatever is neither a key's nor Sigstore's carries a chain (parseBundle has checked that one is there).
  madeBundle: ({ verificationMaterial: vm }) => !vm.publicKey && !vm.certificate && (vm.tlogEntries?.length ?? 0) === 0,
  makeSigner: (i) => settle(() => new CertificateSigner(i.privateKey, i.signingCertificate, i.certificateChain)),
  makeVerifier: (options) => settle(() => new CertificateVerifier(options)),
  describeSigner: (signer) => signer.subject,
  policyAccepts: (entry) => (entry.certificateRoots.length || entry.certificateFingerprints.length ? 'certificates' : undefined),
  evaluatePolicy(entry, signer, { pass, fail, accepted }) {
    const who = `the certificate '${signer.subject}' issued by '${signer.issuer}'`;
    if (entry.certificateFingerprints.length + entry.certificateRoots.length === 0) return fail(who, accepted);
    if (entry.certificateFingerprints.includes(signer.fingerprint.toUpperCase())) return pass(who);
    for (const { file, certs } of policyCertificates(entry)) {
      for (const cert of certs) {
        if (cert.fingerprint === signer.fingerprint.toUpperCase()) return pass(`${who} (pinned in ${file})`);
        if (cert.subject === signer.issuer) return pass(`${who} (a CA in ${file})`);
      }
    }
    const byCa = entry.certificateRoots.length
      ? `certificates issued by a CA in ${entry.certificateRoots.join(', ')} (the issuer '${signer.issuer}' is in none of them: list the issuing intermediate CA too if there is one)`
      : '';
    const pinned = entry.certificateFingerprints.length ? 'the pinned certificate fingerprints' : '';
    return fail(who, [byCa, pinned].filter(Boolean).join(' or '));
  },
  policyInputs: (entry) => (entry.certificateRoots.length > 0 ? { roots: policyCertificateRoots(entry) } : undefined),
  pin(raw, signer) {
    const l = rawList<string>(raw, 'certificateFingerprints');
    const fp = signer.fingerprint.toUpperCase();
    if (l.some((f) => f.replace(/:/g, '').toUpperCase() === fp.replace(/:/g, ''))) return false;
    l.push(fp);
    return true;
  },
};
