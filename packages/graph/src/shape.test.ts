import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isFastVlmError } from './errors.js';
import { checkShape, numel, stridesOf, tryBroadcast } from './shape.js';

/** Numpy broadcasting written independently: align right, each pair equal or one of them 1. */
function refBroadcast(a: number[], b: number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

describe('shapes', () => {
  it('broadcasts static shapes exactly as numpy does (including mismatches)', () => {
    const dims = fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 4 });
    fc.assert(fc.property(dims, dims, (a, b) => {
      expect(tryBroadcast(a, b)).toEqual(refBroadcast(a, b));
    }), { numRuns: 2000 });
  });

  it('broadcasts a symbol with 1 and with itself, and refuses to equate it with anything else', () => {
    expect(tryBroadcast([1, 'seq', 8], ['seq', 1])).toEqual([1, 'seq', 8]);
    expect(tryBroadcast(['seq'], [1])).toEqual(['seq']);
    expect(tryBroadcast(['seq'], [4])).toBeUndefined();
    expect(tryBroadcast(['seq'], ['len'])).toBeUndefined();
  });

  it('counts elements and rejects counts above 2^53 with E_SHAPE_OVERFLOW', () => {
    expect(numel([2, 3, 4])).toBe(24);
    expect(numel([])).toBe(1);
    expect(numel([2 ** 26, 2 ** 27])).toBe(2 ** 53);
    let err: unknown;
    try { numel([2 ** 27, 2 ** 27]); } catch (e) { err = e; }
    expect(isFastVlmError(err, 'E_SHAPE_OVERFLOW')).toBe(true);
    expect(() => checkShape([65536, 65536, 65536, 65536])).toThrow(/2\^53/);
  });

  it('rejects negative, fractional and non-identifier dims with E_SHAPE_INVALID', () => {
    for (const bad of [[-1], [1.5], ['1x'], ['a b']] as const) {
      let err: unknown;
      try { checkShape(bad); } catch (e) { err = e; }
      expect(isFastVlmError(err, 'E_SHAPE_INVALID')).toBe(true);
    }
    expect(() => checkShape([0, 'seq', 3])).not.toThrow();
  });

  it('row-major strides multiply the trailing dims', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 5 }), (s) => {
      const st = stridesOf(s);
      s.forEach((_, i) => expect(st[i]).toBe(s.slice(i + 1).reduce((p, d) => p * d, 1)));
    }));
  });
});
