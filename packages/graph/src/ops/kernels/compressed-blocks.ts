/**
 * Block geometry shared by the compressed-constant ops: a tensor of shape `shape` split into a
 * grid of equal blocks, `grid[i]` blocks along axis i (each `shape[i] / grid[i]` long). Used by
 * `lut_dequantize` (one look-up table per block) and `blockwise_dequantize` (one scale and
 * offset per block).
 * @module
 */
import { graphError } from '../../errors.js';
import { formatShape } from '../../shape.js';

/**
 * Throws `E_SHAPE_MISMATCH` unless every `shape[i]` is a multiple of `grid[i]` (same rank is
 * checked by the caller). `what` names the grid tensor in the message.
 */
export function checkBlockGrid(shape: readonly number[], grid: readonly number[], what: string, dataName: string): void {
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    const g = grid[i]!;
    if (g < 1 || d % g !== 0) {
      throw graphError(
        'E_SHAPE_MISMATCH',
        `'${what}' has ${g} block(s) on axis ${i} but '${dataName}' ${formatShape(shape)} has ${d} there; each axis of '${dataName}' must be a multiple of the block count`,
      );
    }
  }
}

/**
 * Calls `row(start, length, blockBase, blockLen)` for every run of the last axis of `shape`
 * (row-major): elements `start .. start+length-1`, where element `start + j` belongs to the
 * block with flat grid index `blockBase + floor(j / blockLen)`. The grid is `grid` (same rank);
 * block indices are row-major over the grid. A rank-0 shape is one run of one element.
 */
export function forEachBlockRow(
  shape: readonly number[],
  grid: readonly number[],
  row: (start: number, length: number, blockBase: number, blockLen: number) => void,
): void {
  const rank = shape.length;
  if (rank === 0) {
    row(0, 1, 0, 1);
    return;
  }
  const last = shape[rank - 1]!;
  const lastBlock = last / grid[rank - 1]!;
  let rows = 1;
  for (let i = 0; i < rank - 1; i++) rows *= shape[i]!;
  if (last === 0 || rows === 0) return;
  // Grid strides (row-major) and the per-axis block lengths of the leading axes.
  const gridStride = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) gridStride[i] = gridStride[i + 1]! * grid[i + 1]!;
  const idx = new Array<number>(Math.max(0, rank - 1)).fill(0);
  for (let r = 0; r < rows; r++) {
    let base = 0;
    for (let i = 0; i < rank - 1; i++) base += Math.floor(idx[i]! / (shape[i]! / grid[i]!)) * gridStride[i]!;
    row(r * last, last, base, lastBlock);
    for (let i = rank - 2; i >= 0; i--) {
      if (++idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
}
