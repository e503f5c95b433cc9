// The in-toto Statement inside a DSSE payload, checked for the fields every
// later step reads: `_type`, `subject[]` (name + digest set), `predicateType`
// and a predicate (kept raw; summary.ts reads what it knows).
import { FormatError } from '../../errors';
import { parseJson } from '../../io/parseJson';
import { isObject } from '../json';
import { IN_TOTO_STATEMENT_V01, IN_TOTO_STATEMENT_V1, InTotoStatement, Subject } from '../types';

const STATEMENT_TYPES: readonly string[] = [IN_TOTO_STATEMENT_V01, IN_TOTO_STATEMENT_V1];

/** Parses and checks a statement; `where` names it in errors (`file.jsonl, line 3`). */
export function parseInTotoStatement(payload: Buffer, where: string): InTotoStatement {
  const json = parseJson(payload.toString('utf8'), (why) => invalid(where, `the signed payload ${why}`));
  if (!isObject(json)) throw invalid(where, 'the signed payload is not a JSON object');
  if (typeof json._type !== 'string' || !STATEMENT_TYPES.includes(json._type)) {
    throw invalid(where, `the signed payload is not an in-toto Statement (_type ${JSON.stringify(json._type)})`);
  }
  if (typeof json.predicateType !== 'string' || json.predicateType === '') throw invalid(where, 'the statement has no predicateType');
  if (!('predicate' in json) || json.predicate === null || json.predicate === undefined) throw invalid(where, 'the statement has no predicate');
  if (!Array.isArray(json.subject) || json.subject.length === 0) throw invalid(where, 'the statement has no subject');
  const subject = json.subject.map((s, i) => parseSubject(s, i, where));
  return { ...json, _type: json._type, subject, predicateType: json.predicateType, predicate: json.predicate };
}

function parseSubject(s: unknown, i: number, where: string): Subject {
  if (!isObject(s)) throw invalid(where, `subject ${i} is not an object`);
  // in-toto v1 allows a subject with only a digest; its name is then empty.
  const name = s.name === undefined ? '' : s.name;
  if (typeof name !== 'string') throw invalid(where, `subject ${i} has a name that is not a string`);
  if (!isObject(s.digest) || Object.keys(s.digest).length === 0) throw invalid(where, `subject ${i} (${JSON.stringify(name)}) has no digest`);
  const digest: Record<string, string> = {};
  for (const [alg, value] of Object.entries(s.digest)) {
    if (typeof value !== 'string') throw invalid(where, `subject ${i} (${JSON.stringify(name)}) has a ${alg} digest that is not a string`);
    digest[alg] = value;
  }
  if (digest.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(digest.sha256)) {
    throw invalid(where, `subject ${i} (${JSON.stringify(name)}) has a sha256 digest that is not 64 hex digits`);
  }
  return { name, digest };
}

function invalid(where: string, message: string): FormatError {
  return new FormatError('PROVENANCE_INVALID', `Invalid provenance (${where}): ${message}`, { where });
}
