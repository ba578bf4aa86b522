/**
 * The `fastvlm` command: dispatches to `compile`, `inspect`, `analyze`, `measure` and `calibrate`, prints help, and turns every
 * error into one line on stderr and an exit status: 0 success, 1 a failure of the toolkit
 * (`error E_CODE: message`), 2 a usage mistake.
 * @module
 */
import { FastVlmError } from '@fastvlm/graph';
import { type CommandSpec, Flags, closest, commandHelp, parseCommandLine } from './args.js';
import { COMPILE_SPEC, compileArgsFromFlags } from './commands/compile-spec.js';
import { formatCompileSummary, runCompile } from './commands/compile.js';
import { ANALYZE_SPEC, runAnalyze } from './commands/analyze.js';
import { INSPECT_SPEC, runInspect } from './commands/inspect.js';
import { MEASURE_SPEC, runMeasure } from './commands/measure.js';
import { CALIBRATE_SPEC, runCalibrate } from './commands/calibrate.js';
import { describeCliError, isUsageError, usageError } from './errors.js';
import { type CliIo, processIo } from './io.js';
import { CLI_VERSION } from './version.js';

/** The commands, in help order. */
export const COMMANDS: readonly CommandSpec[] = [COMPILE_SPEC, INSPECT_SPEC, ANALYZE_SPEC, MEASURE_SPEC, CALIBRATE_SPEC];

/** Exit statuses of {@link main}. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** The top-level `--help` text. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 4;
  return [
    'Usage: fastvlm <command> [options]',
    '',
    "Compiles Apple's FastVLM (FastViTHD + Qwen2) to Core ML .mlpackage files for the Apple Neural Engine.",
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    `  ${'help'.padEnd(width)}Show the help of a command (fastvlm help compile).`,
    '',
    'Options:',
    '  -h, --help    Show this help (or a command\'s, after the command).',
    '  --version     Print the version.',
    '',
    "Run 'fastvlm <command> --help' for a command's options.",
    '',
  ].join('\n');
}

async function runCommand(spec: CommandSpec, argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(spec, argv);
  if (parsed.help) {
    io.stdout(commandHelp(spec));
    return EXIT.ok;
  }
  const flags = new Flags(parsed);
  if (spec === COMPILE_SPEC) {
    const args = compileArgsFromFlags(flags);
    const result = await runCompile(args, io);
    io.stdout(formatCompileSummary(result, args));
    return EXIT.ok;
  }
  if (spec === ANALYZE_SPEC) {
    io.stdout(await runAnalyze(parsed.positionals[0]!, flags));
    return EXIT.ok;
  }
  if (spec === CALIBRATE_SPEC) {
    io.stdout(runCalibrate(flags));
    return EXIT.ok;
  }
  if (spec === MEASURE_SPEC) {
    io.stdout(runMeasure(parsed.positionals, flags));
    return EXIT.ok;
  }
  io.stdout(runInspect(parsed.positionals[0]!, flags));
  return EXIT.ok;
}

/**
 * Runs the CLI on `argv` (the words after `fastvlm`) and returns the exit status. Never
 * throws: errors are printed to `io.stderr` (`error E_CODE: message`; the stack only with
 * `--verbose`).
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const verbose = argv.includes('--verbose');
  try {
    const [cmd, ...rest] = argv;
    if (cmd === undefined) {
      io.stderr(mainHelp());
      throw usageError('fastvlm', `missing command; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    }
    if (cmd === '--help' || cmd === '-h') {
      io.stdout(mainHelp());
      return EXIT.ok;
    }
    if (cmd === '--version') {
      io.stdout(`fastvlm ${CLI_VERSION}\n`);
      return EXIT.ok;
    }
    if (cmd === 'help') {
      const topic = rest[0];
      if (topic === undefined) {
        io.stdout(mainHelp());
        return EXIT.ok;
      }
      const spec = COMMANDS.find((c) => c.name === topic);
      if (!spec) throw usageError(`'${topic}'`, `unknown command; commands: ${COMMANDS.map((c) => c.name).join(', ')}`, { found: topic });
      io.stdout(commandHelp(spec));
      return EXIT.ok;
    }
    const spec = COMMANDS.find((c) => c.name === cmd);
    if (!spec) {
      const hint = closest(cmd, COMMANDS.map((c) => c.name));
      const what = cmd.startsWith('-') ? 'unknown option before the command' : 'unknown command';
      throw usageError(`'${cmd}'`, `${what}${hint ? ` (did you mean '${hint}'?)` : ''}; commands: ${COMMANDS.map((c) => c.name).join(', ')}`, { found: cmd });
    }
    return await runCommand(spec, rest, io);
  } catch (e) {
    return reportError(e, io, verbose, argv[0]);
  }
}

function reportError(e: unknown, io: CliIo, verbose: boolean, cmd: string | undefined): number {
  // A progress bar may be on the current line.
  if (io.stderrIsTTY) io.stderr('\r\x1b[K');
  if (e instanceof FastVlmError) {
    io.stderr(`error ${describeCliError(e)}\n`);
    if (isUsageError(e)) {
      const known = COMMANDS.some((c) => c.name === cmd);
      io.stderr(`Run 'fastvlm ${known ? `${cmd} ` : ''}--help' for usage.\n`);
    }
    if (verbose && e.stack) io.stderr(`${e.stack}\n${causeChain(e)}`);
    return isUsageError(e) ? EXIT.usage : EXIT.failure;
  }
  // Not a coded error: a bug in the toolkit. Still one line, and no crash.
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  io.stderr(`error E_INTERNAL: ${msg} (an uncoded error is a bug; rerun with --verbose for the stack)\n`);
  if (verbose && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
  return EXIT.failure;
}

function causeChain(e: Error): string {
  let text = '';
  let c: unknown = e.cause;
  for (let depth = 0; c !== undefined && depth < 5; depth++) {
    text += `caused by: ${c instanceof Error ? (c.stack ?? c.message) : String(c)}\n`;
    c = c instanceof Error ? c.cause : undefined;
  }
  return text;
}
