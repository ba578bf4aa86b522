/**
 * Coded diagnostics of the on-device measurement readers.
 * @module
 */
import { type ErrorDetails, FastVlmError } from '@fastvlm/graph';

/** Error codes of the measurement readers, each with the one-line meaning shown in docs. */
export const MeasureErrorCodes = {
  E_MEASURE_READ: 'a measurement file could not be read or is not valid JSON',
  E_MEASURE_VERSION: 'a measurement file has an unknown schema name or version',
  E_MEASURE_SCHEMA: 'a measurement file does not follow its schema; the field is named',
  E_MEASURE_PACKAGE: 'a measurement was taken of another package (its content hash differs)',
  E_MEASURE_PLIST: 'a powermetrics plist is malformed or holds no power samples',
} as const;

/** A code of {@link MeasureErrorCodes}. */
export type MeasureErrorCode = keyof typeof MeasureErrorCodes;

/** Creates a coded error of the measurement catalogue. */
export function measureError(code: MeasureErrorCode, message: string, opts: { where?: string; details?: ErrorDetails; cause?: unknown } = {}): FastVlmError {
  return new FastVlmError(code, message, opts);
}
