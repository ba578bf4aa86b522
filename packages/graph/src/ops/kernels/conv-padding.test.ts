/**
 * One spatial axis of conv2d / avg_pool: output sizes pinned from coremltools 9.0
 * (`spatial_dimensions_out_shape` and `aggregated_pad` of coremltools.converters.mil.mil.ops.defs._utils,
 * run once on these cases), the split of `same` padding as documented, and the error.
 */
import { describe, expect, it } from 'vitest';
import { type PadType, resolveAxisWindow } from './conv-padding.js';
import { fastVlmError } from '../../testing/errors.js';

/** [pad_type, size, kernel extent, stride, custom [before, after], ceil_mode, total padding, output size]. */
const COREMLTOOLS: readonly (readonly [PadType, number, number, number, readonly [number, number], boolean, number, number])[] = [
  ['valid', 5, 1, 3, [0, 0], true, 0, 3],
  ['valid', 5, 1, 3, [0, 0], false, 0, 2],
  ['custom', 5, 2, 3, [1, 1], true, 2, 2],
  ['custom', 4, 2, 3, [1, 1], true, 2, 2],
  ['custom', 6, 3, 2, [0, 1], true, 1, 3],
  ['custom', 7, 3, 2, [2, 0], true, 2, 4],
  ['same', 7, 3, 2, [0, 0], false, 2, 4],
  ['same', 6, 4, 2, [0, 0], false, 2, 3],
  ['same_lower', 6, 4, 2, [0, 0], false, 2, 3],
  ['same', 5, 2, 1, [0, 0], true, 1, 5],
  ['same_lower', 9, 4, 3, [0, 0], true, 1, 3],
  ['valid', 10, 3, 4, [0, 0], true, 0, 3],
  ['custom', 3, 3, 2, [1, 2], true, 3, 3],
];

describe('resolveAxisWindow', () => {
  it("matches coremltools' output size and total padding, floor mode by default", () => {
    for (const [padType, size, kernel, stride, custom, ceil, total, out] of COREMLTOOLS) {
      const w = resolveAxisWindow('conv2d', padType, size, kernel, stride, custom, ceil);
      const label = `${padType} size ${size} kernel ${kernel} stride ${stride} pad ${custom.join('+')} ceil ${ceil}`;
      expect(w.out, label).toBe(out);
      expect(w.before + w.after, label).toBe(total);
      if (!ceil) expect(resolveAxisWindow('conv2d', padType, size, kernel, stride, custom), `${label} (default)`).toEqual(w);
    }
  });

  it('puts the odd padding element after for same and before for same_lower; custom is taken as given', () => {
    expect(resolveAxisWindow('x', 'same', 5, 2, 1, [0, 0])).toEqual({ before: 0, after: 1, out: 5 });
    expect(resolveAxisWindow('x', 'same_lower', 5, 2, 1, [0, 0])).toEqual({ before: 1, after: 0, out: 5 });
    expect(resolveAxisWindow('x', 'custom', 5, 2, 1, [2, 1])).toEqual({ before: 2, after: 1, out: 7 });
    expect(resolveAxisWindow('x', 'valid', 5, 2, 1, [2, 1])).toEqual({ before: 0, after: 0, out: 4 });
  });

  it('refuses a kernel larger than the padded input, naming both', () => {
    const e = fastVlmError(() => resolveAxisWindow('conv2d height', 'custom', 3, 7, 1, [1, 2]), 'E_SHAPE_MISMATCH');
    expect(e.detail).toBe('conv2d height: the kernel extent 7 is larger than the padded input 6 (size 3 + padding 1 + 2)');
  });
});
