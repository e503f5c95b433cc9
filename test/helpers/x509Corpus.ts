// A differential corpus of certificate paths: each case is a set of trust
// anchors, the untrusted chain a bundle would carry and a leaf, made fresh with
// @peculiar/x509 (EC P-256). The tests run real `openssl verify` on each and
// check that our validator agrees; no case says what the answer should be.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints, id_ce_nameConstraints } from '@peculiar/asn1-x509';

const webcrypto = globalThis.crypto;
type CryptoKeyPair = import('node:crypto').webcrypto.CryptoKeyPair;
x509.cryptoProvider.set(webcrypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
const KU = x509.KeyUsageFlags;
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
/** A private OID no implementation knows. */
const UNKNOWN_OID = '1.3.6.1.4.1.55555.1.1';
const ASN1_NULL = new Uint8Array([0x05, 0x00]);

export interface Cert {
  pem: string;
  der: Buffer;
  keys: CryptoKeyPair;
  name: string;
}

export interface CorpusCase {
  /** What the path exercises. */
  name: string;
  /** Trust anchors: `-CAfile`, the verifier's roots. */
  roots: Cert[];
  /** Untrusted certificates: `-untrusted`, the bundle's chain after the leaf. */
  chain: Cert[];
  leaf: Cert;
}

interface CertSpec {
  /** Common name; the subject is `CN=<name>,O=Corpus`. */
  name: string;
  /** Self-signed when absent. */
  issuer?: Cert;
  /** A fresh key pair when absent (a cross-certificate reuses one). */
  keys?: CryptoKeyPair;
  /** basicConstraints cA; null leaves the extension out. */
  ca?: boolean | null;
  pathLen?: number;
  /** KeyUsage bits; null leaves the extension out. Default: keyCertSign|cRLSign for a CA, digitalSignature otherwise. */
  keyUsage?: number | null;
  extensions?: x509.Extension[];
  /** Days from now. */
  from?: number;
  to?: number;
  /** Signs with this key instead of the issuer's (a forged signature). */
  signWith?: CryptoKeyPair;
  /** Marks the subjectKeyIdentifier critical (OpenSSL does not handle it as critical). */
  criticalKeyId?: boolean;
}

const newKeys = () => webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
let serial = 1;

async function issue(spec: CertSpec): Promise<Cert> {
  const keys = spec.keys ?? (await newKeys());
  const subject = `CN=${spec.name},O=Corpus`;
  const ca = spec.ca === undefined ? false : spec.ca;
  const extensions: x509.Extension[] = [
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, spec.criticalKeyId ?? false),
    await x509.AuthorityKeyIdentifierExtension.create((spec.issuer?.keys ?? keys).publicKey),
  ];
  if (ca !== null) extensions.push(new x509.BasicConstraintsExtension(ca, spec.pathLen, true));
  const ku = spec.keyUsage === undefined ? (ca ? KU.keyCertSign | KU.cRLSign : KU.digitalSignature) : spec.keyUsage;
  if (ku !== null) extensions.push(new x509.KeyUsagesExtension(ku, true));
  extensions.push(...(spec.extensions ?? []));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(4, '0'),
    subject,
    issuer: spec.issuer ? new x509.X509Certificate(spec.issuer.der).subject : subject,
    notBefore: new Date(Date.now() + (spec.from ?? -10) * DAY),
    notAfter: new Date(Date.now() + (spec.to ?? 365) * DAY),
    signingAlgorithm: EC,
    publicKey: keys.publicKey,
    signingKey: (spec.signWith ?? spec.issuer?.keys ?? keys).privateKey,
    extensions,
  });
  return { pem: cert.toString('pem'), der: Buffer.from(cert.rawData), keys, name: spec.name };
}

const root = (name = 'root', spec: Partial<CertSpec> = {}) => issue({ name, ca: true, ...spec });
const ca = (name: string, issuer: Cert, spec: Partial<CertSpec> = {}) => issue({ name, issuer, ca: true, ...spec });
const leaf = (issuer: Cert, spec: Partial<CertSpec> = {}) =>
  issue({ name: 'signer', issuer, extensions: [new x509.ExtendedKeyUsageExtension([CODE_SIGNING])], ...spec });
const unknownExtension = (critical: boolean) => new x509.Extension(UNKNOWN_OID, critical, ASN1_NULL);

