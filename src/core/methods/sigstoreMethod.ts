import type { SigstoreSignerOptions } from '../sigstore/sigstoreSigner';
import type { SigstoreVerifierOptions } from '../sigstore/sigstoreVerifier';
import type { SignerInfo } from '../verifying/verifier';
import { ModelSigningError } from '../errors';
import { SigstoreIdentityRule, describeRule, signerMatches, workflowRuleOf } from '../policy/signerRule';
import { SigningMethod, rawList } from './signingMethod';
import { SignerRuleVerifier, innerOptions } from './signerRuleVerifier';
import { settle } from '../abort';

type SigstoreSignerInfo = Extract<SignerInfo, { method: 'sigstore' }>;

/** Keyless: a short-lived Fulcio certificate for an OIDC identity, logged in Rekor (the reference's `use_sigstore_signer`). */
/** Exact `identity` and `issuer`, any identity, or a `rule` (which then decides alone). */
type SigstoreVerifyInputs = SigstoreVerifierOptions | { trustConfig: SigstoreVerifierOptions['trustConfig']; rule: SigstoreIdentityRule };

export const SIGSTORE_METHOD: SigningMethod<'sigstore', SigstoreSignerInfo, SigstoreSignerOptions, SigstoreVerifyInputs> = {
  id: 'sigstore',
  label: 'Sigstore (keyless)',
  description: 'a short-lived certificate for your identity, logged in Rekor',
  help: {
    sign: 'Sign a model keylessly with Sigstore: a short-lived certificate for your identity, logged in Rekor.',
    verify: 'Verify a model signed keylessly with Sigstore, for an exact identity and issuer.',
  },
  inputs: {
    // The identity comes from a login, a CI token or the editor's account: each shell asks its own way.
    sign: [],
    verify: [
      {
        name: 'identity',
        flag: 'identity',
        kind: 'text',
        required: false,
        metavar: 'TEXT',
        help: 'The expected identity of the signer (email or workload URI), compared exactly; or describe the signer with the claims below.',
      },
      {
        name: 'issuer',
        flag: 'identity-provider',
        kind: 'text',
        required: true,
        metavar: 'URL',
        help: 'The expected OIDC issuer of that identity, compared exactly.',
      },
    ],
  },
  // A Fulcio certificate, or an older bundle's chain with its log entries.
  madeBundle: ({ verificationMaterial: vm }) => !vm.publicKey && (Boolean(vm.certificate) || (vm.tlogEntries?.length ?? 0) > 0),
  makeSigner: (options) => settle(() => sigstoreStack().makeSigstoreSigner(options)),
  makeVerifier: (options) =>
    settle(() =>
      'rule' in options
        ? new SignerRuleVerifier(sigstoreStack().makeSigstoreVerifier(innerOptions(options.rule, options.trustConfig)), options.rule)
        : sigstoreStack().makeSigstoreVerifier(options),
    ),
  describeSigner: (signer) => signer.identity,
  policyAccepts: (entry) => (entry.sigstore.length ? 'Sigstore identities' : undefined),
  evaluatePolicy(entry, signer, { pass, fail, accepted }) {
    const who = `${signer.identity} (issuer ${signer.issuer})`;
    if (entry.sigstore.some((r) => signerMatches(r, signer))) return pass(who);
    return fail(who, entry.sigstore.length > 0 ? entry.sigstore.map(describeRule).join(', ') : accepted);
  },
  pin(raw, signer, _material, scope) {
    const l = rawList<Record<string, unknown>>(raw, 'sigstore');
    const workflow = scope === 'workflow' ? workflowRuleOf(signer) : undefined;
    if (scope === 'workflow' && !workflow) throw new ModelSigningError('INVALID_OPTION', `${signer.identity} is not a GitHub Actions workflow`, {});
    const rule: Record<string, string> = workflow ? { ...workflow } : { identity: signer.identity, issuer: signer.issuer };
    const same = (r: Record<string, unknown>) => Object.keys(r).length === Object.keys(rule).length && Object.entries(rule).every(([k, v]) => r[k] === v);
    if (l.some(same)) return false;
    l.push(rule);
    return true;
  },
};

/** A plain require, so that the CLI's build can point it at dist/sigstore.js instead of bundling the stack. */
function sigstoreStack(): typeof import('./sigstoreStack') {
  return require('./sigstoreStack') as typeof import('./sigstoreStack');
}
