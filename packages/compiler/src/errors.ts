/**
 * Coded diagnostics of @fastvlm/compiler. Every error is a {@link FastVlmError} (the toolkit's
 * single error class); errors of the other packages (lowering, I/O, checkpoints) pass through
 * unchanged.
 * @module
 */
import { type ErrorDetails, FastVlmError } from '@fastvlm/graph';

/** Error codes of @fastvlm/compiler, each with the one-line meaning shown in docs. */
export const CompilerErrorCodes = {
  E_COMPILE_OPTION: 'a compile option is invalid; `details.option` names it and `details.reason` says why',
  E_COMPILE_SOURCE: 'the source cannot be compiled: an unknown model name, or a module that builds no Program',
  E_CALIBRATE: 'a calibration input is unusable: a measurement directory without results, a result whose chip has no device profile, package or function, or an unreadable cost-model file',
} as const;

/** A code of this package's catalogue. */
export type CompilerErrorCode = keyof typeof CompilerErrorCodes;

/**
 * An invalid option: the message is `OPTION: REASON`; `details.option` is the option's name as in
 * {@link CompileOptions} (`compress`, `imageInput`...) and `details.reason` the reason alone, so a
 * command line can show it under its own flag name.
 */
export function optionError(option: string, reason: string, details: ErrorDetails = {}): FastVlmError {
  return new FastVlmError('E_COMPILE_OPTION', `${option}: ${reason}`, { details: { ...details, option, reason } });
}

/** A source that cannot be compiled. */
export function sourceError(message: string, opts: { where?: string; details?: ErrorDetails; cause?: unknown } = {}): FastVlmError {
  return new FastVlmError('E_COMPILE_SOURCE', message, opts);
}

/** A calibration input that cannot be used (`calibrateMeasured`, `readCostModel`). */
export function calibrateError(message: string, opts: { where?: string; details?: ErrorDetails; cause?: unknown } = {}): FastVlmError {
  return new FastVlmError('E_CALIBRATE', message, opts);
}