function nameConstraints(permitted: Array<Partial<GeneralName>>, excluded: Array<Partial<GeneralName>> = []): x509.Extension {
  const subtrees = (names: Array<Partial<GeneralName>>) =>
    names.length ? new GeneralSubtrees(names.map((base) => new GeneralSubtree({ base: new GeneralName(base) }))) : undefined;
  const value = new NameConstraints({ permittedSubtrees: subtrees(permitted), excludedSubtrees: subtrees(excluded) });
  return new x509.Extension(id_ce_nameConstraints, true, AsnConvert.serialize(value));
}

const dnsName = (names: string[], critical = false) =>
  new x509.SubjectAlternativeNameExtension(
    names.map((value) => ({ type: 'dns' as const, value })),
    critical,
  );

/** root → intermediate → leaf, with the parts a case changes. */
async function threeLevels(opts: { root?: Partial<CertSpec>; intermediate?: Partial<CertSpec>; leaf?: Partial<CertSpec> } = {}) {
  const r = await root('root', opts.root);
  const i = await ca('intermediate', r, opts.intermediate);
  const l = await leaf(i, opts.leaf);
  return { r, i, l, standard: (name: string): CorpusCase => ({ name, roots: [r], chain: [i], leaf: l }) };
}

/**
 * loop-a issued by loop-b and loop-b by loop-a, one key for both, and a leaf
 * under loop-a: a path builder without a bound goes round forever.
 */
export async function issuerLoop(): Promise<{ a: { certA: Cert; certB: Cert }; l: Cert }> {
  const keys = await newKeys();
  const placeholder: Cert = { pem: '', der: Buffer.alloc(0), keys, name: 'loop-b' };
  const named = async (name: string, issuerName: string) => {
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: (serial++).toString(16).padStart(4, '0'),
      subject: `CN=${name},O=Corpus`,
      issuer: `CN=${issuerName},O=Corpus`,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 30 * DAY),
      signingAlgorithm: EC,
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    return { ...placeholder, pem: cert.toString('pem'), der: Buffer.from(cert.rawData), name };
  };
  const certA = await named('loop-a', 'loop-b');
  const certB = await named('loop-b', 'loop-a');
  return { a: { certA, certB }, l: await leaf(certA) };
}

type Builder = () => Promise<CorpusCase>;

