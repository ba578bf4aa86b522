/**
 * Coded diagnostics of @fastvlm/emit-coreml. Every error is a {@link FastVlmError} (from
 * @fastvlm/graph) with one of these codes, a message naming what was expected and what was
 * found, and `where` naming the file, message path or value concerned.
 * @module
 */
import { type ErrorDetails, FastVlmError } from '@fastvlm/graph';

/** Error codes of @fastvlm/emit-coreml, each with the one-line meaning shown in docs. */
export const EmitErrorCodes = {
  E_IO: 'a file or directory could not be read or written',
  E_NO_SPACE: 'the disk is full (ENOSPC / EDQUOT) while writing',
  E_PROTO: 'a message does not fit the Core ML schema (unknown field, wrong type, two members of a oneof)',
  E_PROTO_DECODE: 'bytes are not a valid serialized Core ML message',
  E_BLOB: 'weight.bin is malformed (header, version, sentinel, offsets or bounds)',
  E_BLOB_DTYPE: 'a blob holds a different data type than the one asked for',
  E_BLOB_SIZE: 'a blob has a different byte or element count than declared',
  E_MANIFEST: 'Manifest.json is missing, not JSON, or violates the package manifest rules',
  E_PACKAGE: 'the .mlpackage layout is invalid (missing item, path leaving the package)',
  E_VALUE: 'a MIL value cannot be encoded or decoded (dtype, shape or element count)',
  E_STATE: 'an object was used after it was finished or aborted',
} as const;

/** A code of @fastvlm/emit-coreml's catalogue. */
export type EmitErrorCode = keyof typeof EmitErrorCodes;

/** Options of {@link emitError}. */
export interface EmitErrorOptions {
  readonly where?: string;
  readonly details?: ErrorDetails;
  readonly cause?: unknown;
}

/** Creates a coded error of this package's catalogue. */
export function emitError(code: EmitErrorCode, message: string, opts: EmitErrorOptions = {}): FastVlmError {
  return new FastVlmError(code, message, opts);
}

/** The `code` of a Node.js system error (`ENOENT`, `ENOSPC`...), if any. */
export function sysCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/**
 * Wraps a file-system failure in a coded error naming the path and the operation. ENOSPC and
 * EDQUOT become `E_NO_SPACE`; a {@link FastVlmError} passes through unchanged.
 */
export function ioError(e: unknown, op: string, path: string): FastVlmError {
  if (e instanceof FastVlmError) return e;
  const code = sysCode(e);
  const reason = e instanceof Error ? e.message : String(e);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return emitError('E_NO_SPACE', `no space left while trying to ${op} '${path}' (${reason})`, { where: path, cause: e, details: { op, syscode: code } });
  }
  return emitError('E_IO', `could not ${op} '${path}': ${reason}`, { where: path, cause: e, details: { op, syscode: code ?? 'unknown' } });
}
