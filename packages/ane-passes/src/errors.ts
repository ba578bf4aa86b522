/**
 * Coded diagnostics of @fastvlm/ane-passes. Every error is a {@link FastVlmError} (the
 * toolkit's single error class) with a code from {@link PassErrorCodes}.
 * @module
 */
import { type ErrorDetails, FastVlmError, type SourceLoc } from '@fastvlm/graph';

/** Error codes of @fastvlm/ane-passes, each with the one-line meaning shown in docs. */
export const PassErrorCodes = {
  E_PASS_UNKNOWN: 'no pass (or preset) of that name is registered',
  E_PASS_DUPLICATE: 'a pass of that name is already registered',
  E_PASS_DEFINITION: 'a pass or its option schema is malformed',
  E_PASS_OPTION: 'a pass option is unknown, of the wrong type, or out of range',
  E_PASS_INPUT: 'the program given to a pass or pipeline does not verify',
  E_PASS_BROKE_IR: 'a pass left a program that fails the IR verifier',
  E_PASS_FAILED: 'a pass raised an error while rewriting',
  E_PASS_NUMERIC: 'a pass changed the outputs beyond the stated tolerance',
  E_PASS_DUMP: 'an IR dump could not be written',
  E_REWRITE_LIMIT: 'a rewrite driver did not reach a fixpoint within its iteration cap',
  E_REWRITE_INVALID: 'a rewrite produced replacements of the wrong number or type',
  E_PATTERN: 'a rewrite pattern is malformed or refers to an unknown capture',
  E_ANALYSIS_DEVICE: 'no device profile of that name (the message lists the profiles and their aliases)',
  E_ANALYSIS_OPTION: 'an option of the ANE analysis is unknown, of the wrong type or out of range',
  E_ANALYSIS_DATA: 'the cost-model parameter file is malformed (a field missing, of the wrong type or out of range)',
} as const;

/** A code of this package's catalogue. */
export type PassErrorCode = keyof typeof PassErrorCodes;

/** Options accepted by {@link passError}. */
export interface PassErrorOptions {
  readonly where?: string;
  readonly loc?: SourceLoc;
  readonly details?: ErrorDetails;
  readonly cause?: unknown;
}

/** Creates a coded error of this package's catalogue. */
export function passError(code: PassErrorCode, message: string, opts: PassErrorOptions = {}): FastVlmError {
  return new FastVlmError(code, message, opts);
}

/** The message of any thrown value, without the code prefix of a FastVlmError. */
export function describeError(e: unknown): string {
  if (e instanceof FastVlmError) return e.message;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}
