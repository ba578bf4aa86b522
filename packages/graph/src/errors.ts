/**
 * Coded diagnostics. Every error the toolkit raises is a {@link FastVlmError} with a stable
 * `code` from a catalogue, a message naming what was expected and what was found, and where.
 * @module
 */

/** A position in a source file: the author's DSL call site or a line of IR text. */
export interface SourceLoc {
  readonly file?: string;
  readonly line: number;
  readonly col?: number;
}

/** Renders a location as `file:line:col`. */
export function formatLoc(loc: SourceLoc): string {
  return `${loc.file ?? '<text>'}:${loc.line}${loc.col !== undefined ? `:${loc.col}` : ''}`;
}

/** Error codes of @fastvlm/graph, each with the one-line meaning shown in docs. */
export const GraphErrorCodes = {
  E_DTYPE_UNKNOWN: 'unknown data type name',
  E_DTYPE_MISMATCH: 'an input has a data type the op does not accept',
  E_SHAPE_MISMATCH: 'input shapes are incompatible for the op',
  E_SHAPE_INVALID: 'a shape is malformed (negative, non-integer, or too many elements)',
  E_SHAPE_OVERFLOW: 'a shape has more than 2^53 elements',
  E_RANK: 'an input has a rank the op does not accept',
  E_ATTR: 'an attribute is missing, unknown, or out of range',
  E_INPUT: 'an input is missing, unknown, or of the wrong arity',
  E_OP_UNKNOWN: 'no op of that name is registered',
  E_OP_DUPLICATE: 'an op of that name is already registered',
  E_OP_INVALID: 'an op definition is malformed (a trait missing or invalid)',
  E_VERIFY: 'the program violates an IR invariant',
  E_PARSE: 'the IR text has a syntax or reference error',
  E_INTERPRET: 'the interpreter could not evaluate an op',
  E_WEIGHT_MISSING: 'a constant refers to a weight the store does not have',
  E_WEIGHT_MISMATCH: 'a weight has a different dtype or shape than declared',
  E_SAFETENSORS: 'a safetensors file is malformed',
  E_IO: 'a file could not be read or written',
  E_NO_SPACE: 'the disk is full (ENOSPC / EDQUOT) while writing',
  E_NAME: 'a name is invalid or used twice',
} as const;

/** A code of @fastvlm/graph's catalogue. */
export type GraphErrorCode = keyof typeof GraphErrorCodes;

/** Structured details attached to an error (op name, shapes, file, tensor...). */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | readonly (string | number)[]>>;

/**
 * The single error class of the toolkit. Other packages use it with their own code catalogues,
 * so callers can always switch on `err.code`.
 *
 * The parts are kept apart: `code`, `detail` (what was expected and found, no prefix), `where`
 * and `loc`. `message` joins them as `loc: CODE: detail [at where]` for people; code that
 * re-raises or re-words an error reads the parts, never the message.
 */
export class FastVlmError extends Error {
  /** Stable machine-readable code, e.g. `E_SHAPE_MISMATCH`. */
  readonly code: string;
  /** The message alone: no location prefix, no code, no `[at ...]` suffix. */
  readonly detail: string;
  /** Where the problem is: an op, a value, a file, a tensor name. */
  readonly where: string | undefined;
  /** Source position, when known. */
  readonly loc: SourceLoc | undefined;
  /** Extra facts for tools. */
  readonly details: ErrorDetails;

  constructor(code: string, message: string, opts: { where?: string; loc?: SourceLoc; details?: ErrorDetails; cause?: unknown } = {}) {
    const prefix = opts.loc ? `${formatLoc(opts.loc)}: ` : '';
    const at = opts.where ? ` [at ${opts.where}]` : '';
    super(`${prefix}${code}: ${message}${at}`, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'FastVlmError';
    this.code = code;
    this.detail = message;
    this.where = opts.where;
    this.loc = opts.loc;
    this.details = opts.details ?? {};
  }
}

/** Creates a coded error of this package's catalogue. */
export function graphError(
  code: GraphErrorCode,
  message: string,
  opts: { where?: string; loc?: SourceLoc; details?: ErrorDetails; cause?: unknown } = {},
): FastVlmError {
  return new FastVlmError(code, message, opts);
}

/** True when `e` is a {@link FastVlmError}, optionally with the given code. */
export function isFastVlmError(e: unknown, code?: string): e is FastVlmError {
  return e instanceof FastVlmError && (code === undefined || e.code === code);
}

/** The `code` of a Node.js system error (`ENOENT`, `ENOSPC`...), if any. */
export function sysCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/**
 * Wraps a file-system failure in a coded error naming the path and the operation: `E_NO_SPACE`
 * for ENOSPC and EDQUOT, `E_IO` otherwise (the system code in `details.syscode`). A
 * {@link FastVlmError} passes through unchanged.
 */
export function ioError(e: unknown, op: string, path: string): FastVlmError {
  if (e instanceof FastVlmError) return e;
  const code = sysCode(e);
  const reason = e instanceof Error ? e.message : String(e);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return graphError('E_NO_SPACE', `no space left while trying to ${op} '${path}' (${reason})`, { where: path, cause: e, details: { op, syscode: code } });
  }
  return graphError('E_IO', `could not ${op} '${path}': ${reason}`, { where: path, cause: e, details: { op, syscode: code ?? 'unknown' } });
}
