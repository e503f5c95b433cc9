// Which model repository of the Hub, at which revision: `ORG/NAME[@REVISION]` or the page's URL.
import { FormatError } from '../errors';
import { DEFAULT_REVISION, isRepoId } from '../huggingface/cacheLayout';

/** A model repository and the revision asked for (a branch, tag or commit; `main` when none is given). */
export interface HubRepoRef {
  /** `ORG/NAME`, or `NAME` for the Hub's older repositories without a namespace (`gpt2`). */
  id: string;
  revision: string;
}

/**
 * Reads `ORG/NAME`, `ORG/NAME@REVISION` (the revision may hold `/`: `refs/pr/1`), or a model page URL
 * (`https://huggingface.co/ORG/NAME`, `…/tree/REVISION`); a URL's host is not checked here: the endpoint is the user's.
 */
export function parseHubRepo(text: string): HubRepoRef {
  const trimmed = text.trim();
  const url = /^https?:\/\/[^/]+\/(.*)$/.exec(trimmed);
  let id: string;
  let revision: string | undefined;
  if (url) {
    const parts = url[1]!
      .split(/[?#]/)[0]!
      .split('/')
      .filter((p) => p !== '');
    const tree = parts.findIndex((p) => p === 'tree' || p === 'blob' || p === 'resolve');
    id = (tree >= 0 ? parts.slice(0, tree) : parts).join('/');
    if (tree >= 0) revision = parts.slice(tree + 1).join('/') || undefined;
    if (revision !== undefined) revision = decodeURIComponentOr(revision);
  } else {
    const at = trimmed.indexOf('@');
    id = at >= 0 ? trimmed.slice(0, at) : trimmed;
    revision = at >= 0 ? trimmed.slice(at + 1) : undefined;
  }
  if (!isRepoId(id) || id.endsWith('.git')) {
    throw new FormatError('INVALID_OPTION', `'${text}' is not a Hugging Face model: give ORG/NAME, ORG/NAME@REVISION or the model's URL`, { repo: text });
  }
  if (revision !== undefined && (revision === '' || hasControlCharacter(revision))) {
    throw new FormatError('INVALID_OPTION', `'${text}' names no usable revision after '@'`, { repo: text });
  }
  return { id, revision: revision ?? DEFAULT_REVISION };
}

/** C0 controls and DEL: never part of a revision or a file name this tool accepts from the Hub. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function decodeURIComponentOr(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
