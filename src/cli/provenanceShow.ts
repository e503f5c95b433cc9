// `model-signing provenance show`: what a provenance file says, not verified.
import { jsonText, safeText } from '../core/display';
import { readProvenanceFile } from '../core/provenance/reading/provenanceFile';
import { summarizeProvenance } from '../core/provenance/reading/summary';
import type { ProvenanceDocument } from '../core/provenance/types';
import { OptionSpecs, UsageError, formatHelp, parseArgs, printHelp } from './args';
import { digestText, documentJson, fail, header, indent, signerOf, summaryLines } from './provenanceReport';
import { lines, out, outJson } from './terminal';

const SHOW_OPTIONS: OptionSpecs = {
  json: { kind: 'flag', help: 'Print the statements as JSON on stdout.' },
};

export const showHelp = () =>
  formatHelp(
    'model-signing provenance show [OPTIONS] FILE',
    'Show the statements of a provenance file: builder, source, run, subjects, signer (not verified).',
    SHOW_OPTIONS,
  );

export async function showCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, SHOW_OPTIONS);
  if (p.help) return printHelp(showHelp());
  if (p.args.length === 0) throw new UsageError("Missing argument 'FILE'.");
  if (p.args.length > 1) throw new UsageError(`Got unexpected extra argument (${p.args.slice(1).join(' ')})`);
  let docs: ProvenanceDocument[];
  try {
    docs = await readProvenanceFile(p.args[0]!);
  } catch (e) {
    return fail('Reading provenance failed with error: ', e);
  }
  const shown = docs.map((d) => ({ document: d, summary: summarizeProvenance(d.statement), signer: signerOf(d) }));
  if (p.flags.json) {
    outJson({
      statements: shown.map(({ document, summary, signer }) => ({ ...documentJson(document), summary, ...(signer ? { signer } : {}), verified: false })),
    });
    return 0;
  }
  for (const { document, summary, signer } of shown) {
    out(safeText`${header(document, docs.length)}\n`);
    out(safeText`${lines(summaryLines(summary, signer ? safeText`${signer} (not verified)` : safeText`not verified`, undefined))}\n`);
    for (const s of document.statement.subject) out(safeText`  subject:     ${s.name || '(no name)'}  ${digestText(s.digest)}\n`);
    if (summary.unknownPredicate) out(safeText`  predicate (raw):\n${indent(jsonText(document.statement.predicate, 2), 4)}\n`);
    out(safeText`\n`);
  }
  out(safeText`Not verified: use \`model-signing provenance verify\` to check the signature, builder, source and subjects.\n`);
  return 0;
}
