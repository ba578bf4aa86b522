/**
 * Type checks and reference kernels of the linearly quantized constants:
 * `affine_dequantize` (iOS16 `constexpr_affine_dequantize`: one scale and zero point per tensor
 * or per slice along an axis) and `blockwise_dequantize` (iOS18 `constexpr_blockwise_shift_scale`:
 * one scale and offset per block).
 *
 * Arithmetic follows Core ML's reference decompression exactly: the difference
 * `data - zero_point` is an fp32 (or, for an fp16 offset, fp16) operation and the product with
 * the scale is rounded once to the scale's dtype. Products of small integers and fp16/fp32
 * scales are exact in a JS double, so rounding the double gives the same bits.
 * @module
 */
import { type DType, isFloat } from '../../dtype.js';
import { graphError } from '../../errors.js';
import { roundToFp16 } from '../../fp16.js';
import type { TensorType } from '../../ir/types.js';
import { formatShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { allocOutput } from './alloc-output.js';
import { checkBlockGrid, forEachBlockRow } from './compressed-blocks.js';

/** Quantized data dtypes of `affine_dequantize`. */
export const AFFINE_DATA_DTYPES: readonly DType[] = ['int8', 'uint8'];
/** Zero point dtypes of `affine_dequantize`. */
export const AFFINE_ZERO_POINT_DTYPES: readonly DType[] = ['int8', 'uint8', 'fp32'];
/** Data dtypes of `blockwise_dequantize`. */
export const BLOCKWISE_DATA_DTYPES: readonly DType[] = ['int4', 'uint4', 'int8', 'uint8'];
/** Offset dtypes of `blockwise_dequantize` (an integer offset has the data's dtype). */
export const BLOCKWISE_OFFSET_DTYPES: readonly DType[] = ['int4', 'uint4', 'int8', 'uint8', 'fp16', 'fp32'];

function staticShape(t: TensorType, name: string): readonly number[] {
  if (!t.shape.every((d): d is number => typeof d === 'number')) {
    throw graphError('E_SHAPE_INVALID', `input '${name}' of a compressed constant must have a static shape, got ${formatShape(t.shape)}`);
  }
  return t.shape;
}

/**
 * Checks `affine_dequantize` inputs; returns the normalized axis. `scale` and `zero_point` are
 * scalars or vectors of `quantized_data.shape[axis]` elements.
 */
export function affineAxis(data: TensorType, scale: TensorType, zeroPoint: TensorType, axis: number): number {
  const shape = staticShape(data, 'quantized_data');
  const r = shape.length;
  if (r < 1) throw graphError('E_RANK', `input 'quantized_data' must have rank >= 1, got a scalar`);
  const a = axis < 0 ? axis + r : axis;
  if (!Number.isInteger(a) || a < 0 || a >= r) {
    throw graphError('E_ATTR', `attribute 'axis' is ${axis}; expected an axis of quantized_data ${formatShape(shape)} in [${-r}, ${r - 1}]`);
  }
  for (const [name, t] of [['scale', scale], ['zero_point', zeroPoint]] as const) {
    const s = staticShape(t, name);
    if (s.length > 1) throw graphError('E_RANK', `input '${name}' has rank ${s.length} (${formatShape(s)}); expected a scalar or a vector`);
    if (s.length === 1 && s[0] !== shape[a]) {
      throw graphError('E_SHAPE_MISMATCH', `input '${name}' has ${s[0]} elements but quantized_data ${formatShape(shape)} has ${shape[a]} along axis ${a}; a vector needs one value per slice`);
    }
  }
  return a;
}

/** Rounds a double to what a tensor of float dtype `d` stores. */
function roundTo(d: DType, x: number): number {
  return d === 'fp16' ? roundToFp16(x) : Math.fround(x);
}

/** Reference kernel of `affine_dequantize`: scale * (quantized_data - zero_point) along `axis`. */
export function affineDequantize(data: Tensor, zeroPoint: Tensor, scale: Tensor, axis: number): Tensor {
  const a = affineAxis(data, scale, zeroPoint, axis);
  const shape = data.shape;
  let inner = 1;
  for (let i = a + 1; i < shape.length; i++) inner *= shape[i]!;
  const dim = shape[a]!;
  const n = data.data.length;
  const out = allocOutput('affine_dequantize', scale.dtype, n);
  const sv = scale.data.length > 1;
  const zv = zeroPoint.data.length > 1;
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / inner) % dim;
    // fp32 subtraction (exact for integer zero points), then one rounding of the product.
    const diff = Math.fround(data.data[i]! - zeroPoint.data[zv ? c : 0]!);
    out[i] = roundTo(scale.dtype, diff * scale.data[sv ? c : 0]!);
  }
  return { dtype: scale.dtype, shape: [...shape], data: out };
}

/** Checks `blockwise_dequantize` inputs; returns the block grid (the scale's shape). */
export function blockwiseGrid(data: TensorType, scale: TensorType, offset: TensorType | undefined): readonly number[] {
  const shape = staticShape(data, 'data');
  const grid = staticShape(scale, 'scale');
  if (shape.length < 1) throw graphError('E_RANK', `input 'data' must have rank >= 1, got a scalar`);
  if (grid.length !== shape.length) {
    throw graphError('E_RANK', `input 'scale' has rank ${grid.length} (${formatShape(grid)}); expected the rank of data ${formatShape(shape)}, ${shape.length}`);
  }
  checkBlockGrid(shape, grid, 'scale', 'data');
  if (offset !== undefined) {
    const os = staticShape(offset, 'offset');
    if (os.length !== grid.length || os.some((d, i) => d !== grid[i])) {
      throw graphError('E_SHAPE_MISMATCH', `input 'offset' has shape ${formatShape(os)}; expected the shape of scale ${formatShape(grid)}`);
    }
    if (isFloat(offset.dtype) ? offset.dtype !== scale.dtype : offset.dtype !== data.dtype) {
      throw graphError(
        'E_DTYPE_MISMATCH',
        `input 'offset' is ${offset.dtype}; expected the dtype of data (${data.dtype}) or of scale (${scale.dtype})`,
      );
    }
  }
  return grid;
}

/** Reference kernel of `blockwise_dequantize`: scale[block] * (data - offset[block]). */
export function blockwiseDequantize(data: Tensor, scale: Tensor, offset: Tensor | undefined): Tensor {
  const grid = blockwiseGrid(data, scale, offset);
  const n = data.data.length;
  const dt = scale.dtype;
  const out = allocOutput('blockwise_dequantize', dt, n);
  const d = data.data;
  const s = scale.data;
  const o = offset?.data;
  const floatOffset = offset !== undefined && isFloat(offset.dtype);
  forEachBlockRow(data.shape, grid, (start, len, base, blockLen) => {
    for (let j = 0; j < len; j++) {
      const b = base + Math.floor(j / blockLen);
      const x = d[start + j]!;
      // An integer difference is exact; a float offset subtracts in the scale's dtype first.
      const diff = o === undefined ? x : floatOffset ? roundTo(dt, x - o[b]!) : x - o[b]!;
      out[start + j] = roundTo(dt, s[b]! * diff);
    }
  });
  return { dtype: dt, shape: [...data.shape], data: out };
}
