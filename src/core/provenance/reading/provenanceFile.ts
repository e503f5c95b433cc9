// Reading a provenance file: its text, as one JSON value or JSON lines, each
// value read by the reader of its form (forms/registry.ts). The form is found
// from the content, never the file name (`.intoto.jsonl` files hold Sigstore
// bundles too); a file no reader accepts is not provenance.
import { throwIfAborted } from '../../abort';
import { parseJson } from '../../io/parseJson';
import { readInputFile } from '../../io/readInputFile';
import { isObject } from '../json';
import { ProvenanceDocument } from '../types';
import { invalidProvenance as invalid } from './envelope';
import { PROVENANCE_READERS } from './forms/registry';

export { decodeBase64 } from './envelope';

/** Provenance files larger than this are refused before they are read. */
export const MAX_PROVENANCE_BYTES = 64 << 20;
/** At most this many signed statements in one file. */
export const MAX_PROVENANCE_DOCUMENTS = 10_000;

export interface ReadProvenanceOptions {
  signal?: AbortSignal;
}

/**
 * Every signed statement in a provenance file, in file order. Throws
 * PROVENANCE_UNREADABLE when the file cannot be read and PROVENANCE_INVALID
 * (a FormatError) for anything that is not provenance in a known form.
 */
export async function readProvenanceFile(file: string, options: ReadProvenanceOptions = {}): Promise<ProvenanceDocument[]> {
  throwIfAborted(options.signal);
  const text = await readText(file);
  throwIfAborted(options.signal);
  return parseProvenanceText(text, file, options);
}

/** The same as readProvenanceFile, for text already in memory; `file` names it in the documents and errors. */
export function parseProvenanceText(text: string, file: string, options: ReadProvenanceOptions = {}): ProvenanceDocument[] {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') throw invalid(file, 'the file is empty');
  const docs: ProvenanceDocument[] = [];
  const whole = tryJson(body, file);
  if (whole.ok) {
    collect(whole.value, file, file, docs);
  } else {
    // JSON lines: one bundle or envelope per line.
    const lines = body.split(/\r?\n/);
    let seen = 0;
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.trim() === '') continue;
      throwIfAborted(options.signal);
      const where = `${file}, line ${i + 1}`;
      const line = tryJson(lines[i]!, where);
      if (!line.ok)
        throw invalid(where, seen === 0 && lines.filter((l) => l.trim()).length === 1 ? 'not JSON' : 'not JSON (expected one JSON object per line)');
      collect(line.value, file, where, docs);
      seen++;
    }
  }
  if (docs.length === 0) throw invalid(file, 'no signed statement found');
  return docs;
}

function collect(value: unknown, file: string, where: string, docs: ProvenanceDocument[], inList = false): void {
  if (docs.length >= MAX_PROVENANCE_DOCUMENTS) throw invalid(where, `more than ${MAX_PROVENANCE_DOCUMENTS} statements`);
  if (Array.isArray(value)) {
    // One level only: no form nests lists, and unbounded recursion would overflow the stack.
    if (inList) throw invalid(where, 'a list inside a list');
    value.forEach((v, i) => collect(v, file, `${where}, item ${i}`, docs, true));
    return;
  }
  if (!isObject(value)) throw invalid(where, 'not a JSON object');
  const reader = PROVENANCE_READERS.find((r) => r.accepts(value));
  if (!reader) throw invalid(where, `not provenance: expected ${listOf(PROVENANCE_READERS.map((r) => r.what))}`);
  docs.push(...reader.read(value, { file, where, index: docs.length }));
}

/** 'a, b, or c'. */
function listOf(items: string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')}${items.length > 2 ? ',' : ''} or ${items.at(-1)}`;
}

async function readText(file: string): Promise<string> {
  const bytes = await readInputFile(file, {
    what: 'provenance file',
    maxBytes: MAX_PROVENANCE_BYTES,
    unreadableCode: 'PROVENANCE_UNREADABLE',
    tooLargeCode: 'PROVENANCE_INVALID',
  });
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD') && !Buffer.from(text, 'utf8').equals(bytes)) throw invalid(file, 'the file is not UTF-8 text');
  return text;
}

/** Text that is not JSON may be JSON lines; text nested too deep is refused outright. */
function tryJson(text: string, where: string): { ok: true; value: unknown } | { ok: false } {
  const notJson = new Error('not JSON');
  try {
    return { ok: true, value: parseJson(text, (why, problem) => (problem === 'not-json' ? notJson : invalid(where, `the JSON ${why}`))) };
  } catch (e) {
    if (e === notJson) return { ok: false };
    throw e;
  }
}
