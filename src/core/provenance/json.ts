// Reading untrusted JSON without trusting its shape: a missing or mistyped field
// reads as empty, so the normalisers can say "absent" rather than throw.

import { JsonObject, isJsonObject as isObject } from '../io/parseJson';

export { isObject };
export type { JsonObject };

/** The object, or `{}` when it is not one. */
export function obj(v: unknown): JsonObject {
  return isObject(v) ? v : {};
}

/** The array, or `[]` when it is not one. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** A non-empty string (a number as its text), or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}
