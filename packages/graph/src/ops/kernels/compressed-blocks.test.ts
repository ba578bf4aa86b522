/** Block grids of the compressed-constant ops: the check, and the rows walked against a naive block index. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkBlockGrid, forEachBlockRow } from './compressed-blocks.js';
import { fastVlmError } from '../../testing/errors.js';

describe('checkBlockGrid', () => {
  it('accepts divisors and refuses a count that does not divide the axis, zero or a negative one', () => {
    checkBlockGrid([4, 6], [2, 3], 'lut', 'indices');
    checkBlockGrid([4, 6], [4, 1], 'lut', 'indices');
    const e = fastVlmError(() => checkBlockGrid([4, 6], [2, 4], 'lut', 'indices'), 'E_SHAPE_MISMATCH');
    expect(e.detail).toBe("'lut' has 4 block(s) on axis 1 but 'indices' [4,6] has 6 there; each axis of 'indices' must be a multiple of the block count");
    // -2 divides 4 arithmetically, 0 makes the remainder NaN: both are refused as counts.
    expect(fastVlmError(() => checkBlockGrid([4], [-2], 'scale', 'data'), 'E_SHAPE_MISMATCH').detail).toContain("'scale' has -2 block(s) on axis 0");
    expect(fastVlmError(() => checkBlockGrid([4], [0], 'scale', 'data'), 'E_SHAPE_MISMATCH').detail).toContain("'scale' has 0 block(s) on axis 0");
  });
});

describe('forEachBlockRow', () => {
  it('assigns every element the block of its multi-index, row by row (property)', () => {
    const grids = fc
      .array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 3 })
      .map((axes) => ({ grid: axes.map(([g]) => g), shape: axes.map(([g, len]) => g * len) }));
    fc.assert(
      fc.property(grids, ({ grid, shape }) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const got = new Array<number>(n).fill(-1);
        let calls = 0;
        forEachBlockRow(shape, grid, (start, length, base, blockLen) => {
          calls++;
          expect(length).toBe(shape[shape.length - 1]);
          for (let j = 0; j < length; j++) got[start + j] = base + Math.floor(j / blockLen);
        });
        expect(calls).toBe(n / shape[shape.length - 1]!);
        // Naive: the block of element e is the row-major grid index of floor(idx_i / blockLen_i).
        const want = Array.from({ length: n }, (_, e) => {
          let rest = e;
          const idx = new Array<number>(shape.length);
          for (let i = shape.length - 1; i >= 0; i--) {
            idx[i] = rest % shape[i]!;
            rest = Math.floor(rest / shape[i]!);
          }
          return idx.reduce((acc, v, i) => acc * grid[i]! + Math.floor(v / (shape[i]! / grid[i]!)), 0);
        });
        expect(got).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  it('walks a rank-0 shape as one run of one element and an empty shape not at all', () => {
    const rows: number[][] = [];
    forEachBlockRow([], [], (...r) => rows.push(r));
    expect(rows).toEqual([[0, 1, 0, 1]]);
    for (const shape of [
      [3, 0],
      [0, 4],
    ]) {
      const none: number[][] = [];
      forEachBlockRow(shape, [1, 1], (...r) => none.push(r));
      expect(none, JSON.stringify(shape)).toEqual([]);
    }
  });
});
