/**
 * Python slicing of one axis (`x[begin:end:stride]`): the first index read and the number of
 * elements, with negative indices counted from the end and out-of-range bounds clamped.
 * @module
 */

/** Largest int32: as `end` with a positive stride it always means "to the end". */
export const SLICE_TO_END = 2147483647;
/** Smallest int32: as `end` with a negative stride it always means "to the start". */
export const SLICE_TO_START = -2147483648;

/** The resolved slice of one axis: the first index read and how many elements. */
export interface AxisSlice {
  readonly start: number;
  readonly length: number;
}

/**
 * Resolves `begin:end:stride` on an axis of `size` exactly as Python does for integer bounds.
 * Positive stride: bounds clamp to [0, size]; negative stride: to [-1, size - 1] after adding
 * `size` to negative values. `stride` must be non-zero (checked by the caller).
 */
export function resolveAxisSlice(begin: number, end: number, stride: number, size: number): AxisSlice {
  const norm = (v: number, lo: number, hi: number): number => {
    const a = v < 0 ? v + size : v;
    return Math.min(hi, Math.max(lo, a));
  };
  if (stride > 0) {
    const b = norm(begin, 0, size), e = norm(end, 0, size);
    return { start: b, length: e > b ? Math.ceil((e - b) / stride) : 0 };
  }
  const b = norm(begin, -1, size - 1), e = norm(end, -1, size - 1);
  return { start: b, length: b > e ? Math.ceil((b - e) / -stride) : 0 };
}
