/** Python slicing of one axis: cases pinned from Python's own `list(range(size))[begin:end:stride]`. */
import { describe, expect, it } from 'vitest';
import { SLICE_TO_END, SLICE_TO_START, resolveAxisSlice } from './slice-range.js';

/** [begin, end, stride, size, first index read (null when empty), length], from Python 3. */
const PYTHON: readonly (readonly [number, number, number, number, number | null, number])[] = [
  [0, SLICE_TO_END, 1, 5, 0, 5],
  [1, 4, 2, 5, 1, 2],
  [-2, SLICE_TO_END, 1, 5, 3, 2],
  [3, 1, 1, 5, null, 0],
  [2, 2, 1, 5, null, 0],
  [10, SLICE_TO_START, -1, 5, 4, 5],
  [4, SLICE_TO_START, -2, 5, 4, 3],
  [-1, -6, -1, 5, 4, 5],
  [3, 0, -1, 5, 3, 3],
  [2, 2, -1, 5, null, 0],
  [1, 3, -1, 5, null, 0],
  [-10, 10, 3, 5, 0, 2],
  [5, SLICE_TO_START, -1, 5, 4, 5],
  [0, SLICE_TO_END, 1, 0, null, 0],
  [0, SLICE_TO_START, -1, 0, null, 0],
  [-1, SLICE_TO_START, -1, 1, 0, 1],
];

describe('resolveAxisSlice', () => {
  it('gives the first index and the count Python gives, clamping out-of-range bounds', () => {
    for (const [begin, end, stride, size, first, length] of PYTHON) {
      const r = resolveAxisSlice(begin, end, stride, size);
      const label = `[${begin}:${end}:${stride}] of ${size}`;
      expect(r.length, label).toBe(length);
      if (first !== null) expect(r.start, label).toBe(first);
    }
  });
});
