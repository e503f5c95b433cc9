import type { Bundle } from '../signing/bundle';
import type { SignerInfo } from '../verifying/verifier';
import { CERTIFICATE_METHOD } from './certificateMethod';
import { KEY_METHOD } from './keyMethod';
import { SIGSTORE_METHOD } from './sigstoreMethod';
import type { SigningMethod } from './signingMethod';

// Every signing method, once. A new method is a module beside these and a line here.

/** In the order pickers and help list them; the reference's default first. */
export const SIGNING_METHODS = [SIGSTORE_METHOD, KEY_METHOD, CERTIFICATE_METHOD] as const;

export type MethodId = (typeof SIGNING_METHODS)[number]['id'];

export const METHOD_IDS: readonly MethodId[] = SIGNING_METHODS.map((m) => m.id);

export function isMethodId(value: unknown): value is MethodId {
  return (METHOD_IDS as readonly unknown[]).includes(value);
}

/** The method's descriptor, typed by its id. */
export function signingMethod<Id extends MethodId>(id: Id): Extract<(typeof SIGNING_METHODS)[number], { id: Id }> {
  return SIGNING_METHODS.find((m) => m.id === id) as Extract<(typeof SIGNING_METHODS)[number], { id: Id }>;
}

/** The method that made a signer known to a verifier, without narrowing at every call. */
export function methodOfSigner(signer: SignerInfo): SigningMethod<MethodId, SignerInfo, never, never> {
  return signingMethod(signer.method) as unknown as SigningMethod<MethodId, SignerInfo, never, never>;
}

/** Which method made a bundle, read from its verification material. */
export function bundleKind(bundle: Bundle): MethodId {
  return SIGNING_METHODS.find((m) => m.madeBundle(bundle))!.id;
}

/** One line naming the signer. */
export function describeSigner(signer: SignerInfo): string {
  return methodOfSigner(signer).describeSigner(signer);
}
