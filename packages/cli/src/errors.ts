/**
 * Coded diagnostics of the `fastvlm` CLI. Usage mistakes (unknown flags, missing or bad values)
 * are `E_CLI_USAGE` and exit with status 2; every other {@link FastVlmError} exits with 1.
 * @module
 */
import { type ErrorDetails, FastVlmError } from '@fastvlm/graph';

/** Error codes of @fastvlm/cli, each with the one-line meaning shown in docs. */
export const CliErrorCodes = {
  E_CLI_USAGE: 'a command line is malformed: unknown command or flag, missing or invalid value',
  E_CLI_MODULE: 'a --module file is missing, fails to load, or its export builds no Program',
} as const;

/** A code of the CLI catalogue. */
export type CliErrorCode = keyof typeof CliErrorCodes;

/** Creates a coded error of the CLI catalogue. */
export function cliError(code: CliErrorCode, message: string, opts: { where?: string; details?: ErrorDetails; cause?: unknown } = {}): FastVlmError {
  return new FastVlmError(code, message, opts);
}

/**
 * A usage error: the message starts with the flag (`--target`) or argument concerned and names
 * the value found and the values allowed; `details.flag` holds the flag too.
 */
export function usageError(flag: string, message: string, details: ErrorDetails = {}): FastVlmError {
  return new FastVlmError('E_CLI_USAGE', `${flag}: ${message}`, { details: { flag, ...details } });
}

/** True for a usage error (exit status 2). */
export function isUsageError(e: unknown): e is FastVlmError {
  return e instanceof FastVlmError && e.code === 'E_CLI_USAGE';
}

/**
 * The one-line form the CLI prints: `E_CODE: message [at where]`, without the source-location
 * prefix FastVlmError puts in front (shown after the message instead).
 */
export function describeCliError(e: FastVlmError): string {
  const body = `${e.code}: ${e.detail}${e.where !== undefined ? ` [at ${e.where}]` : ''}`;
  const loc = e.loc ? ` (${e.loc.file ?? '<text>'}:${e.loc.line}${e.loc.col !== undefined ? `:${e.loc.col}` : ''})` : '';
  return `${body}${loc}`;
}
