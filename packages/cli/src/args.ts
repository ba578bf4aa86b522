/**
 * The CLI's small argument parser. Each command declares its flags as data ({@link FlagSpec});
 * the same declarations drive parsing, validation (kinds, allowed values) and the `--help`
 * text, so the help can never disagree with what is accepted. Every mistake is an
 * `E_CLI_USAGE` error naming the flag, the value found and the values allowed.
 * @module
 */
import { usageError } from './errors.js';

/**
 * How a flag's value is read:
 * - `bool`: no value (`--report`);
 * - `string`: any non-empty text (`--out DIR`);
 * - `int`: a decimal integer of at least {@link FlagSpec.min} (default 1) (`--context-length 1024`);
 * - `enum`: one of {@link FlagSpec.values} (`--target ios18`);
 * - `list`: comma-separated members of {@link FlagSpec.values}, each at most once (`--parts vision,llm`).
 */
export type FlagKind = 'bool' | 'string' | 'int' | 'enum' | 'list';

/** One flag of a command. */
export interface FlagSpec {
  /** Long name without dashes, e.g. `context-length`. */
  readonly name: string;
  readonly kind: FlagKind;
  /** Placeholder shown in help (`N`, `DIR`); defaults from the kind. */
  readonly metavar?: string;
  /** Allowed values of `enum` and `list` flags. */
  readonly values?: readonly string[];
  /** Default shown in help (the command applies it). */
  readonly default?: string;
  /** The command cannot run without it. */
  readonly required?: boolean;
  /** Smallest value of an `int` flag (default 1). */
  readonly min?: number;
  /** One-letter alias (`h` for `-h`). */
  readonly short?: string;
  /** Help text; lines are kept as written. */
  readonly doc: string;
}

/** A positional argument of a command. */
export interface PositionalSpec {
  readonly name: string;
  readonly doc: string;
}

/** A command: its flags, positionals and help text. */
export interface CommandSpec {
  /** `compile`, `inspect`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The usage line after `fastvlm `, e.g. `compile --model NAME --out DIR [options]`. */
  readonly usage: string;
  /** Paragraphs printed under the usage line. */
  readonly description: string;
  readonly positionals: readonly PositionalSpec[];
  readonly flags: readonly FlagSpec[];
  /** Example command lines. */
  readonly examples?: readonly string[];
}

/** A parsed flag value. */
export type FlagValue = string | number | boolean | readonly string[];

/** The result of {@link parseCommandLine}. */
export interface ParsedArgs {
  /** Given flags by long name (defaults are not filled in). */
  readonly flags: ReadonlyMap<string, FlagValue>;
  readonly positionals: readonly string[];
  /** True when `--help` or `-h` was given (the rest is then not validated). */
  readonly help: boolean;
}

/** The flags every command accepts. */
export const COMMON_FLAGS: readonly FlagSpec[] = [
  { name: 'help', short: 'h', kind: 'bool', doc: 'Show this help and exit.' },
  { name: 'verbose', kind: 'bool', doc: 'Print stack traces of errors.' },
];

function flagLabel(f: FlagSpec): string {
  return `--${f.name}`;
}

function metavarOf(f: FlagSpec): string {
  if (f.metavar) return f.metavar;
  switch (f.kind) {
    case 'int':
      return 'N';
    case 'enum':
      return (f.values ?? []).join('|');
    case 'list':
      return `${(f.values ?? []).join(',')}`;
    default:
      return 'VALUE';
  }
}

