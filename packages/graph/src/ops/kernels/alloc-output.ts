/**
 * Output allocation for the linalg, conv, shape-op and generator kernels: refuses outputs the
 * reference interpreter cannot hold with a coded error instead of a RangeError (or worse).
 * @module
 */
import type { DType } from '../../dtype.js';
import { graphError } from '../../errors.js';
import { type TensorData, allocData } from '../../tensor.js';

/** Largest output, in elements, a kernel materializes (4 GiB of fp32). */
export const MAX_KERNEL_ELEMENTS = 2 ** 30;

/** A zeroed storage array for `n` elements of `dtype`; `E_INTERPRET` when too large. */
export function allocOutput(op: string, dtype: DType, n: number): TensorData {
  if (n > MAX_KERNEL_ELEMENTS) {
    throw graphError('E_INTERPRET', `${op}: the output has ${n} elements, more than the interpreter's limit of ${MAX_KERNEL_ELEMENTS}`, { where: op });
  }
  try {
    return allocData(dtype, n);
  } catch (e) {
    throw graphError('E_INTERPRET', `${op}: could not allocate an output of ${n} elements`, { where: op, cause: e });
  }
}
