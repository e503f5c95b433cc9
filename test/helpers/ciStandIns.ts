// Stand-ins for where CI systems and clouds hand out identity tokens: a CI
// tool (`buildkite-agent`, `circleci`) as a real executable script in a folder
// put first on the PATH, and Google Cloud's metadata server over real HTTP on
// 127.0.0.1 (reached through GCE_METADATA_HOST, as in production).
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { tempDir } from './fixtures';

/** The variables by which the CLI recognises a CI system or cloud: a run inside one must not find it. */
export const AMBIENT_MARKS = [
  'GITHUB_ACTIONS',
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'SIGSTORE_ID_TOKEN',
  'GOOGLE_SERVICE_ACCOUNT_NAME',
  'GCE_METADATA_HOST',
  'BUILDKITE',
  'GITLAB_CI',
  'CIRCLECI',
] as const;

/** This process's environment with none of the marks but `vars` (an undefined value: left out, as runCli and spawn take it). */
export function ambientEnv(vars: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...process.env, ...Object.fromEntries(AMBIENT_MARKS.map((k) => [k, undefined])), ...vars };
}

export interface StubCommand {
  /** The folder to put first on the PATH. */
  dir: string;
  /** `PATH` with `dir` first. */
  path: string;
  /** What it prints on stdout and stderr, and its exit code, from now on. */
  answer(a: { stdout?: string; stderr?: string; exit?: number }): void;
  /** The arguments of its last run, or undefined if it has not run. */
  lastArgs(): string[] | undefined;
}

/** An executable `name` that records its arguments and answers as told. */
export function stubCommand(name: string): StubCommand {
  const dir = tempDir('ms-ci-');
  const file = (f: string) => path.join(dir, `.${f}`);
  fs.writeFileSync(
    path.join(dir, name),
    [
      '#!/bin/sh',
      `d='${dir}'`,
      'for a in "$@"; do printf "%s\\n" "$a"; done > "$d/.args"',
      'cat "$d/.stderr" >&2',
      'cat "$d/.stdout"',
      'exit "$(cat "$d/.exit")"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const stub: StubCommand = {
    dir,
    path: `${dir}${path.delimiter}${process.env.PATH ?? ''}`,
    answer: ({ stdout = '', stderr = '', exit = 0 }) => {
      fs.writeFileSync(file('stdout'), stdout);
      fs.writeFileSync(file('stderr'), stderr);
      fs.writeFileSync(file('exit'), String(exit));
      fs.rmSync(file('args'), { force: true });
    },
    lastArgs: () => (fs.existsSync(file('args')) ? fs.readFileSync(file('args'), 'utf8').split('\n').slice(0, -1) : undefined),
  };
  stub.answer({});
  return stub;
}

export interface MetadataServer {
  /** For GCE_METADATA_HOST: `127.0.0.1:<port>`. */
  host: string;
  /** Each identity request: its audience, format and Metadata-Flavor header. */
  requests: Array<{ path: string; audience: string | null; format: string | null; flavor: string | undefined }>;
  /** The next answers: a token (200), or a status and body. */
  answer(a: { token?: string; status?: number; body?: string }): void;
  stop(): Promise<void>;
}

/** The GCE metadata server's identity endpoint; without `Metadata-Flavor: Google` it answers 403, as the real one does. */
export async function startMetadataServer(): Promise<MetadataServer> {
  let next: { token?: string; status?: number; body?: string } = {};
  const requests: MetadataServer['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://metadata');
    const flavor = req.headers['metadata-flavor'] as string | undefined;
    requests.push({ path: url.pathname, audience: url.searchParams.get('audience'), format: url.searchParams.get('format'), flavor });
    res.setHeader('Metadata-Flavor', 'Google');
    if (flavor !== 'Google') return void res.writeHead(403).end('Missing Metadata-Flavor:Google header.');
    if (url.pathname !== '/computeMetadata/v1/instance/service-accounts/default/identity') return void res.writeHead(404).end('Not Found');
    if (next.status !== undefined) return void res.writeHead(next.status, { 'content-type': 'text/html' }).end(next.body ?? '');
    res.writeHead(200, { 'content-type': 'text/html' }).end(next.token ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    answer: (a) => (next = a),
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
