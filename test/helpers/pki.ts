// A throwaway PKI for certificate-method tests, made with @peculiar/x509 on
// WebCrypto: root → intermediate → leaf, with the validity and usages a test asks for.
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as x509 from '@peculiar/x509';
import { tempDir } from './fixtures';

const webcrypto = globalThis.crypto;
type CryptoKeyPair = import('node:crypto').webcrypto.CryptoKeyPair;
x509.cryptoProvider.set(webcrypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface LeafOptions {
  notBefore?: Date;
  notAfter?: Date;
  /** Key usage bits; default digitalSignature. Empty array: no KeyUsage extension. */
  keyUsage?: number | null;
  /** EKU OIDs; default codeSigning. null: no EKU extension. */
  extKeyUsage?: string[] | null;
  curve?: 'P-256' | 'P-384' | 'P-521';
  /** The leaf's public key (SPKI PEM) when its private key lives elsewhere (a PKCS #11 token); leafKeyPem is then the generated one's. */
  leafPublicKeyPem?: string;
}

export interface TestPki {
  dir: string;
  rootPem: string;
  intermediatePem: string;
  leafPem: string;
  leafKeyPem: string;
  /** File paths of the above. */
  files: { root: string; intermediate: string; leaf: string; leafKey: string };
}

async function caCert(name: string, keys: CryptoKeyPair, issuer: { name: string; keys: CryptoKeyPair } | undefined, pathLen: number) {
  return x509.X509CertificateGenerator.create({
    serialNumber: Math.floor(Math.random() * 1e9).toString(16),
    subject: `CN=${name}`,
    issuer: issuer ? `CN=${issuer.name}` : `CN=${name}`,
    notBefore: new Date(Date.now() - 10 * DAY),
    notAfter: new Date(Date.now() + 365 * DAY),
    signingAlgorithm: EC,
    publicKey: keys.publicKey,
    signingKey: (issuer?.keys ?? keys).privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(true, pathLen, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
}

/** Makes root, intermediate and a leaf in a temp folder. */
export async function makePki(options: LeafOptions = {}, rootName = 'test-root'): Promise<TestPki> {
  const gen = (curve = 'P-256') => webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, ['sign', 'verify']);
  const rootKeys = await gen();
  const intKeys = await gen();
  const leafCurve = options.curve ?? 'P-256';
  const leafKeys = await gen(leafCurve);
  const root = await caCert(rootName, rootKeys, undefined, 1);
  const intermediate = await caCert(`${rootName}-intermediate`, intKeys, { name: rootName, keys: rootKeys }, 0);
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
  const ku = options.keyUsage === undefined ? x509.KeyUsageFlags.digitalSignature : options.keyUsage;
  if (ku !== null) extensions.push(new x509.KeyUsagesExtension(ku, true));
  const eku = options.extKeyUsage === undefined ? ['1.3.6.1.5.5.7.3.3'] : options.extKeyUsage;
  if (eku !== null) extensions.push(new x509.ExtendedKeyUsageExtension(eku, false));
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: 'CN=model-signer,O=Test',
    issuer: intermediate.subject,
    notBefore: options.notBefore ?? new Date(Date.now() - DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 30 * DAY),
    signingAlgorithm: EC,
    publicKey: options.leafPublicKeyPem ? await importSpki(options.leafPublicKeyPem, leafCurve) : leafKeys.publicKey,
    signingKey: intKeys.privateKey,
    extensions,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey));
  const leafKeyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END PRIVATE KEY-----\n`;
  const dir = tempDir('ms-pki-');
  const files = {
    root: path.join(dir, 'root.pem'),
    intermediate: path.join(dir, 'intermediate.pem'),
    leaf: path.join(dir, 'leaf.pem'),
    leafKey: path.join(dir, 'leaf-key.pem'),
  };
  const pki: TestPki = { dir, rootPem: root.toString('pem'), intermediatePem: intermediate.toString('pem'), leafPem: leaf.toString('pem'), leafKeyPem, files };
  fs.writeFileSync(files.root, pki.rootPem + '\n');
  fs.writeFileSync(files.intermediate, pki.intermediatePem + '\n');
  fs.writeFileSync(files.leaf, pki.leafPem + '\n');
  fs.writeFileSync(files.leafKey, leafKeyPem);
  return pki;
}

export const KeyUsage = x509.KeyUsageFlags;

function importSpki(pem: string, curve: string) {
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  return webcrypto.subtle.importKey('spki', der, { name: 'ECDSA', namedCurve: curve }, true, ['verify']);
}
