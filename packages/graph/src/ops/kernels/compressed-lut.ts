/**
 * Type checks and reference kernel of `lut_dequantize` (palettized constants): indices of
 * `nbits` bits pick entries of a look-up table; the table may differ per block of the output
 * and its entries may be vectors laid along one axis (iOS18 `constexpr_lut_to_dense`).
 * @module
 */
import { type DType, dtypeInfo } from '../../dtype.js';
import { graphError } from '../../errors.js';
import type { TensorType } from '../../ir/types.js';
import { formatShape, stridesOf } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { allocOutput } from './alloc-output.js';
import { checkBlockGrid, forEachBlockRow } from './compressed-blocks.js';

/** Index dtypes of palettized constants, by bit width. */
export const LUT_INDEX_DTYPES: readonly DType[] = ['uint1', 'uint2', 'uint3', 'uint4', 'uint6', 'uint8'];
/** Entry dtypes of look-up tables. */
export const LUT_DTYPES: readonly DType[] = ['fp16', 'fp32', 'int8', 'uint8'];

/** Geometry of a look-up table applied to indices. */
export interface LutGeometry {
  /** Bits per index. */
  readonly nbits: number;
  /** Blocks per axis of the indices (the leading axes of the table). */
  readonly grid: readonly number[];
  /** Length of each table entry (1 for scalar palettization). */
  readonly vectorSize: number;
  /** Normalized vector axis (undefined when vectorSize is 1 and none was given). */
  readonly vectorAxis: number | undefined;
  readonly outShape: readonly number[];
}

function staticShape(t: TensorType, name: string): readonly number[] {
  if (!t.shape.every((d): d is number => typeof d === 'number')) {
    throw graphError('E_SHAPE_INVALID', `input '${name}' of a compressed constant must have a static shape, got ${formatShape(t.shape)}`);
  }
  return t.shape;
}

/**
 * Checks `lut` [..grid (one per axis of indices).., 2^nbits, vectorSize] against `indices` and
 * returns the geometry. Errors: `E_RANK`, `E_SHAPE_MISMATCH`, `E_ATTR` (vector axis).
 */
export function lutGeometry(indices: TensorType, lut: TensorType, vectorAxis: number | undefined): LutGeometry {
  const ishape = staticShape(indices, 'indices');
  const lshape = staticShape(lut, 'lut');
  const k = ishape.length;
  if (k < 1) throw graphError('E_RANK', `input 'indices' must have rank >= 1, got a scalar`);
  if (lshape.length !== k + 2) {
    throw graphError('E_RANK', `input 'lut' has rank ${lshape.length} (${formatShape(lshape)}); expected rank ${k + 2} = rank of indices ${formatShape(ishape)} + 2 ([..blocks per axis.., 2^nbits, vector_size])`);
  }
  const grid = lshape.slice(0, k);
  checkBlockGrid(ishape, grid, 'lut', 'indices');
  const nbits = dtypeInfo(indices.dtype).bits;
  const palettes = lshape[k]!;
  if (palettes !== 2 ** nbits) {
    throw graphError('E_SHAPE_MISMATCH', `input 'lut' ${formatShape(lshape)} has ${palettes} entries per table (axis ${k}); ${indices.dtype} indices need exactly ${2 ** nbits}`);
  }
  const vectorSize = lshape[k + 1]!;
  if (vectorSize < 1) throw graphError('E_SHAPE_MISMATCH', `input 'lut' ${formatShape(lshape)} has vector size 0 (last axis); expected >= 1`);
  let axis: number | undefined;
  if (vectorAxis !== undefined) {
    axis = vectorAxis < 0 ? vectorAxis + k : vectorAxis;
    if (axis < 0 || axis >= k) throw graphError('E_ATTR', `attribute 'vector_axis' is ${vectorAxis}; expected an axis of indices ${formatShape(ishape)} in [${-k}, ${k - 1}]`);
  } else if (vectorSize > 1) {
    throw graphError('E_ATTR', `input 'lut' ${formatShape(lshape)} holds vectors of ${vectorSize} elements, so attribute 'vector_axis' is required`);
  }
  const outShape = [...ishape];
  if (vectorSize > 1) outShape[axis!] = outShape[axis!]! * vectorSize;
  return { nbits, grid, vectorSize, vectorAxis: axis, outShape };
}

/** Throws unless every index is inside the table (guards tensors read from a weight store). */
function checkIndex(v: number, palettes: number, at: number): void {
  if (!(v >= 0 && v < palettes)) {
    throw graphError('E_INTERPRET', `lut_dequantize: index ${v} at element ${at} is outside the table of ${palettes} entries`);
  }
}

/** Reference kernel: output[p] = lut[block(p)][indices[p]] (a vector laid along the vector axis). */
export function lutDequantize(indices: Tensor, lut: Tensor, vectorAxis: number | undefined): Tensor {
  const g = lutGeometry(indices, lut, vectorAxis);
  const palettes = 2 ** g.nbits;
  const v = g.vectorSize;
  const n = g.outShape.reduce((a, b) => a * b, 1);
  const out = allocOutput('lut_dequantize', lut.dtype, n);
  const idx = indices.data;
  const table = lut.data;
  if (v === 1) {
    forEachBlockRow(indices.shape, g.grid, (start, len, base, blockLen) => {
      for (let j = 0; j < len; j++) {
        const q = idx[start + j]!;
        checkIndex(q, palettes, start + j);
        out[start + j] = table[(base + Math.floor(j / blockLen)) * palettes + q]!;
      }
    });
    return { dtype: lut.dtype, shape: g.outShape, data: out };
  }
  // Vector entries: index position p writes V elements along the vector axis.
  const axis = g.vectorAxis!;
  const oStride = stridesOf(g.outShape);
  const ishape = indices.shape;
  const rank = ishape.length;
  forEachBlockRow(ishape, g.grid, (start, len, base, blockLen) => {
    // Multi-index of `start` (the last coordinate is 0).
    let rem = start;
    let outBase = 0;
    for (let i = rank - 1; i >= 0; i--) {
      const c = rem % ishape[i]!;
      rem = (rem - c) / ishape[i]!;
      outBase += (i === axis ? c * v : c) * oStride[i]!;
    }
    const lastStep = rank - 1 === axis ? v * oStride[rank - 1]! : oStride[rank - 1]!;
    for (let j = 0; j < len; j++) {
      const q = idx[start + j]!;
      checkIndex(q, palettes, start + j);
      const entry = ((base + Math.floor(j / blockLen)) * palettes + q) * v;
      const o = outBase + j * lastStep;
      for (let e = 0; e < v; e++) out[o + e * oStride[axis]!] = table[entry + e]!;
    }
  });
  return { dtype: lut.dtype, shape: g.outShape, data: out };
}
