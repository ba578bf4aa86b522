/**
 * Type-inference checks shared by the elementwise, activation, reduction and norm ops: inputs
 * that must share a dtype, and epsilon attributes.
 * @module
 */
import { graphError } from '../../errors.js';
import type { DType } from '../../dtype.js';
import type { TensorType } from '../../ir/types.js';
import { formatShape } from '../../shape.js';

/**
 * Throws `E_DTYPE_MISMATCH` unless every present input has the dtype of the first one; returns
 * that dtype. Entries are `[inputName, type]`, `undefined` types (omitted optional inputs) are
 * skipped.
 */
export function expectSameDtype(entries: readonly (readonly [string, TensorType | undefined])[]): DType {
  let first: readonly [string, TensorType] | undefined;
  for (const [name, t] of entries) {
    if (t === undefined) continue;
    if (first === undefined) {
      first = [name, t];
      continue;
    }
    if (t.dtype !== first[1].dtype) {
      throw graphError(
        'E_DTYPE_MISMATCH',
        `input '${name}' is ${t.dtype}${formatShape(t.shape)} but '${first[0]}' is ${first[1].dtype}${formatShape(first[1].shape)}; they must have the same dtype`,
      );
    }
  }
  if (first === undefined) throw graphError('E_INPUT', 'no tensor input to take the dtype from');
  return first[1].dtype;
}

/** Throws `E_ATTR` unless attribute `name` is a finite number >= 0 (an epsilon); returns it. */
export function nonNegativeAttr(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw graphError('E_ATTR', `attribute '${name}' must be a finite number >= 0, got ${value}`);
  }
  return value;
}
