import type * as crypto from 'node:crypto';
import type { PolicyEntry } from '../policy/policyFile';
import { keyFileHint, policyPublicKey } from '../policy/policyReferences';
import { ModelSigningError } from '../errors';
import { sha256Hex } from '../hashing/algorithm';
import { loadPublicKey, publicKeyHint, publicKeyPem } from '../signing/keys';
import { KeySigner } from '../signing/keySigner';
import { KeyVerifier } from '../verifying/keyVerifier';
import type { SignerInfo } from '../verifying/verifier';
import { MethodInput, SigningMethod, rawList } from './signingMethod';
import { settle } from '../abort';

/** The private key and its password: the key and certificate methods both sign with one. */
export const PRIVATE_KEY_INPUTS: readonly MethodInput[] = [
  {
    name: 'privateKey',
    flag: 'private-key',
    kind: 'privateKey',
    what: 'private key',
    required: true,
    metavar: 'PATH',
    help: 'Path to the private key, as a PEM-encoded file.',
    prompt: 'Private key (PEM)',
  },
  // Asked by the extension when the key needs it, and kept in its secret storage.
  { name: 'password', flag: 'password', kind: 'secret', required: false, metavar: 'TEXT', help: 'Password for the key encryption, if any.' },
];

type KeySignerInfo = Extract<SignerInfo, { method: 'key' }>;

/** An elliptic-curve key pair: the reference's `use_elliptic_key_signer` (`_signing/sign_ec_key.py`). */
export const KEY_METHOD: SigningMethod<'key', KeySignerInfo, { privateKey: crypto.KeyObject }, { publicKey: crypto.KeyObject }> = {
  id: 'key',
  label: 'Private key',
  description: 'an EC key (P-256, P-384, P-521) in a PEM file',
  help: { sign: 'Sign a model with an elliptic-curve private key.', verify: 'Verify a model signed with a private key.' },
  inputs: {
    sign: PRIVATE_KEY_INPUTS,
    verify: [
      {
        name: 'publicKey',
        flag: 'public-key',
        kind: 'publicKey',
        what: 'public key',
        required: true,
        metavar: 'PATH',
        help: 'Path to the public key used for verification.',
        prompt: 'Public key of the signer (PEM)',
      },
    ],
  },
  madeBundle: ({ verificationMaterial: vm }) => Boolean(vm.publicKey),
  makeSigner: ({ privateKey }) => settle(() => new KeySigner(privateKey)),
  makeVerifier: ({ publicKey }) => settle(() => new KeyVerifier(publicKey)),
  describeSigner: (signer) => `key ${signer.keyHint.slice(0, 12)}…`,
  policyAccepts: (entry) => (entry.keys.length || entry.keyHints.length || entry.publicKeys.length ? 'keys' : undefined),
  evaluatePolicy(entry, signer, { pass, fail, accepted }) {
    const who = `the key ${signer.keyHint.slice(0, 16)}…`;
    if (entry.keyHints.length + entry.keys.length + entry.publicKeys.length === 0) return fail(who, accepted);
    const hint = signer.keyHint.toLowerCase();
    if (entry.keyHints.includes(hint)) return pass(who);
    if (entry.publicKeys.some((pem) => sha256Hex(pem) === hint)) return pass(`${who} (pinned in the policy)`);
    const files = entry.keys.map((k, i) => ({ file: k, hint: keyFileHint(entry, k, i) }));
    const match = files.find((f) => f.hint === hint);
    if (match) return pass(`${who} (${match.file})`);
    const hints = [...entry.keyHints, ...entry.publicKeys.map((pem) => sha256Hex(pem))];
    return fail(who, `the keys ${[...entry.keys, ...hints.map((h) => `${h.slice(0, 16)}…`)].join(', ')}`);
  },
  policyInputs(entry, bundle) {
    const publicKey = policyKeyFor(entry, bundle.verificationMaterial.publicKey?.hint);
    return publicKey && { publicKey };
  },
  // With the public key at hand, the policy holds the key itself, so the next Verify Model needs no prompt;
  // without it (a key no longer at hand), only its hint.
  pin(raw, signer, { publicKeyPem: pem } = {}) {
    const hint = signer.keyHint.toLowerCase();
    if (pem !== undefined) {
      const normal = publicKeyPem(loadPublicKey(pem));
      if (sha256Hex(normal) !== hint) throw new ModelSigningError('KEY_MISMATCH', 'The public key to pin is not the key that signed the model', { hint });
      const keys = rawList<string>(raw, 'publicKeys');
      if (keys.some((k) => typeof k === 'string' && sha256Hex(publicKeyPem(loadPublicKey(k))) === hint)) return false;
      keys.push(normal);
      return true;
    }
    const l = rawList<string>(raw, 'keyHints');
    if (l.some((h) => h.toLowerCase() === hint)) return false;
    l.push(hint);
    return true;
  },
};

/** The entry's public key whose hint the signature names (or its only key, for old bundles without a hint). */
function policyKeyFor(entry: PolicyEntry, hint: string | undefined): crypto.KeyObject | undefined {
  const keys = [...entry.keys.map((k, i) => policyPublicKey(entry, k, i)), ...entry.publicKeys.map((pem) => loadPublicKey(pem))];
  return keys.find((k) => hint && publicKeyHint(k) === hint.toLowerCase()) ?? (keys.length === 1 && !hint ? keys[0] : undefined);
}
