/**
 * The strided kernels against naive index arithmetic, with guard values around the output
 * block: they must write exactly the block they are given (matmul and transpose call them on
 * slices of a larger output), including views of empty and rank-0 shapes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stridedCopy } from './strided-copy.js';
import { gemmStrided } from './strided-gemm.js';

/** Marks output slots the kernel must not touch. */
const GUARD = -777;

describe('stridedCopy', () => {
  it('reads src[offset + sum idx_i * strides_i] in row-major order and writes only the view (property)', () => {
    const view = fc
      .array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 })
      .chain((shape) => fc.tuple(fc.constant(shape), fc.array(fc.integer({ min: -3, max: 3 }), { minLength: shape.length, maxLength: shape.length })));
    fc.assert(
      fc.property(view, ([shape, strides]) => {
        // An offset that keeps every read in range (negative strides read backwards from it).
        const offset = strides.reduce((a, s, i) => a + Math.max(0, -s) * Math.max(0, shape[i]! - 1), 0);
        const span = offset + strides.reduce((a, s, i) => a + Math.max(0, s) * Math.max(0, shape[i]! - 1), 0) + 1;
        const src = Float32Array.from({ length: span }, (_, i) => i + 1);
        const n = shape.reduce((a, b) => a * b, 1);
        const out = new Float32Array(n + 2).fill(GUARD);
        stridedCopy(src, offset, strides, shape, out.subarray(1, 1 + n));
        const want: number[] = [];
        const idx = new Array<number>(shape.length).fill(0);
        for (let e = 0; e < n; e++) {
          want.push(src[offset + idx.reduce((a, v, i) => a + v * strides[i]!, 0)]!);
          for (let k = shape.length - 1; k >= 0 && ++idx[k]! === shape[k]; k--) idx[k] = 0;
        }
        expect([...out]).toEqual([GUARD, ...want, GUARD]);
      }),
      { numRuns: 300 },
    );
  });

  it('copies the one element of a rank-0 view and nothing of an empty one', () => {
    const out = new Float32Array([GUARD, GUARD]);
    stridedCopy(Float32Array.from([5, 6, 7]), 2, [], [], out);
    expect([...out]).toEqual([7, GUARD]);
    // A zero-size outer axis: no element, even with room in the output (it is a view of a larger one).
    const room = new Float32Array(4).fill(GUARD);
    stridedCopy(Float32Array.from([1, 2, 3]), 0, [3, 1], [0, 3], room);
    expect([...room]).toEqual([GUARD, GUARD, GUARD, GUARD]);
  });
});

describe('gemmStrided', () => {
  it('writes the M x N product at outOff and nothing around it, for row- and column-strided b (property)', () => {
    const dims = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 3 }));
    fc.assert(
      fc.property(dims, ([m, k, n, aTransposed, bTransposed, outOff]) => {
        // a is M x K, b is K x N, each stored row-major or transposed (column-major).
        const a = Float32Array.from({ length: m * k }, (_, i) => ((i * 7) % 5) - 2);
        const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 3) % 7) - 3);
        const at = (r: number, c: number): number => a[aTransposed ? c * m + r : r * k + c]!;
        const bt = (r: number, c: number): number => b[bTransposed ? c * k + r : r * n + c]!;
        const av = { data: a, off: 0, rs: aTransposed ? 1 : k, cs: aTransposed ? m : 1 };
        const bv = { data: b, off: 0, rs: bTransposed ? 1 : n, cs: bTransposed ? k : 1 };
        const out = new Float32Array(outOff + m * n + n + 1).fill(GUARD);
        gemmStrided(av, bv, out, outOff, m, k, n, new Float64Array(n + 1));
        const want: number[] = [];
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += at(i, p) * bt(p, j);
            want.push(s);
          }
        }
        expect([...out]).toEqual([...new Array<number>(outOff).fill(GUARD), ...want, ...new Array<number>(n + 1).fill(GUARD)]);
      }),
      { numRuns: 200 },
    );
  });
});
