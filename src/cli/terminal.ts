// The CLI's only way to the terminal. Every write takes SafeText (src/core/display.ts), which the
// `safeText` tag builds by escaping whatever is interpolated: a file name, an identity or a
// provenance field cannot move the cursor, clear the screen or reverse the text around it.
// Only the progress line writes control sequences, and they are ours.
import { AsyncLocalStorage } from 'node:async_hooks';
import { SafeText, joinText, jsonText, safeText } from '../core/display';
import type { HashProgress } from '../core/manifest/serializer';
import { formatBytes } from '../core/units';

/** Where one stream of the CLI goes: a process stream, or a test's buffer. */
export interface TerminalStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** The CLI's two streams; `main` takes one so that a test can run it in process. */
export interface Terminal {
  readonly stdout: TerminalStream;
  readonly stderr: TerminalStream;
}

const PROCESS_TERMINAL: Terminal = { stdout: process.stdout, stderr: process.stderr };
// Per run, not a global: in-process runs may overlap, and each must get its own output.
const current = new AsyncLocalStorage<Terminal>();

/** Runs `task` with the CLI writing to `terminal`. */
export function withTerminal<T>(terminal: Terminal, task: () => T): T {
  return current.run(terminal, task);
}

/** The terminal of the run in progress: the process's streams unless `withTerminal` gave another. */
export function terminal(): Terminal {
  return current.getStore() ?? PROCESS_TERMINAL;
}

export function out(text: SafeText): void {
  terminal().stdout.write(String(text));
}

export function err(text: SafeText): void {
  terminal().stderr.write(String(text));
}

/** `--json`: exact JSON (names parse back as they are), with no raw control or bidi character. */
export function outJson(value: unknown): void {
  out(safeText`${jsonText(value, 2)}\n`);
}

/** Several lines; a value with a newline in it stays on its own line, escaped. */
export function lines(parts: readonly SafeText[]): SafeText {
  return joinText(parts, '\n');
}

/** A one-line progress display on stderr, only when stderr is a terminal and the job is long. */
export class ProgressLine {
  private readonly started = Date.now();
  private last = 0;
  private shown = false;
  /** What the bytes are going through: `hub download` says Downloading. */
  label = 'Hashing';

  constructor(private readonly stream?: TerminalStream) {}

  readonly update = (p: HashProgress): void => {
    if (!this.stream?.isTTY) return;
    const now = Date.now();
    // Quiet for the first second, then at most ten updates a second.
    if (now - this.started < 1000 || now - this.last < 100) return;
    this.last = now;
    const seconds = (now - this.started) / 1000;
    const rate = p.bytesDone / seconds;
    const pct = p.bytesTotal > 0 ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 100;
    const eta = rate > 0 ? Math.ceil((p.bytesTotal - p.bytesDone) / rate) : 0;
    const file = p.currentFile ? safeText` · ${p.currentFile}` : safeText``;
    const line = String(
      safeText`${this.label} ${pct}% · ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)} · ${formatBytes(rate)}/s · ${eta}s left${file}`,
    );
    this.stream.write(`\r\x1b[K${line.slice(0, (this.stream.columns || 100) - 1)}`);
    this.shown = true;
  };

  done(): void {
    if (this.shown) this.stream?.write('\r\x1b[K');
    this.shown = false;
  }
}
