/**
 * Where the CLI writes and what it may touch, behind one interface so tests run commands in
 * process, capture their output and inject file-system faults.
 * @module
 */
import type { FsLayer } from '@fastvlm/emit-coreml';

/** The CLI's outside world. */
export interface CliIo {
  /** Results (tables, JSON). */
  stdout(text: string): void;
  /** Progress, notes and errors. */
  stderr(text: string): void;
  /** When true, progress is a redrawn bar; otherwise plain lines. */
  readonly stderrIsTTY: boolean;
  /** Terminal width for the progress bar (default 80). */
  readonly columns?: number;
  /** Milliseconds clock (default `performance.now`). */
  now(): number;
  /** File-system layer for package writing (tests inject failures). Default: node:fs. */
  readonly fs?: FsLayer;
}

/** The process's own stdout and stderr. */
export function processIo(): CliIo {
  return {
    stdout: (t) => {
      process.stdout.write(t);
    },
    stderr: (t) => {
      process.stderr.write(t);
    },
    stderrIsTTY: process.stderr.isTTY === true,
    columns: process.stderr.columns ?? 80,
    now: () => performance.now(),
  };
}

/** An io that records everything (for tests and embedding). */
export interface CapturedIo extends CliIo {
  readonly out: string[];
  readonly err: string[];
  /** Everything written to stdout so far. */
  stdoutText(): string;
  /** Everything written to stderr so far. */
  stderrText(): string;
}

/** A {@link CliIo} that records what the command writes. */
export function captureIo(opts: { stderrIsTTY?: boolean; columns?: number; fs?: FsLayer; now?: () => number } = {}): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => {
      out.push(t);
    },
    stderr: (t) => {
      err.push(t);
    },
    stderrIsTTY: opts.stderrIsTTY ?? false,
    columns: opts.columns ?? 80,
    now: opts.now ?? (() => performance.now()),
    ...(opts.fs ? { fs: opts.fs } : {}),
    stdoutText: () => out.join(''),
    stderrText: () => err.join(''),
  };
}
