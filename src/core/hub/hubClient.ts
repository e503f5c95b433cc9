// The part of the Hub's API this tool uses, read from huggingface_hub (hf_api.py model_info and
// list_repo_tree, file_download.py) and checked against the Hub's API documentation.
import { ModelSigningError } from '../errors';
import { isJsonObject, parseJson } from '../io/parseJson';
import { HubResponse, hubRequest, readBody } from './hubHttp';
import { HubRepoRef, hasControlCharacter } from './hubRepo';
import { HubSettings } from './hubSettings';

/** A file of a revision as the tree listing gives it. */
export interface HubFile {
  /** POSIX path in the repository. */
  path: string;
  size: number;
  /** The git blob id (SHA-1 of git's blob header and content; for a storage-backed file, of its pointer). */
  gitOid: string;
  /** Set for files kept in LFS or Xet storage: the sha256 of their content, and its size. */
  lfs?: { sha256: string; size: number };
}

/** A listing page larger than this is refused: ~100,000 files. */
const MAX_PAGE_BYTES = 32 << 20;
/** A repository with more files than this is refused before it is compared. */
const MAX_FILES = 1_000_000;

export class HubClient {
  constructor(readonly settings: HubSettings) {}

  private get origin(): string {
    return new URL(this.settings.endpoint).origin;
  }

  /** The commit a branch, tag or commit names now: every later request names that commit, so a moving branch cannot mix revisions. */
  async resolveCommit(ref: HubRepoRef, signal?: AbortSignal): Promise<string> {
    const what = `revision '${ref.revision}' of ${ref.id}`;
    const res = await this.get(`/api/models/${ref.id}/revision/${encodeURIComponent(ref.revision)}`, what, signal);
    const info = this.json(await readBody(res, MAX_PAGE_BYTES, what, signal), what);
    const sha = isJsonObject(info) ? info.sha : undefined;
    if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) throw invalid(what, 'no commit id (`sha`)');
    return sha;
  }

  /** Every file of a commit (the recursive tree listing, page after page as its `Link: <…>; rel="next"` says). */
  async listFiles(repoId: string, commit: string, signal?: AbortSignal): Promise<HubFile[]> {
    const what = `the file listing of ${repoId}@${commit}`;
    const files: HubFile[] = [];
    let next: URL | undefined = this.url(`/api/models/${repoId}/tree/${commit}?recursive=true&expand=false`);
    while (next) {
      const res = await hubRequest(next, this.request(what, signal));
      const page = this.json(await readBody(res, MAX_PAGE_BYTES, what, signal), what);
      if (!Array.isArray(page)) throw invalid(what, 'not a list');
      for (const entry of page) {
        const file = toHubFile(entry, what);
        if (file) files.push(file);
      }
      if (files.length > MAX_FILES) throw invalid(what, `more than ${MAX_FILES} files`);
      next = nextPage(res, this.origin, what);
    }
    return files;
  }

  /** A file's content at a commit, following the Hub's redirect to its storage; from byte `start` on when given. */
  openFile(repoId: string, commit: string, file: string, options: { start?: number; signal?: AbortSignal } = {}): Promise<HubResponse> {
    const what = `${repoId}/${file}`;
    const url = this.url(`/${repoId}/resolve/${commit}/${file.split('/').map(encodeURIComponent).join('/')}`);
    return hubRequest(url, { ...this.request(what, options.signal), range: { start: options.start ?? 0 } });
  }

  /** A whole small file, refused past `maxBytes`. */
  async readFile(repoId: string, commit: string, file: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
    return readBody(await this.openFile(repoId, commit, file, { signal }), maxBytes, `${repoId}/${file}`, signal);
  }

  private get(pathAndQuery: string, what: string, signal?: AbortSignal): Promise<HubResponse> {
    return hubRequest(this.url(pathAndQuery), this.request(what, signal));
  }

  private url(pathAndQuery: string): URL {
    return new URL(this.settings.endpoint + pathAndQuery);
  }

  private request(what: string, signal?: AbortSignal) {
    return { token: this.settings.token, tokenOrigin: this.origin, what, signal };
  }

  private json(body: Buffer, what: string): unknown {
    return parseJson(body.toString('utf8'), (why) => invalid(what, why));
  }
}

function invalid(what: string, why: string): ModelSigningError {
  return new ModelSigningError('HUB_RESPONSE_INVALID', `The Hub's answer for ${what} is not usable: ${why}`, { what, why });
}

/** A listing entry as a file; folders give undefined. Paths are checked: they become file names on download. */
function toHubFile(entry: unknown, what: string): HubFile | undefined {
  if (!isJsonObject(entry) || typeof entry.path !== 'string') throw invalid(what, 'an entry without a path');
  if (entry.type === 'directory') return undefined;
  const { path, size, oid, lfs } = entry;
  if (entry.type !== 'file' || !isSafeRepoPath(path) || !isSize(size) || typeof oid !== 'string') throw invalid(what, `a bad entry for '${path}'`);
  if (lfs === undefined || lfs === null) return { path, size, gitOid: oid };
  if (!isJsonObject(lfs) || typeof lfs.oid !== 'string' || !/^[0-9a-f]{64}$/.test(lfs.oid) || !isSize(lfs.size) || lfs.size !== size) {
    throw invalid(what, `bad storage metadata for '${path}'`);
  }
  return { path, size, gitOid: oid, lfs: { sha256: lfs.oid, size: lfs.size } };
}

function isSize(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** A relative POSIX path with no empty, `.` or `..` part, no backslash and no control character. */
export function isSafeRepoPath(p: string): boolean {
  return p !== '' && !p.includes('\\') && !hasControlCharacter(p) && p.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** The `rel="next"` URL of a Link header; only on the Hub's own origin, which gets the token. */
function nextPage(res: HubResponse, origin: string, what: string): URL | undefined {
  const header = res.headers.link;
  const link = Array.isArray(header) ? header.join(', ') : header;
  if (!link) return undefined;
  const m = /<([^>]*)>\s*;\s*rel="?next"?/.exec(link);
  if (!m) return undefined;
  const next = new URL(m[1]!, res.url);
  if (next.origin !== origin) throw invalid(what, `a next page on another host (${next.origin})`);
  return next;
}
