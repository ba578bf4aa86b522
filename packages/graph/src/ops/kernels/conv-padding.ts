/**
 * Spatial padding and output sizes of conv2d and avg_pool, following Core ML's definitions of
 * `pad_type` (coremltools `aggregated_pad` and `spatial_dimensions_out_shape`).
 * @module
 */
import { graphError } from '../../errors.js';

/** Padding and output size of one spatial axis. */
export interface AxisWindow {
  /** Padding before (top/left) and after (bottom/right) the input. */
  readonly before: number;
  readonly after: number;
  /** Output size along the axis. */
  readonly out: number;
}

/** The `pad_type` values of conv and pooling. */
export type PadType = 'valid' | 'same' | 'same_lower' | 'custom';

/**
 * Resolves one spatial axis. `kernel` is the dilated kernel extent `(k - 1) * dilation + 1`.
 * - `valid`: no padding; `custom`: the given `before`/`after`;
 * - `same`/`same_lower`: output `ceil(size / stride)`, total padding
 *   `max(0, (out - 1) * stride + kernel - size)`; `same` puts the odd extra element after,
 *   `same_lower` before.
 *
 * The output size is `floor((size + before + after - kernel) / stride) + 1`, or with
 * `ceilMode` `floor((size + before + after - kernel + stride - 1) / stride) + 1`, minus one when
 * that last window would start in the trailing padding (Core ML's rule, applied when there is
 * padding). Throws `E_SHAPE_MISMATCH` when the kernel is larger than the padded input.
 */
export function resolveAxisWindow(
  what: string,
  padType: PadType,
  size: number,
  kernel: number,
  stride: number,
  custom: readonly [number, number],
  ceilMode = false,
): AxisWindow {
  let before = 0, after = 0;
  if (padType === 'same' || padType === 'same_lower') {
    const out = Math.ceil(size / stride);
    const total = Math.max(0, (out - 1) * stride + kernel - size);
    const small = Math.floor(total / 2);
    before = padType === 'same' ? small : total - small;
    after = total - before;
  } else if (padType === 'custom') {
    [before, after] = custom;
  }
  const padded = size + before + after;
  if (kernel > padded) {
    throw graphError('E_SHAPE_MISMATCH', `${what}: the kernel extent ${kernel} is larger than the padded input ${padded} (size ${size} + padding ${before} + ${after})`);
  }
  let out: number;
  if (!ceilMode) {
    out = Math.floor((padded - kernel) / stride) + 1;
  } else {
    out = Math.floor((padded - kernel + stride - 1) / stride) + 1;
    if (before + after > 0 && (out - 1) * stride >= size + (before + after) / 2) out -= 1;
  }
  return { before, after, out };
}
