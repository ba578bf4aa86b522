/**
 * Runtime tensors of the reference interpreter and the weight store. Float types hold their
 * values in a Float32Array (fp16 values are fp32 numbers already rounded to fp16); integer types
 * (sub-byte included) in an Int32Array; bool in a Uint8Array of 0/1.
 * @module
 */
import { type DType, dtypeInfo, isFloat } from './dtype.js';
import { graphError } from './errors.js';
import { type StaticShape, formatShape, numel } from './shape.js';
import { roundArrayToFp16 } from './fp16.js';

/** The element storage of a {@link Tensor}. */
export type TensorData = Float32Array | Int32Array | Uint8Array;

/** A dense, static-shaped, row-major tensor. */
export interface Tensor {
  readonly dtype: DType;
  readonly shape: StaticShape;
  readonly data: TensorData;
}

/** Allocates the storage array kind used for `dtype`. */
export function allocData(dtype: DType, n: number): TensorData {
  if (isFloat(dtype)) return new Float32Array(n);
  if (dtype === 'bool') return new Uint8Array(n);
  return new Int32Array(n);
}

/** A zero-filled tensor. */
export function zeros(dtype: DType, shape: StaticShape): Tensor {
  return { dtype, shape: [...shape], data: allocData(dtype, numel(shape)) };
}

/**
 * Builds a tensor from plain numbers, converting to the dtype's storage: fp16 values are
 * rounded, integers checked for range and integrality, bools must be 0 or 1.
 */
export function tensor(dtype: DType, shape: StaticShape, values: ArrayLike<number>): Tensor {
  const n = numel(shape);
  if (values.length !== n) {
    throw graphError('E_SHAPE_MISMATCH', `tensor of shape ${formatShape(shape)} needs ${n} values, got ${values.length}`);
  }
  const data = allocData(dtype, n);
  const info = dtypeInfo(dtype);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (info.kind !== 'float' && (!Number.isInteger(v) || v < info.min || v > info.max)) {
      throw graphError('E_DTYPE_MISMATCH', `value ${v} at index ${i} is not representable as ${dtype}`);
    }
    data[i] = v;
  }
  if (dtype === 'fp16') roundArrayToFp16(data as Float32Array);
  return { dtype, shape: [...shape], data };
}

/** A rank-0 tensor. */
export function scalar(dtype: DType, v: number): Tensor {
  return tensor(dtype, [], [v]);
}
