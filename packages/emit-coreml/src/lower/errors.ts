/**
 * Coded diagnostics of the lowering (IR -> MIL), the lifting (MIL -> IR) and the compile API.
 * Every error is a {@link FastVlmError} whose code comes from {@link LowerErrorCodes}.
 * @module
 */
import { type ErrorDetails, FastVlmError } from '@fastvlm/graph';

/** Error codes of the lowering, with the one-line meaning shown in docs. */
export const LowerErrorCodes = {
  E_LOWER_OP: 'the op has no MIL lowering, or cannot be lowered in this form',
  E_LOWER_TARGET: 'the op, dtype or feature needs a newer deployment target',
  E_LOWER_DTYPE: 'a data type is not supported by Core ML in this position on any target',
  E_LOWER_NOT_CONST: 'a MIL input that must be a compile-time constant is computed',
  E_LOWER_SHAPE: 'a shape cannot be expressed in MIL (e.g. symbolic where MIL needs sizes)',
  E_LOWER_NAME: 'a function, value or feature name is invalid or used twice',
  E_LOWER_IO: 'a function input or output cannot be a Core ML feature',
  E_LOWER_OPTION: 'a compile or lowering option is invalid',
  E_LOWER_PROGRAM: 'the program cannot be lowered as a whole (no functions, too many functions)',
  E_LIFT: 'a MIL program cannot be lifted back to the IR',
} as const;

/** A code of the lowering catalogue. */
export type LowerErrorCode = keyof typeof LowerErrorCodes;

/** Creates a coded error of the lowering catalogue. */
export function lowerError(code: LowerErrorCode, message: string, opts: { where?: string; details?: ErrorDetails; cause?: unknown } = {}): FastVlmError {
  return new FastVlmError(code, message, opts);
}
