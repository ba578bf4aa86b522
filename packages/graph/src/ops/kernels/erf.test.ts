import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { erf } from './erf.js';

/** Alternating Taylor series: accurate to ~1e-13 for |x| <= 3 (largest term ~170). */
function taylorErf(x: number): number {
  let s = 0;
  let p = x;
  for (let n = 0; n < 150; n++) {
    s += p / (2 * n + 1);
    p *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * s;
}

/** erfc(x) for x >= 2 by composite Simpson integration of exp(-t^2) over [x, x + 8]. */
function simpsonErfc(x: number): number {
  const steps = 20000;
  const h = 8 / steps;
  let s = Math.exp(-x * x) + Math.exp(-(x + 8) * (x + 8));
  for (let i = 1; i < steps; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((x + i * h) ** 2));
  return ((2 / Math.sqrt(Math.PI)) * s * h) / 3;
}

describe('erf (double precision kernel)', () => {
  it('matches the Taylor series within 1e-12 on [-3, 3]', () => {
    fc.assert(fc.property(fc.double({ min: -3, max: 3, noNaN: true }), (x) => Math.abs(erf(x) - taylorErf(x)) < 1e-12));
  });

  it('matches 1 - erfc by Simpson integration within 1e-12 on [2, 7] and is odd', () => {
    fc.assert(
      fc.property(fc.double({ min: 2, max: 7, noNaN: true }), (x) => {
        expect(Math.abs(erf(x) - (1 - simpsonErfc(x)))).toBeLessThan(1e-12);
        expect(erf(-x)).toBe(-erf(x));
      }),
      { numRuns: 30 },
    );
  });

  it('is continuous across the branch points 2.5 and 6', () => {
    for (const b of [2.5, 6]) expect(Math.abs(erf(b) - erf(b - 1e-12))).toBeLessThan(1e-12);
  });

  it('handles zeros, infinities and NaN', () => {
    expect(Object.is(erf(0), 0)).toBe(true);
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(NaN)).toBeNaN();
  });
});
