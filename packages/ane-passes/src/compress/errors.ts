/**
 * Coded diagnostics of weight compression (quantization and palettization). Errors are
 * {@link FastVlmError}s with codes from {@link CompressErrorCodes}; inside a pipeline the
 * PassManager reports them as `E_PASS_FAILED` with the original code in `details.causeCode`.
 * @module
 */
import { type ErrorDetails, FastVlmError } from '@fastvlm/graph';

/** Error codes of weight compression, each with the one-line meaning shown in docs. */
export const CompressErrorCodes = {
  E_COMPRESS_CONFIG: 'a compression setting or rule is malformed or out of range',
  E_COMPRESS_NONFINITE: 'a weight to compress holds NaN or an infinity',
  E_COMPRESS_GROUP: 'a group or block size does not divide the weight axis it splits',
  E_COMPRESS_AXIS: 'the channel axis of a weight cannot be decided from its users',
  E_COMPRESS_DTYPE: 'a weight has a dtype the compression cannot take',
  E_COMPRESS_WORKER: 'a compression worker thread failed',
} as const;

/** A code of the compression catalogue. */
export type CompressErrorCode = keyof typeof CompressErrorCodes;

/** Creates a coded compression error. */
export function compressError(code: CompressErrorCode, message: string, opts: { where?: string; details?: ErrorDetails; cause?: unknown } = {}): FastVlmError {
  return new FastVlmError(code, message, opts);
}
