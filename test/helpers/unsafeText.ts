/**
 * Every character that can move the cursor, start an escape sequence or reorder the text around
 * it: C0, DEL, C1, bidi embeddings, overrides, isolates and marks, line and paragraph separators.
 * Written out here, apart from src/core/display.ts, so the tests do not take the code's word for it.
 */
export const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
