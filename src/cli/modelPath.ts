// MODEL_PATH (and provenance verify's --model-path) may name a Hugging Face cache repository: its folder
// (models--ORG--NAME) or, when no such path exists, its id (ORG/NAME) in the hub cache. --revision picks the snapshot.
import { resolveModelPath } from '../core/huggingface/cacheLayout';
import type { OptionSpecs, Parsed } from './args';

export const REVISION: OptionSpecs = {
  revision: {
    kind: 'string',
    metavar: 'REV',
    help: 'For a Hugging Face cache repository (models--ORG--NAME, or ORG/NAME looked up in the cache): a branch, tag or commit (default: main).',
  },
};

/** The folder or file to hash: the argument as given, or the cached snapshot it names. */
export function modelPathOf(arg: string, p: Parsed): string {
  return resolveModelPath(arg, { revision: p.strings.revision }).path;
}
