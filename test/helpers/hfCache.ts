// A Hugging Face Hub cache built as huggingface_hub's file_download.py writes one, written out here
// step by step (not with src/core/huggingface, whose reading of the layout the tests check):
//   blobs/<etag>: the sha256 of an LFS file's content, the git blob sha1 of a small file's;
//   snapshots/<commit>/<name>: a link relative to its own folder (os.path.relpath), ../../blobs/<etag>;
//   refs/<branch>: the commit, no newline (_cache_commit_hash_for_specific_revision);
//   .no_exist/<commit>/<name>: an empty file for a file asked for and absent from that commit.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Files stored with Git LFS on the Hub (the .gitattributes of a new Hub repository names these, among others). */
const LFS = /\.(safetensors|bin|gguf|onnx|pt|pth|h5|msgpack|ckpt|pkl|npz|tflite)$/;

export interface HfRevision {
  /** Name → content. */
  files: Record<string, string | Buffer>;
  /** 40 hex digits; derived from the files when not given. */
  commit?: string;
  /** Branches and tags that point at this commit (`main`, `v1.0`, `refs/pr/1`). */
  refs?: readonly string[];
  /** Files asked for and known to be absent from this commit. */
  noExist?: readonly string[];
}

export interface HfCacheRepo {
  /** The hub cache folder (what HF_HUB_CACHE names). */
  cacheDir: string;
  /** `<cacheDir>/models--ORG--NAME`. */
  folder: string;
  /** `<folder>/snapshots/<commit>` of the revision last added. */
  snapshot: string;
  commit: string;
}

/** The etag huggingface_hub names a blob by: sha256 for an LFS file, else git's blob sha1 ("blob <size>\0" + content). */
export function blobName(name: string, content: Buffer): string {
  if (LFS.test(name)) return crypto.createHash('sha256').update(content).digest('hex');
  return crypto.createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/**
 * Adds a revision of a repository to the hub cache `cacheDir` (created if need be), as `hf download ORG/NAME`
 * leaves it: a blob per distinct content, a snapshot of relative links, refs, .no_exist. No test runner here:
 * the integration suite builds its caches with it too.
 */
export function addHfRevision(cacheDir: string, repoId: string, revision: HfRevision, type = 'models'): HfCacheRepo {
  const folder = path.join(cacheDir, [type, ...repoId.split('/')].join('--'));
  const commit =
    revision.commit ??
    crypto
      .createHash('sha1')
      .update(JSON.stringify(Object.entries(revision.files)))
      .digest('hex');
  const snapshot = path.join(folder, 'snapshots', commit);
  for (const [name, text] of Object.entries(revision.files)) {
    const content = Buffer.from(text);
    const blob = path.join(folder, 'blobs', blobName(name, content));
    fs.mkdirSync(path.dirname(blob), { recursive: true });
    if (!fs.existsSync(blob)) fs.writeFileSync(blob, content);
    const link = path.join(snapshot, ...name.split('/'));
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.relative(path.dirname(link), blob), link);
  }
  for (const ref of revision.refs ?? []) {
    const file = path.join(folder, 'refs', ...ref.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, commit);
  }
  for (const name of revision.noExist ?? []) {
    const file = path.join(folder, '.no_exist', commit, ...name.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '');
  }
  return { cacheDir, folder, snapshot, commit };
}

/** A small model as the Hub serves one: config, tokenizer, LFS weights in a subfolder too; on `main`, with a .no_exist entry. */
export const HF_MODEL_FILES: Record<string, string> = {
  'config.json': '{"model_type": "tiny"}\n',
  'tokenizer.json': '{"version": "1.0"}\n',
  'model.safetensors': 'safetensors weights',
  // The same content under two names: one blob, two links.
  'text_encoder/model.safetensors': 'safetensors weights',
  'README.md': '# tiny-llm\n',
};

export function hfCachedModel(cacheDir: string, repoId = 'acme/tiny-llm'): HfCacheRepo {
  return addHfRevision(cacheDir, repoId, { files: HF_MODEL_FILES, refs: ['main'], noExist: ['generation_config.json'] });
}

/** Every path under a folder with what it is (a link's text, a file's sha256, `/` for a folder): the cache must stay as it was. */
export function cacheTree(folder: string): string[] {
  return fs
    .readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((rel) => {
      const p = path.join(folder, rel);
      const st = fs.lstatSync(p);
      const what = st.isSymbolicLink() ? fs.readlinkSync(p) : st.isFile() ? crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex') : '/';
      return `${rel} ${what}`;
    });
}
