import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FP16_UNIT_ROUNDOFF, cosineSimilarity, fp16Bounds, maxRelError } from './metrics.js';

describe('error measures', () => {
  it('cosine similarity of known pairs', () => {
    expect(cosineSimilarity([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 15);
    expect(cosineSimilarity([1, 2, 3], [-1, -2, -3])).toBeCloseTo(-1, 15);
    expect(cosineSimilarity([1, 0], [0, 5])).toBe(0);
    expect(cosineSimilarity([3, 4], [4, 3])).toBeCloseTo(24 / 25, 15);
    expect(cosineSimilarity([0, 0], [0, 0])).toBe(1);
    expect(cosineSimilarity([0, 0], [1, 0])).toBe(0);
    expect(cosineSimilarity([1, Number.NaN], [1, 1])).toBeNaN();
    expect(cosineSimilarity([1], [1, 2])).toBeNaN();
  });

  it('max relative error is max|a - b| / max|b|', () => {
    expect(maxRelError([1, 2], [1, 4])).toBe(0.5);
    // A tiny element does not blow the measure up (an element-wise ratio would give 1e6).
    expect(maxRelError([10, 1e-6 + 1], [10, 1e-6])).toBeCloseTo(0.1, 12);
    expect(maxRelError([0, 0], [0, 0])).toBe(0);
    expect(maxRelError([1, 0], [0, 0])).toBe(Number.POSITIVE_INFINITY);
    expect(maxRelError([Number.NaN], [1])).toBeNaN();
    expect(maxRelError([1], [1, 2])).toBeNaN();
  });

  it('a uniform relative change e of every element gives max rel error |e| (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e6, max: 1e6 }).map((k) => k / 1e4), { minLength: 1, maxLength: 20 }), fc.double({ min: -0.5, max: 0.5, noNaN: true }), (b, e) => {
        fc.pre(b.some((x) => x !== 0));
        const a = b.map((x) => x * (1 + e));
        expect(maxRelError(a, b)).toBeCloseTo(Math.abs(e), 12);
        expect(cosineSimilarity(a, b)).toBeCloseTo(1, 12);
      }),
    );
  });

  it('fp16 bounds: sqrt(D) u and 1 - D u^2', () => {
    expect(FP16_UNIT_ROUNDOFF).toBe(1 / 2048);
    expect(fp16Bounds(4)).toEqual({ maxRel: 2 / 2048, minCosine: 1 - 4 / 2048 ** 2 });
    expect(fp16Bounds(100).maxRel).toBeCloseTo(10 / 2048, 15);
  });
});