/** Edit distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The closest of `candidates` to `s` (edit distance <= 2, or a prefix), if any. */
export function closest(s: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(s) || s.startsWith(c) ? 1 : distance(s, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= 2 ? best : undefined;
}

/** `a, b, c` with quotes, for error messages. */
function listOf(values: readonly string[]): string {
  return values.join(', ');
}

/** Reads a decimal integer >= `min` or throws a usage error naming `where`. */
export function parseIntFlag(raw: string, where: string, min = 1): number {
  const what = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
  if (!/^[0-9]+$/.test(raw)) throw usageError(where, `expected ${what}, found '${raw}'`, { found: raw });
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw usageError(where, `expected ${what}, found '${raw}'`, { found: raw });
  return n;
}

function convert(f: FlagSpec, raw: string): FlagValue {
  const where = flagLabel(f);
  switch (f.kind) {
    case 'bool':
      return true;
    case 'string':
      if (raw === '') throw usageError(where, `expected ${metavarOf(f)}, found an empty value`);
      return raw;
    case 'int':
      return parseIntFlag(raw, where, f.min ?? 1);
    case 'enum': {
      const values = f.values ?? [];
      if (!values.includes(raw)) {
        const hint = closest(raw, values);
        throw usageError(where, `unknown value '${raw}'; allowed: ${listOf(values)}${hint ? ` (did you mean '${hint}'?)` : ''}`, { found: raw, allowed: values });
      }
      return raw;
    }
    case 'list': {
      const values = f.values ?? [];
      const items = raw.split(',').map((s) => s.trim());
      if (items.some((s) => s === '')) throw usageError(where, `expected a comma-separated list of ${listOf(values)}, found '${raw}'`, { found: raw, allowed: values });
      const seen = new Set<string>();
      for (const it of items) {
        if (!values.includes(it)) throw usageError(where, `unknown value '${it}'; allowed: ${listOf(values)}`, { found: it, allowed: values });
        if (seen.has(it)) throw usageError(where, `'${it}' is listed twice`, { found: raw });
        seen.add(it);
      }
      return items;
    }
  }
}

/**
 * Parses `argv` (the words after the command name) against `spec`. Accepts `--flag value`,
 * `--flag=value`, `-h`, and `--` to end the flags. A `--help` anywhere wins: the other words
 * are then not validated. Checks unknown flags, missing values, repeated flags, kinds and
 * allowed values, the positional count and required flags.
 */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const flags = [...spec.flags, ...COMMON_FLAGS];
  const byName = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const dashDash = argv.indexOf('--');
  const flagWords = dashDash >= 0 ? argv.slice(0, dashDash) : argv;
  if (flagWords.some((w) => w === '--help' || w === '-h')) return { flags: new Map(), positionals: [], help: true };

  const out = new Map<string, FlagValue>();
  const positionals: string[] = [];
  const cmd = `fastvlm ${spec.name}`;
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!;
    if (i === dashDash) {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let f: FlagSpec | undefined;
    let inline: string | undefined;
    if (w.startsWith('--') && w.length > 2) {
      const eq = w.indexOf('=');
      const name = eq >= 0 ? w.slice(2, eq) : w.slice(2);
      if (eq >= 0) inline = w.slice(eq + 1);
      f = byName.get(name);
      if (!f) {
        const hint = closest(name, flags.map((x) => x.name));
        throw usageError(`--${name}`, `unknown flag of '${cmd}'${hint ? ` (did you mean --${hint}?)` : ''}; flags: ${flags.map(flagLabel).join(', ')}`, { found: `--${name}` });
      }
    } else if (/^-[A-Za-z]$/.test(w)) {
      f = byShort.get(w.slice(1));
      if (!f) throw usageError(w, `unknown flag of '${cmd}'; flags: ${flags.map(flagLabel).join(', ')}`, { found: w });
    } else if (w.startsWith('-') && w.length > 1 && !/^-[0-9]/.test(w)) {
      throw usageError(w, `unknown flag of '${cmd}'; flags: ${flags.map(flagLabel).join(', ')}`, { found: w });
    } else {
      positionals.push(w);
      continue;
    }
    const label = flagLabel(f);
    if (out.has(f.name)) throw usageError(label, 'given more than once');
    if (f.kind === 'bool') {
      if (inline !== undefined) throw usageError(label, `takes no value, found '${inline}'`, { found: inline });
      out.set(f.name, true);
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      const next = argv[i + 1];
      if (next === undefined || i + 1 === dashDash || (next.startsWith('-') && next.length > 1 && !/^-[0-9]/.test(next))) {
        const allowed = f.kind === 'enum' || f.kind === 'list' ? `; allowed: ${listOf(f.values ?? [])}` : '';
        throw usageError(label, `missing value (${metavarOf(f)})${allowed}`);
      }
      raw = next;
      i++;
    }
    out.set(f.name, convert(f, raw));
  }
  const max = spec.positionals.length;
  if (positionals.length > max) {
    throw usageError(`'${positionals[max]}'`, `unexpected argument; '${cmd}' takes ${max === 0 ? 'no arguments' : `${max} argument${max > 1 ? 's' : ''} (${spec.positionals.map((p) => p.name).join(' ')})`}`);
  }
  if (positionals.length < max) {
    const missing = spec.positionals[positionals.length]!;
    throw usageError(missing.name, `missing argument of '${cmd}': ${missing.doc}`);
  }
  for (const f of spec.flags) {
    if (f.required && !out.has(f.name)) {
      const allowed = f.kind === 'enum' || f.kind === 'list' ? `; allowed: ${listOf(f.values ?? [])}` : '';
      throw usageError(flagLabel(f), `required by '${cmd}' (${metavarOf(f)})${allowed}`);
    }
  }
  return { flags: out, positionals, help: false };
}

