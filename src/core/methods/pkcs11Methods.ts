import { Pkcs11CertificateSigner, Pkcs11KeySigner, Pkcs11SignerOptions } from '../pkcs11/pkcs11Signer';
import { parsePkcs11Uri } from '../pkcs11/pkcs11Uri';
import type { Signer } from '../signing/signer';
import { CERTIFICATE_METHOD } from './certificateMethod';
import { InputValues, readMethodInputs } from './methodInputs';
import type { MethodInput } from './signingMethod';

/**
 * The reference's `sign pkcs11-key` and `sign pkcs11-certificate` (`use_pkcs11_signer`, since its 1.1.0):
 * the key and certificate methods with the private key on a token. They only sign: what they write is an
 * ordinary key or certificate bundle, which the `key` and `certificate` methods verify.
 */
export interface Pkcs11Method {
  id: 'pkcs11-key' | 'pkcs11-certificate';
  /** The method that verifies what this one signs. */
  verifiedBy: 'key' | 'certificate';
  help: string;
  inputs: readonly MethodInput[];
  /** The signer, from what a shell collected for `inputs`; opening the token asks `askPin` when the URI gives no PIN. */
  makeSigner(values: InputValues, askPin?: Pkcs11SignerOptions['askPin']): Promise<Signer>;
}

const PKCS11_URI_INPUT: MethodInput = {
  name: 'pkcs11Uri',
  flag: 'pkcs11-uri',
  kind: 'text',
  required: true,
  metavar: 'PKCS11_URI',
  help: 'PKCS #11 URI of the private key (RFC 7512: token, object or id, module-path or module-name, pin-value or pin-source).',
};

/** The certificate method's certificate inputs: the token holds the key. */
const CERTIFICATE_INPUTS = CERTIFICATE_METHOD.inputs.sign.filter((i) => i.kind === 'certificate' || i.kind === 'certificates');

export const PKCS11_METHODS: readonly Pkcs11Method[] = [
  {
    id: 'pkcs11-key',
    verifiedBy: 'key',
    help: 'Sign a model with an elliptic-curve private key on a PKCS #11 token (verify it with `verify key`).',
    inputs: [PKCS11_URI_INPUT],
    makeSigner: (values, askPin) => Pkcs11KeySigner.open({ uri: parsePkcs11Uri(uriValue(values)), askPin }),
  },
  {
    id: 'pkcs11-certificate',
    verifiedBy: 'certificate',
    help: 'Sign a model with a private key on a PKCS #11 token and its X.509 certificate chain (verify it with `verify certificate`).',
    inputs: [PKCS11_URI_INPUT, ...CERTIFICATE_INPUTS],
    async makeSigner(values, askPin) {
      const uri = parsePkcs11Uri(uriValue(values));
      const read = readMethodInputs(CERTIFICATE_INPUTS, values) as { signingCertificate: Buffer; certificateChain?: Buffer[] };
      return Pkcs11CertificateSigner.openWithCertificate({ uri, askPin }, read.signingCertificate, read.certificateChain ?? []);
    },
  },
];

export type Pkcs11MethodId = Pkcs11Method['id'];

export function isPkcs11MethodId(value: unknown): value is Pkcs11MethodId {
  return PKCS11_METHODS.some((m) => m.id === value);
}

export function pkcs11Method(id: Pkcs11MethodId): Pkcs11Method {
  return PKCS11_METHODS.find((m) => m.id === id)!;
}

function uriValue(values: InputValues): string {
  return [values.pkcs11Uri].flat()[0] ?? '';
}
