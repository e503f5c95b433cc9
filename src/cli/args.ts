/**
 * A small parser with click's conventions, so the reference CLI's command
 * lines work unchanged: options before or after arguments, `--opt value` and
 * `--opt=value`, `_` accepted for `-`, `--flag/--no-flag` pairs, repeatable options.
 * An option whose value is optional (`--cache[=DIR]`) takes one only after `=`, as
 * getopt_long's optional arguments do: `--cache MODEL` leaves MODEL an argument.
 */
import { ownText, safeText } from '../core/display';
import { err, out } from './terminal';

export type OptionSpec =
  | { kind: 'string'; required?: boolean; metavar?: string; help: string; default?: string }
  | { kind: 'multi'; metavar?: string; help: string }
  /** Given bare, its value is '' (the caller's default); a value only as `--name=value`. */
  | { kind: 'optional'; metavar: string; help: string }
  | { kind: 'flag'; help: string }
  | { kind: 'switch'; default: boolean; help: string };

export type OptionSpecs = Record<string, OptionSpec>;

export interface Parsed {
  args: string[];
  strings: Record<string, string | undefined>;
  multis: Record<string, string[]>;
  flags: Record<string, boolean>;
  help: boolean;
}

/** A mistake in the command line: exit code 2, as click's UsageError. */
export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], specs: OptionSpecs): Parsed {
  const out: Parsed = { args: [], strings: {}, multis: {}, flags: {}, help: false };
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.kind === 'multi') out.multis[name] = [];
    if (spec.kind === 'flag') out.flags[name] = false;
    if (spec.kind === 'switch') out.flags[name] = spec.default;
    if (spec.kind === 'string' && spec.default !== undefined) out.strings[name] = spec.default;
  }
  let onlyArgs = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (onlyArgs || !token.startsWith('-') || token === '-') {
      out.args.push(token);
      continue;
    }
    if (token === '--') {
      onlyArgs = true;
      continue;
    }
    if (token === '-h' || token === '--help') {
      out.help = true;
      continue;
    }
    const eq = token.indexOf('=');
    const rawName = (eq >= 0 ? token.slice(0, eq) : token).replace(/^--?/, '').replace(/_/g, '-');
    const inline = eq >= 0 ? token.slice(eq + 1) : undefined;
    let name = rawName;
    let negated = false;
    if (!(name in specs) && name.startsWith('no-') && specs[name.slice(3)]?.kind === 'switch') {
      name = name.slice(3);
      negated = true;
    }
    const spec = specs[name];
    if (!spec || !token.startsWith('--')) throw new UsageError(`No such option: ${token.split('=')[0]}`);
    if (spec.kind === 'flag' || spec.kind === 'switch') {
      if (inline !== undefined) throw new UsageError(`Option '--${name}' does not take a value.`);
      out.flags[name] = !negated;
      continue;
    }
    if (spec.kind === 'optional') {
      if (inline === '') throw new UsageError(`Option '--${name}' needs a value after '=', or none: '--${name}'.`);
      out.strings[name] = inline ?? '';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`Option '--${name}' requires an argument.`);
    if (spec.kind === 'multi') out.multis[name]!.push(value);
    else out.strings[name] = value;
  }
  if (!out.help) {
    for (const [name, spec] of Object.entries(specs)) {
      if (spec.kind === 'string' && spec.required && out.strings[name] === undefined) throw new UsageError(`Missing option '--${name}'.`);
    }
  }
  return out;
}

/** The one positional argument of a command (MODEL_PATH). */
export function oneArgument(p: Parsed, name: string): string {
  if (p.args.length === 0) throw new UsageError(`Missing argument '${name}'.`);
  if (p.args.length > 1) {
    // `--cache DIR MODEL`: DIR was read as an argument, since an optional value needs `=`.
    const hint = p.strings.cache === '' ? ` (a folder for --cache is given as --cache=DIR)` : '';
    throw new UsageError(`Got unexpected extra argument (${p.args.slice(1).join(' ')})${hint}`);
  }
  return p.args[0]!;
}

/** Help text for a command, in click's layout. */
export function formatHelp(usage: string, description: string, specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const left =
      spec.kind === 'switch'
        ? `--${name} / --no-${name}`
        : spec.kind === 'flag'
          ? `--${name}`
          : spec.kind === 'optional'
            ? `--${name}[=${spec.metavar}]`
            : `--${name} ${spec.metavar ?? name.toUpperCase().replace(/-/g, '_')}`;
    const notes = [spec.kind === 'multi' ? '(repeatable)' : '', spec.kind === 'string' && spec.required ? '[required]' : ''].filter(Boolean).join(' ');
    return [left, `${spec.help}${notes ? ' ' + notes : ''}`] as const;
  });
  rows.push(['-h, --help', 'Show this message and exit.']);
  const width = Math.min(36, Math.max(...rows.map(([l]) => l.length)) + 2);
  const lines = rows.map(([l, r]) => (l.length + 2 > width ? `  ${l}\n  ${' '.repeat(width)}${r}` : `  ${l.padEnd(width)}${r}`));
  return `Usage: ${usage}\n\n  ${description}\n\nOptions:\n${lines.join('\n')}\n`;
}

/** A usage error as click prints it: the usage line, where to get help, the error; exit code 2. */
export function usage(help: string, message: string, helpCommand = 'model-signing'): number {
  err(safeText`${ownText(help.split('\n')[0]!)}\nTry '${helpCommand} --help' for help.\n\nError: ${message}\n`);
  return 2;
}

export function printHelp(help: string): number {
  out(ownText(help));
  return 0;
}