/** Typed access to parsed flags (the command knows each flag's kind). */
export class Flags {
  constructor(private readonly parsed: ParsedArgs) {}

  has(name: string): boolean {
    return this.parsed.flags.has(name);
  }
  bool(name: string): boolean {
    return this.parsed.flags.get(name) === true;
  }
  str(name: string): string | undefined {
    const v = this.parsed.flags.get(name);
    return typeof v === 'string' ? v : undefined;
  }
  int(name: string): number | undefined {
    const v = this.parsed.flags.get(name);
    return typeof v === 'number' ? v : undefined;
  }
  list(name: string): readonly string[] | undefined {
    const v = this.parsed.flags.get(name);
    return Array.isArray(v) ? (v as readonly string[]) : undefined;
  }
}

function wrap(text: string, width: number, indent: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > width - indent) {
        out.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    out.push(line);
  }
  return out;
}

/** The `--help` text of a command, generated from its spec. */
export function commandHelp(spec: CommandSpec, width = 100): string {
  const lines: string[] = [`Usage: fastvlm ${spec.usage}`, ''];
  for (const l of wrap(spec.description, width, 0)) lines.push(l);
  if (spec.positionals.length) {
    lines.push('', 'Arguments:');
    for (const p of spec.positionals) {
      const head = `  ${p.name}`;
      const doc = wrap(p.doc, width, 30);
      lines.push(`${head.padEnd(30)}${doc[0] ?? ''}`, ...doc.slice(1).map((d) => `${' '.repeat(30)}${d}`));
    }
  }
  lines.push('', 'Options:');
  for (const f of [...spec.flags, ...COMMON_FLAGS]) {
    const head = `  ${f.short ? `-${f.short}, ` : ''}--${f.name}${f.kind === 'bool' ? '' : ` ${metavarOf(f)}`}`;
    const extra = [f.required ? 'Required.' : '', f.default !== undefined ? `Default: ${f.default}.` : ''].filter(Boolean).join(' ');
    const doc = wrap(`${f.doc}${extra ? ` ${extra}` : ''}`, width, 30);
    if (head.length >= 29) {
      lines.push(head, ...doc.map((d) => `${' '.repeat(30)}${d}`));
    } else {
      lines.push(`${head.padEnd(30)}${doc[0] ?? ''}`, ...doc.slice(1).map((d) => `${' '.repeat(30)}${d}`));
    }
  }
  if (spec.examples?.length) {
    lines.push('', 'Examples:');
    for (const e of spec.examples) lines.push(`  ${e}`);
  }
  return `${lines.join('\n')}\n`;
}
