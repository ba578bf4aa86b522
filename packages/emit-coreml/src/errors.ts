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

/**
 * File-system failures as coded errors (`E_NO_SPACE` for ENOSPC / EDQUOT, `E_IO` otherwise):
 * the one routine of @fastvlm/graph, re-exported for this package's users.
 */
export { ioError, sysCode } from '@fastvlm/graph';