/** Every case, by name; each builds its own certificates when called. */
export const CORPUS: ReadonlyArray<readonly [string, Builder]> = [
  ['a plain root → intermediate → leaf', async () => (await threeLevels()).standard('')],
  [
    'the root also carried in the chain',
    async () => {
      const { r, i, l } = await threeLevels();
      return { name: '', roots: [r], chain: [i, r], leaf: l };
    },
  ],
  [
    'two intermediates, no pathLen anywhere',
    async () => {
      const r = await root();
      const i1 = await ca('intermediate-1', r);
      const i2 = await ca('intermediate-2', i1);
      return { name: '', roots: [r], chain: [i2, i1], leaf: await leaf(i2) };
    },
  ],
  [
    'pathLen 0 on the upper of two intermediates (broken)',
    async () => {
      const r = await root();
      const i1 = await ca('intermediate-1', r, { pathLen: 0 });
      const i2 = await ca('intermediate-2', i1);
      return { name: '', roots: [r], chain: [i2, i1], leaf: await leaf(i2) };
    },
  ],
  ['pathLen 0 on the root above one intermediate (broken)', async () => (await threeLevels({ root: { pathLen: 0 } })).standard('')],
  ['pathLen 1 on the root, 0 on the intermediate (kept)', async () => (await threeLevels({ root: { pathLen: 1 }, intermediate: { pathLen: 0 } })).standard('')],
  [
    'pathLen 1 on the root above two intermediates (broken)',
    async () => {
      const r = await root('root', { pathLen: 1 });
      const i1 = await ca('intermediate-1', r);
      const i2 = await ca('intermediate-2', i1);
      return { name: '', roots: [r], chain: [i2, i1], leaf: await leaf(i2) };
    },
  ],
  ['an unknown critical extension on the leaf', async () => (await threeLevels({ leaf: { extensions: [unknownExtension(true)] } })).standard('')],
  ['an unknown non-critical extension on the leaf', async () => (await threeLevels({ leaf: { extensions: [unknownExtension(false)] } })).standard('')],
  [
    'an unknown critical extension on the intermediate',
    async () => (await threeLevels({ intermediate: { extensions: [unknownExtension(true)] } })).standard(''),
  ],
  ['an unknown critical extension on the root', async () => (await threeLevels({ root: { extensions: [unknownExtension(true)] } })).standard('')],
  [
    'critical extendedKeyUsage and subjectAltName on the leaf (known)',
    async () =>
      (
        await threeLevels({
          leaf: { extensions: [new x509.ExtendedKeyUsageExtension([CODE_SIGNING], true), dnsName(['signer.example.com'], true)] },
        })
      ).standard(''),
  ],
  ['a critical subjectKeyIdentifier on the leaf', async () => (await threeLevels({ leaf: { criticalKeyId: true } })).standard('')],
  [
    'name constraints: leaf DNS name inside the permitted subtree',
    async () =>
      (
        await threeLevels({
          intermediate: { extensions: [nameConstraints([{ dNSName: 'example.com' }])] },
          leaf: { extensions: [dnsName(['models.example.com'])] },
        })
      ).standard(''),
  ],
  [
    'name constraints: leaf DNS name outside the permitted subtree',
    async () =>
      (
        await threeLevels({
          intermediate: { extensions: [nameConstraints([{ dNSName: 'example.com' }])] },
          leaf: { extensions: [dnsName(['models.attacker.org'])] },
        })
      ).standard(''),
  ],
  [
    'name constraints: leaf DNS name inside an excluded subtree',
    async () =>
      (
        await threeLevels({
          intermediate: { extensions: [nameConstraints([], [{ dNSName: 'example.com' }])] },
          leaf: { extensions: [dnsName(['models.example.com'])] },
        })
      ).standard(''),
  ],
  [
    'a critical certificatePolicies (anyPolicy) on the leaf and the intermediate',
    async () => {
      const policies = () => [new x509.CertificatePolicyExtension(['2.5.29.32.0'], true)];
      return (await threeLevels({ intermediate: { extensions: policies() }, leaf: { extensions: policies() } })).standard('');
    },
  ],
  [
    'name constraints on the root: leaf email outside the permitted domain',
    async () =>
      (
        await threeLevels({
          root: { extensions: [nameConstraints([{ rfc822Name: 'example.com' }])] },
          leaf: { extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'email', value: 'mallory@attacker.org' }])] },
        })
      ).standard(''),
  ],
  ['an intermediate with CA:FALSE', async () => (await threeLevels({ intermediate: { ca: false, keyUsage: KU.keyCertSign } })).standard('')],
  ['an intermediate without basicConstraints', async () => (await threeLevels({ intermediate: { ca: null, keyUsage: KU.keyCertSign } })).standard('')],
  ['an intermediate without keyCertSign', async () => (await threeLevels({ intermediate: { keyUsage: KU.digitalSignature | KU.cRLSign } })).standard('')],
  ['an intermediate without keyUsage', async () => (await threeLevels({ intermediate: { keyUsage: null } })).standard('')],
  ['a root without keyCertSign', async () => (await threeLevels({ root: { keyUsage: KU.digitalSignature } })).standard('')],
  ['a root with CA:FALSE', async () => (await threeLevels({ root: { ca: false, keyUsage: null } })).standard('')],
  ['an expired intermediate', async () => (await threeLevels({ intermediate: { from: -30, to: -1 } })).standard('')],
  ['a not-yet-valid intermediate', async () => (await threeLevels({ intermediate: { from: 1, to: 30 } })).standard('')],
  ['an expired root', async () => (await threeLevels({ root: { from: -30, to: -1 } })).standard('')],
  ['a not-yet-valid root', async () => (await threeLevels({ root: { from: 1, to: 30 } })).standard('')],
  ['an expired leaf', async () => (await threeLevels({ leaf: { from: -30, to: -1 } })).standard('')],
  [
    "a leaf signed by a key other than its issuer's",
    async () => {
      const r = await root();
      const i = await ca('intermediate', r);
      return { name: '', roots: [r], chain: [i], leaf: await leaf(i, { signWith: await newKeys() }) };
    },
  ],
  [
    'a leaf with CA:TRUE under a proper chain',
    async () => (await threeLevels({ leaf: { ca: true, keyUsage: KU.digitalSignature | KU.keyCertSign } })).standard(''),
  ],
  [
    'a leaf whose keyUsage lacks digitalSignature (keyEncipherment, EKU serverAuth)',
    async () =>
      (
        await threeLevels({
          leaf: { keyUsage: KU.keyEncipherment, extensions: [new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1'])] },
        })
      ).standard(''),
  ],
  [
    'the root given as the leaf',
    async () => {
      const r = await root();
      return { name: '', roots: [r], chain: [], leaf: r };
    },
  ],
  [
    'a self-signed signing certificate (CA:TRUE, digitalSignature) as its own root',
    async () => {
      const s = await root('self-signed-signer', { keyUsage: KU.digitalSignature, extensions: [new x509.ExtendedKeyUsageExtension([CODE_SIGNING])] });
      return { name: '', roots: [s], chain: [], leaf: s };
    },
  ],
  [
    'a self-signed signing certificate (CA:FALSE) as its own root',
    async () => {
      const s = await issue({ name: 'self-signed-leaf', extensions: [new x509.ExtendedKeyUsageExtension([CODE_SIGNING])] });
      return { name: '', roots: [s], chain: [], leaf: s };
    },
  ],
  [
    'a self-signed signing certificate not among the roots',
    async () => {
      const r = await root();
      const s = await root('self-signed-signer', { keyUsage: KU.digitalSignature });
      return { name: '', roots: [r], chain: [], leaf: s };
    },
  ],
  [
    'partial chain: only the intermediate is trusted',
    async () => {
      const { i, l } = await threeLevels();
      return { name: '', roots: [i], chain: [], leaf: l };
    },
  ],
  [
    'partial chain: the intermediate trusted, the root only in the chain',
    async () => {
      const { r, i, l } = await threeLevels();
      return { name: '', roots: [i], chain: [r], leaf: l };
    },
  ],
  [
    'partial chain: the intermediate and the root both trusted',
    async () => {
      const { r, i, l } = await threeLevels();
      return { name: '', roots: [i, r], chain: [], leaf: l };
    },
  ],
  [
    'the leaf itself trusted, issued by an intermediate',
    async () => {
      const { i, l } = await threeLevels();
      return { name: '', roots: [l], chain: [i], leaf: l };
    },
  ],
  [
    'the intermediate missing from the chain',
    async () => {
      const { r, l } = await threeLevels();
      return { name: '', roots: [r], chain: [], leaf: l };
    },
  ],
  [
    "another PKI's root",
    async () => {
      const { i, l } = await threeLevels();
      return { name: '', roots: [await root()], chain: [i], leaf: l };
    },
  ],
  [
    'an untrusted self-signed root carried in the chain',
    async () => {
      const { r, i, l } = await threeLevels();
      return { name: '', roots: [await root('other-root')], chain: [i, r], leaf: l };
    },
  ],
  [
    "cross-signed: new root trusted only through the old root's cross-certificate",
    async () => {
      const oldRoot = await root('old-root');
      const newRoot = await root('new-root');
      const cross = await ca('new-root', oldRoot, { keys: newRoot.keys });
      const i = await ca('intermediate', newRoot);
      return { name: '', roots: [oldRoot], chain: [i, cross], leaf: await leaf(i) };
    },
  ],
  [
    'cross-signed: the new root trusted itself, the cross-certificate in the chain too',
    async () => {
      const oldRoot = await root('old-root');
      const newRoot = await root('new-root');
      const cross = await ca('new-root', oldRoot, { keys: newRoot.keys });
      const i = await ca('intermediate', newRoot);
      return { name: '', roots: [newRoot], chain: [i, cross], leaf: await leaf(i) };
    },
  ],
  [
    'cross-signed: the cross-certificate expired, the old root trusted',
    async () => {
      const oldRoot = await root('old-root');
      const newRoot = await root('new-root');
      const cross = await ca('new-root', oldRoot, { keys: newRoot.keys, from: -30, to: -1 });
      const i = await ca('intermediate', newRoot);
      return { name: '', roots: [oldRoot], chain: [i, cross], leaf: await leaf(i) };
    },
  ],
  [
    'two CA certificates in the chain that issue each other (a loop)',
    async () => {
      const r = await root();
      const { a, l } = await issuerLoop();
      return { name: '', roots: [r], chain: [a.certA, a.certB], leaf: l };
    },
  ],
];

/** Builds a case by its position in CORPUS. */
export async function buildCase(index: number): Promise<CorpusCase> {
  const [name, build] = CORPUS[index]!;
  return { ...(await build()), name };
}

/** The certificate's private key as PKCS#8 PEM. */
export async function keyPem(cert: Cert): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', cert.keys.privateKey));
  return `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/**
 * What the OMS rules (as the reference applies them) say of the leaf's usage,
 * read with @peculiar/x509: KeyUsage digitalSignature, or else EKU codeSigning;
 * with neither extension it passes (with a warning).
 */
export function leafMaySign(cert: Cert): boolean {
  const parsed = new x509.X509Certificate(cert.der);
  const ku = parsed.getExtension(x509.KeyUsagesExtension);
  const eku = parsed.getExtension(x509.ExtendedKeyUsageExtension);
  if (!ku && !eku) return true;
  return Boolean(ku && ku.usages & KU.digitalSignature) || Boolean(eku?.usages.includes(CODE_SIGNING));
}
