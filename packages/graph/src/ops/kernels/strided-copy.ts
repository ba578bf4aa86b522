/**
 * Strided copies for the data-movement ops (transpose, slice): reads a view of a row-major
 * buffer, described by a start offset and one stride per output axis, into a fresh dense array.
 * @module
 */
import type { StaticShape } from '../../shape.js';
import type { TensorData } from '../../tensor.js';

/**
 * Copies the view `src[offset + sum_i idx_i * strides[i]]` over every index `idx` of `shape`
 * (row-major) into `out`, which must hold `prod(shape)` elements. Strides may be negative (a
 * reversed slice) or zero. The innermost axis is a tight loop; the outer axes use an odometer
 * that updates the source offset incrementally, so no per-element allocation happens.
 */
export function stridedCopy(src: TensorData, offset: number, strides: readonly number[], shape: StaticShape, out: TensorData): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = src[offset]!;
    return;
  }
  for (const d of shape) if (d === 0) return;
  const inner = shape[rank - 1]!;
  const innerStride = strides[rank - 1]!;
  const idx = new Array<number>(rank - 1).fill(0);
  let base = offset;
  let o = 0;
  for (;;) {
    for (let k = 0, s = base; k < inner; k++, s += innerStride) out[o++] = src[s]!;
    // Advance the odometer over the outer axes.
    let ax = rank - 2;
    while (ax >= 0) {
      idx[ax]!++;
      base += strides[ax]!;
      if (idx[ax]! < shape[ax]!) break;
      base -= strides[ax]! * shape[ax]!;
      idx[ax] = 0;
      ax--;
    }
    if (ax < 0) return;
  }
}
