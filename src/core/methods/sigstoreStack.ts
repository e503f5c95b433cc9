// What the keyless method needs of the Sigstore stack, loaded on first use: the
// stack is most of the CLI's code (esbuild.mjs keeps this module out of dist/cli.js).
import { SigstoreSigner, SigstoreSignerOptions } from '../sigstore/sigstoreSigner';
import { SigstoreVerifier, SigstoreVerifierOptions } from '../sigstore/sigstoreVerifier';

export const makeSigstoreSigner = (options: SigstoreSignerOptions) => new SigstoreSigner(options);
export const makeSigstoreVerifier = (options: SigstoreVerifierOptions) => new SigstoreVerifier(options);
