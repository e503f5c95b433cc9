// The seam between the file (provenanceFile.ts: reading, JSON lines, limits)
// and the forms a statement comes in (registry.ts lists them).
import type { ProvenanceDocument, ProvenanceLabel } from '../../types';

/** Where a JSON value sits: the file, how errors name the place, and the index its first statement gets. */
export interface ReadingPlace {
  file: string;
  where: string;
  index: number;
}

export interface ProvenanceReader {
  /** How the "not provenance" error names the form: 'a DSSE envelope'. */
  what: string;
  /** Whether a JSON object is in this form; the first reader of the registry that accepts it reads it. */
  accepts(value: Record<string, unknown>): boolean;
  /** Its signed statements, in order, each typed for what comes after; throws PROVENANCE_INVALID. */
  read(value: Record<string, unknown>, place: ReadingPlace): ProvenanceDocument[];
}

/** The place of a statement that is one value of the file: its line, said only when the file holds several. */
export function byLine(): ProvenanceLabel['position'] {
  return { noun: 'line', always: false };
}
