// A stand-in for the Hugging Face Hub on 127.0.0.1, over real files: the revision API, the recursive
// tree listing with LFS metadata (paginated with a Link header), and `resolve`, which serves small
// files itself and redirects storage-backed ones (302) to a second server, the "CDN", on another
// origin. Both honour Range. Faults are injected per case: other bytes than the listing claims, a
// connection cut mid-file, a gated repository (401 without the token), and a hook on every request
// (to move a branch while a download runs).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

/** The extensions the Hub's default .gitattributes sends to LFS. */
const LFS_EXTENSIONS = /\.(bin|safetensors|pt|pth|ckpt|h5|onnx|gguf|msgpack|npz|pkl|joblib|tflite|pb|model|zip|tar|gz)$/;

interface StoredFile {
  /** The real file served. */
  disk: string;
  size: number;
  sha256: string;
  gitOid: string;
  lfs: boolean;
}

interface StandInRepo {
  id: string;
  gated: boolean;
  commits: Map<string, Map<string, StoredFile>>;
  refs: Map<string, string>;
}

export interface HubStandInRequest {
  server: 'hub' | 'cdn';
  method: string;
  /** Decoded path, without the query. */
  path: string;
  range?: string;
  authorization?: string;
}

export interface HubStandIn {
  /** http://127.0.0.1:PORT: HF_ENDPOINT. */
  endpoint: string;
  /** The token that opens gated repositories. */
  token: string;
  requests: HubStandInRequest[];
  /** Listing entries per page (the Hub's Link pagination). */
  pageSize: number;
  /** Publishes a folder's files as a new commit of `repo` (created if new) and points `branch` (default main) at it; returns the commit. */
  publish(repo: string, dir: string, options?: { branch?: string; gated?: boolean; lfs?: (name: string, size: number) => boolean }): string;
  /** Points a branch or tag at a commit. */
  setRef(repo: string, ref: string, commit: string): void;
  /** The storage serves these bytes (a real file) for `repo/path` instead of what the listing says. */
  lie(repo: string, file: string, disk: string): void;
  /** The next `times` transfers (default 1) of `repo/path` from storage stop after sending `afterBytes` bytes: the connection is cut. */
  cut(repo: string, file: string, afterBytes: number, times?: number): void;
  /** Storage answers a Range request for `repo/path` with the whole file (200), as a server without Range support does. */
  ignoreRange(repo: string, file: string): void;
  /** Called on each request before it is answered; returning true means it answered it. */
  onRequest?: (r: HubStandInRequest, res: http.ServerResponse) => boolean | void;
  /** The requests for the bytes of `repo/path` (to `resolve` and to the storage): what was downloaded. */
  downloads(repoFile: string): HubStandInRequest[];
  stop(): Promise<void>;
}

