import type { PolicyEntry } from '../policy/policyFile';
import type { Bundle } from '../signing/bundle';
import type { Signer } from '../signing/signer';
import type { PinMaterial, SignerInfo, Verifier } from '../verifying/verifier';

/**
 * What an input is, which says how a shell collects it and how readMethodInputs reads it: a PEM key or
 * certificate file, several PEM certificate files, a secret (never asked in a dialog), a line of text.
 */
export type InputKind = 'privateKey' | 'publicKey' | 'certificate' | 'certificates' | 'secret' | 'text';

/**
 * One input a method needs from the user. The CLI makes a flag of it and the
 * extension a prompt, so a new method declares its inputs once, here.
 */
export interface MethodInput {
  /** Its key in what the method's signer or verifier is made from, and the extension's argument (`privateKey`). */
  name: string;
  /** The CLI's flag (`private-key`; the reference's `--private_key` too, as args.ts reads `_` as `-`). */
  flag: string;
  kind: InputKind;
  /** Optional inputs may be left out (and a prompt cancelled). */
  required: boolean;
  /** The CLI's help line. */
  help: string;
  /** The CLI's placeholder. */
  metavar: string;
  /** A file input's name in errors ("Cannot read the private key '…'"). */
  what?: string;
  /** The extension's prompt; inputs without one are asked some other way (settings, secret storage). */
  prompt?: string;
}

/** What Pin Signer writes: the signer exactly, or (a CI workflow's keyless signature) the workflow at any ref. */
export type PinScope = 'signer' | 'workflow';

/** What a policy entry says of a signer: accepted or not, in one sentence for the user. */
export interface PolicyEvaluation {
  ok: boolean;
  reason: string;
}

/** How a method words the policy's verdict (the entry's name and source are the same for every method). */
export interface PolicyVerdicts {
  pass: (who: string) => PolicyEvaluation;
  fail: (who: string, accepts: string) => PolicyEvaluation;
  /** What the entry accepts, for a signer of a method it names nothing for. */
  accepted: string;
}

/**
 * A signing method, as the reference's `Config.use_*_signer` with one module
 * per method: everything the core, the CLI and the extension need to know of
 * it. `S` and `V` are what its signer and verifier are made from.
 */
export interface SigningMethod<Id extends string = string, Info extends SignerInfo = SignerInfo, S = never, V = never> {
  id: Id;
  /** For a picker: "Private key". */
  label: string;
  /** For a picker, beside the label. */
  description: string;
  /** One sentence per command, for `--help`. */
  help: { sign: string; verify: string };
  /** What the signer and the verifier need, in the order a shell asks for them. */
  inputs: { sign: readonly MethodInput[]; verify: readonly MethodInput[] };
  /** Whether a bundle was made with this method, from its verification material. */
  madeBundle(bundle: Bundle): boolean;
  makeSigner(inputs: S): Promise<Signer>;
  makeVerifier(inputs: V): Promise<Verifier>;
  /** One line naming the signer. */
  describeSigner(signer: Info): string;
  /** What the entry accepts of this method ("keys"), for a signer of another; undefined if it names none. */
  policyAccepts(entry: PolicyEntry): string | undefined;
  /** Whether a policy entry accepts the signer (read files it names may throw POLICY_* errors). */
  evaluatePolicy(entry: PolicyEntry, signer: Info, verdicts: PolicyVerdicts): PolicyEvaluation;
  /** What a policy entry gives the verifier of a bundle, so that nothing is asked; undefined if it names none. */
  policyInputs?(entry: PolicyEntry, bundle: Bundle): V | undefined;
  /** Adds the signer to a policy entry as written in JSON; false if it was there already. */
  pin(raw: Record<string, unknown>, signer: Info, material?: PinMaterial, scope?: PinScope): boolean;
}

/** The list under `key` of a raw policy entry, made if missing. */
export function rawList<T>(raw: Record<string, unknown>, key: string): T[] {
  if (raw[key] === undefined) raw[key] = [];
  return raw[key] as T[];
}
