import { readKeyFile } from '../io/readInputFile';
import type { PolicyEntry } from '../policy/policyFile';
import type { Bundle } from '../signing/bundle';
import { parsePemCertificates } from '../signing/certificates';
import { loadPrivateKey, loadPublicKey } from '../signing/keys';
import type { Signer } from '../signing/signer';
import type { SignerInfo, Verifier } from '../verifying/verifier';
import { MethodId, signingMethod } from './registry';
import type { MethodInput, SigningMethod } from './signingMethod';

/** What a shell collected for a method's inputs, by input name: a path or a line of text, or several paths. */
export type InputValues = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * A method's inputs, read from what a shell collected: a key file becomes a key (a private one decrypted
 * with the method's secret input), a certificate file its first certificate, certificate files all of theirs
 * in order, a text stays a text. `loaded` holds inputs the shell has read its own way (the extension asks for
 * a private key's password as soon as the key is chosen); a secret is only ever the key's password.
 */
export function readMethodInputs(inputs: readonly MethodInput[], values: InputValues, loaded: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const secret = inputs.find((i) => i.kind === 'secret');
  const password = secret && [values[secret.name]].flat()[0];
  const read = (input: MethodInput): unknown => {
    const value = values[input.name];
    if (value === undefined) return undefined;
    const files = [value].flat();
    const text = (file: string) => readKeyFile(file, input.what ?? input.name);
    switch (input.kind) {
      case 'privateKey':
        return loadPrivateKey(text(files[0]!), password);
      case 'publicKey':
        return loadPublicKey(text(files[0]!));
      case 'certificate':
        return parsePemCertificates(text(files[0]!), files[0])[0];
      case 'certificates':
        return files.flatMap((f) => parsePemCertificates(text(f), f));
      case 'secret':
      case 'text':
        return files[0];
    }
  };
  return Object.fromEntries(inputs.filter((i) => i.kind !== 'secret').map((i) => [i.name, i.name in loaded ? loaded[i.name] : read(i)]));
}

/** Any method, for code that builds its signer or verifier from declared inputs without knowing which it is. */
function anyMethod(id: MethodId): SigningMethod<MethodId, SignerInfo, Record<string, unknown>, Record<string, unknown>> {
  return signingMethod(id) as unknown as SigningMethod<MethodId, SignerInfo, Record<string, unknown>, Record<string, unknown>>;
}

/** The method's signer, from what a shell collected for its declared sign inputs. */
export function signerFromInputs(id: MethodId, values: InputValues, loaded?: Readonly<Record<string, unknown>>): Promise<Signer> {
  const method = anyMethod(id);
  return method.makeSigner(readMethodInputs(method.inputs.sign, values, loaded));
}

/** The method's verifier from what a policy entry names (its keys, its roots), or undefined if it names none. */
export function verifierFromPolicy(id: MethodId, entry: PolicyEntry, bundle: Bundle): Promise<Verifier> | undefined {
  const method = anyMethod(id);
  const inputs = method.policyInputs?.(entry, bundle);
  return inputs && method.makeVerifier(inputs);
}

/** The method's verifier, from what a shell collected for its declared verify inputs. */
export function verifierFromInputs(id: MethodId, values: InputValues, loaded?: Readonly<Record<string, unknown>>): Promise<Verifier> {
  const method = anyMethod(id);
  return method.makeVerifier(readMethodInputs(method.inputs.verify, values, loaded));
}
