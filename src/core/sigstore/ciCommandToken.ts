// A CI system's identity token printed by its own command-line tool
// (`buildkite-agent oidc request-token`, `circleci run oidc get`), found on the
// PATH as the `id` package finds it. The token is read from stdout and never
// reaches a message: a failure quotes only the tool's last line, with anything
// shaped like a JWT cut out.
import { type ExecFileException, execFile } from 'node:child_process';
import { cancelledError } from '../abort';
import { ModelSigningError, errnoCode } from '../errors';
import { looksLikeJwt, quotableLine } from './identityToken';

/** How long a CI tool may take to hand out a token (it asks its own service over the network). */
const COMMAND_TIMEOUT_MS = 60_000;
/** More than any token: a tool that prints this much is not printing a token. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

export interface CiCommand {
  /** The CI system, first in every message: "Buildkite". */
  system: string;
  /** Its id in an error's `data.sources`. */
  source: string;
  file: string;
  /** Its words that say what it does, shown in messages: `oidc request-token`. */
  subcommand: string[];
  /** The rest, not shown. */
  args: string[];
}

/** Runs the tool with `env` (whose PATH finds it) and returns what it printed, trimmed. */
export function runTokenCommand(command: CiCommand, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string> {
  const shown = `\`${[command.file, ...command.subcommand].join(' ')}\``;
  const fail = (why: string, data: Record<string, unknown> = {}) =>
    new ModelSigningError('IDENTITY_TOKEN_UNAVAILABLE', `${command.system}: ${why}`, { sources: [command.source], ...data });
  return new Promise((resolve, reject) => {
    execFile(
      command.file,
      [...command.subcommand, ...command.args],
      { env, signal, timeout: COMMAND_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES, windowsHide: true, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (signal?.aborted) return reject(cancelledError());
        if (error) {
          const e: ExecFileException = error;
          if (errnoCode(e) === 'ENOENT') return reject(fail(`${command.file} is not on the PATH, so no identity token can be had`, { reason: 'not-found' }));
          if (e.killed) return reject(fail(`${shown} did not finish within ${COMMAND_TIMEOUT_MS / 1000} s`, { reason: 'timeout' }));
          if (errnoCode(e) === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return reject(fail(`${shown} printed more than an identity token`, { reason: 'garbage' }));
          const said = lastLine(stderr) ?? lastLine(stdout);
          const exit = typeof e.code === 'number' ? `exit code ${e.code}` : e.signal ? `killed by ${e.signal}` : 'no exit code';
          return reject(fail(`${shown} failed (${exit})${said ? `: ${said}` : ''}`, { reason: 'failed', exitCode: e.code }));
        }
        const token = stdout.trim();
        if (!looksLikeJwt(token)) {
          return reject(fail(`${shown} printed no identity token (expected a JWT on its standard output)`, { reason: 'garbage' }));
        }
        resolve(token);
      },
    );
  });
}

/** The tool's last words. */
function lastLine(text: string): string | undefined {
  const line = text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .pop();
  return line === undefined ? undefined : quotableLine(line);
}