export async function startHubStandIn(): Promise<HubStandIn> {
  const repos = new Map<string, StandInRepo>();
  const lies = new Map<string, string>();
  const cuts = new Map<string, { afterBytes: number; times: number }>();
  const noRange = new Set<string>();
  /** Storage keys (sha256) to what is served under them, with the repo file they stand for. */
  const blobs = new Map<string, { file: StoredFile; key: string }>();
  let commitCounter = 0;

  const standIn: HubStandIn = {
    endpoint: '',
    token: 'hf_standin_' + createHash('sha256').update(String(process.pid)).digest('hex').slice(0, 24),
    requests: [],
    pageSize: 1000,
    publish(repoId, dir, options = {}) {
      const repo = repos.get(repoId) ?? { id: repoId, gated: false, commits: new Map(), refs: new Map() };
      repos.set(repoId, repo);
      if (options.gated !== undefined) repo.gated = options.gated;
      const isLfs = options.lfs ?? ((name: string) => LFS_EXTENSIONS.test(name));
      const files = new Map<string, StoredFile>();
      for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
        if (!e.isFile()) continue;
        const disk = path.join(e.parentPath, e.name);
        const name = path.relative(dir, disk).split(path.sep).join('/');
        const size = fs.statSync(disk).size;
        const sha256 = sha256File(disk);
        const lfs = isLfs(name, size);
        const stored = lfs ? Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`) : fs.readFileSync(disk);
        const gitOid = createHash('sha1').update(`blob ${stored.length}\0`).update(stored).digest('hex');
        files.set(name, { disk, size, sha256, gitOid, lfs });
      }
      const commit = createHash('sha1').update(`${repoId}:${++commitCounter}`).digest('hex');
      repo.commits.set(commit, files);
      repo.refs.set(options.branch ?? 'main', commit);
      return commit;
    },
    setRef(repoId, ref, commit) {
      repos.get(repoId)!.refs.set(ref, commit);
    },
    lie(repoId, file, disk) {
      lies.set(`${repoId}/${file}`, disk);
    },
    cut(repoId, file, afterBytes, times = 1) {
      cuts.set(`${repoId}/${file}`, { afterBytes, times });
    },
    ignoreRange(repoId, file) {
      noRange.add(`${repoId}/${file}`);
    },
    downloads(repoFile) {
      return standIn.requests.filter((r) => r.method === 'GET' && (r.path === `/storage/${repoFile}` || resolvedFile(r.path) === repoFile));
    },
    stop: () => Promise.resolve(),
  };

  /** Logs a request; true when the test's hook answered it. */
  const record = (server: HubStandInRequest['server'], req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean => {
    const r: HubStandInRequest = {
      server,
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      range: req.headers.range,
      authorization: req.headers.authorization,
    };
    standIn.requests.push(r);
    return standIn.onRequest?.(r, res) === true;
  };

  const cdn = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // The storage is addressed by content; the file name is only for the request log.
    const [, , sha256] = url.pathname.split('/');
    if (record('cdn', req, res, new URL(`/storage/${url.searchParams.get('file') ?? ''}`, url))) return;
    const blob = blobs.get(sha256 ?? '');
    if (!blob) return send(res, 404, 'NoSuchKey', {});
    serveBytes(req, res, lies.get(blob.key) ?? blob.file.disk, {}, blob.key);
  });

  const hub = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (record('hub', req, res, url)) return;
    const authorization = req.headers.authorization;
    const api = /^\/api\/models\/(.+)\/(revision|tree)\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const resolve = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repoId = decodeURIComponent(api?.[1] ?? resolve?.[1] ?? '');
    const repo = repos.get(repoId);
    if (!repo) return send(res, 401, 'Invalid username or password.', { 'X-Error-Code': 'RepoNotFound', 'X-Error-Message': 'Repository not found' });
    if (repo.gated && authorization !== `Bearer ${standIn.token}`) {
      return send(res, 401, 'Access restricted', {
        'X-Error-Code': 'GatedRepo',
        'X-Error-Message': `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      });
    }
    const revision = decodeURIComponent(api?.[3] ?? resolve?.[2] ?? '');
    const commit = repo.refs.get(revision) ?? (repo.commits.has(revision) ? revision : undefined);
    const files = commit ? repo.commits.get(commit) : undefined;
    if (!commit || !files)
      return send(res, 404, 'Revision not found', { 'X-Error-Code': 'RevisionNotFound', 'X-Error-Message': `Invalid rev id: ${revision}` });
    if (api?.[2] === 'revision') {
      return json(res, {
        _id: commit.slice(0, 24),
        id: repo.id,
        modelId: repo.id,
        sha: commit,
        private: false,
        gated: repo.gated ? 'auto' : false,
        siblings: [...files.keys()].map((rfilename) => ({ rfilename })),
      });
    }
    if (api?.[2] === 'tree') return listTree(res, url, repo.id, revision, files);
    if (!resolve) return send(res, 404, 'Not found', {});
    const name = decodeURIComponent(resolve[3]!);
    const file = files.get(name);
    if (!file) return send(res, 404, 'Entry not found', { 'X-Error-Code': 'EntryNotFound', 'X-Error-Message': 'Entry not found' });
    const headers = { 'X-Repo-Commit': commit, ETag: `"${file.gitOid}"` };
    if (!file.lfs) return serveBytes(req, res, file.disk, headers, `${repo.id}/${name}`);
    const key = `${repo.id}/${name}`;
    blobs.set(file.sha256, { file, key });
    res.writeHead(302, {
      ...headers,
      'X-Linked-Etag': `"${file.sha256}"`,
      'X-Linked-Size': String(file.size),
      Location: `${cdnOrigin}/repos/${file.sha256}?file=${encodeURIComponent(key)}&X-Amz-Signature=standin`,
      'Content-Length': 0,
    });
    res.end();
  });

  function listTree(res: http.ServerResponse, url: URL, repoId: string, revision: string, files: Map<string, StoredFile>) {
    const folders = new Set<string>();
    for (const name of files.keys())
      name
        .split('/')
        .slice(0, -1)
        .forEach((_, i, parts) => folders.add(parts.slice(0, i + 1).join('/')));
    const entries = [
      ...[...folders].map((p) => ({ type: 'directory', oid: createHash('sha1').update(p).digest('hex'), size: 0, path: p })),
      ...[...files].map(([p, f]) => ({
        type: 'file',
        oid: f.gitOid,
        size: f.size,
        path: p,
        ...(f.lfs ? { lfs: { oid: f.sha256, size: f.size, pointerSize: 134 } } : {}),
      })),
    ].sort((a, b) => (a.path < b.path ? -1 : 1));
    const cursor = Number(url.searchParams.get('cursor') ?? 0);
    const page = entries.slice(cursor, cursor + standIn.pageSize);
    const headers: Record<string, string> = {};
    if (cursor + standIn.pageSize < entries.length) {
      headers.Link = `<${standIn.endpoint}/api/models/${repoId}/tree/${encodeURIComponent(revision)}?recursive=true&expand=false&cursor=${cursor + standIn.pageSize}>; rel="next"`;
    }
    json(res, page, headers);
  }

  /** A file's bytes, whole or from a Range; cut after a set number of bytes when asked. */
  function serveBytes(req: http.IncomingMessage, res: http.ServerResponse, disk: string, headers: Record<string, string>, key: string) {
    const size = fs.statSync(disk).size;
    const m = noRange.has(key) ? null : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const end = m && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    if (m && start >= size && size > 0) return send(res, 416, 'Range Not Satisfiable', { 'Content-Range': `bytes */${size}` });
    const status = m ? 206 : 200;
    res.writeHead(status, {
      ...headers,
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(Math.max(0, end - start + 1)),
      ...(m ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === 'HEAD' || end < start) return void res.end();
    const cut = cuts.get(key);
    if (cut !== undefined && start + cut.afterBytes <= end) {
      if (--cut.times === 0) cuts.delete(key);
      const partial = fs.createReadStream(disk, { start, end: start + cut.afterBytes - 1 });
      partial.on('end', () => res.socket?.destroy());
      partial.pipe(res, { end: false });
      return;
    }
    fs.createReadStream(disk, { start, end }).pipe(res);
  }

  const listen = (server: http.Server) =>
    new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  standIn.endpoint = `http://127.0.0.1:${await listen(hub)}`;
  const cdnOrigin = `http://127.0.0.1:${await listen(cdn)}`;
  standIn.stop = async () => {
    for (const server of [hub, cdn]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
  return standIn;
}

/** `ORG/NAME/resolve/REV/FILE` → `ORG/NAME/FILE`. */
function resolvedFile(p: string): string | undefined {
  const m = /^\/(.+?)\/resolve\/[^/]+\/(.+)$/.exec(p);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

function sha256File(file: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(8 << 20);
  const fd = fs.openSync(file, 'r');
  try {
    for (let n; (n = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0;) hash.update(buffer.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string>) {
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function json(res: http.ServerResponse, value: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(value);
  res.writeHead(200, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
