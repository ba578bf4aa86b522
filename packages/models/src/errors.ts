/**
 * Coded diagnostics of @fastvlm/models. Every error is a {@link FastVlmError} (the toolkit's
 * single error class) with a code from {@link ModelErrorCodes}.
 * @module
 */
import { type ErrorDetails, FastVlmError } from '@fastvlm/graph';

/** Error codes of @fastvlm/models, each with the one-line meaning shown in docs. */
export const ModelErrorCodes = {
  E_MODEL_CONFIG: 'a model configuration is unknown or inconsistent',
  E_MODEL_OPTION: 'a build option (resolution, lengths, parts, dtype) is invalid',
  E_CHECKPOINT_CONFIG: "a checkpoint's config.json is unreadable or disagrees with the chosen configuration",
  E_CHECKPOINT_TENSORS: 'a checkpoint has missing, unexpected or wrongly shaped tensors',
} as const;

/** A code of this package's catalogue. */
export type ModelErrorCode = keyof typeof ModelErrorCodes;

/** Options accepted by {@link modelError}. */
export interface ModelErrorOptions {
  readonly where?: string;
  readonly details?: ErrorDetails;
  readonly cause?: unknown;
}

/** Creates a coded error of this package's catalogue. */
export function modelError(code: ModelErrorCode, message: string, opts: ModelErrorOptions = {}): FastVlmError {
  return new FastVlmError(code, message, opts);
}
