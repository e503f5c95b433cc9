// `model-signing provenance verify|show`, in a bundle of its own (dist/provenance.js):
// it needs the Sigstore stack, which dist/cli.js loads only for the commands that use it.
// Usage errors are handled here (exit 2): this bundle has its own copy of args.ts,
// so main.ts's `instanceof UsageError` would not see them.
import { ownText } from '../core/display';
import { UsageError, usage } from './args';
import { showCommand, showHelp } from './provenanceShow';
import { verifyCommand, verifyHelp } from './provenanceVerify';
import { out } from './terminal';

const GROUP_HELP = `Usage: model-signing provenance COMMAND [ARGS]...

  Read and verify SLSA provenance for a model.

Commands:
  verify  Verify provenance: signature, builder and source policy, subjects against the model.
  show    Show what a provenance file says (not verified).
`;

/** Runs `provenance …` and returns the exit code: 0 ok, 1 failed or bad input, 2 usage error. */
export async function provenanceCommand(argv: string[]): Promise<number> {
  const sub = argv[0];
  try {
    if (sub === 'verify') return await verifyCommand(argv.slice(1));
    if (sub === 'show') return await showCommand(argv.slice(1));
    if (sub === '-h' || sub === '--help') {
      out(ownText(GROUP_HELP));
      return 0;
    }
    return usage(GROUP_HELP, sub === undefined ? 'Missing command.' : `No such command '${sub}'.`, 'model-signing provenance');
  } catch (e) {
    if (e instanceof UsageError)
      return usage(sub === 'verify' ? verifyHelp() : sub === 'show' ? showHelp() : GROUP_HELP, e.message, 'model-signing provenance');
    throw e;
  }
}
