import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fp16BitsToFp32, fp32ToFp16Bits, roundToFp16 } from './fp16.js';

/** Bit-level definition of binary16, written independently from the implementation. */
function refDecode(h: number): number {
  const s = (h >> 15) & 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  let v: number;
  if (e === 31) v = m ? NaN : Infinity;
  else if (e === 0) v = m / 1024 * Math.pow(2, -14);
  else v = (1 + m / 1024) * Math.pow(2, e - 15);
  return s ? -v : v;
}

/** Nearest fp16 by exhaustive search over finite positives, ties to even mantissa. */
const POS: number[] = [];
for (let h = 0; h < 0x7c00; h++) POS.push(refDecode(h));
function refEncode(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  // Overflow threshold: halfway between 65504 and 65536 rounds to infinity (ties to even).
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0, hi = POS.length - 1;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (POS[mid]! <= a) lo = mid; else hi = mid - 1; }
  if (POS[lo] === a || lo === POS.length - 1) return sign | lo;
  const dl = a - POS[lo]!, dh = POS[lo + 1]! - a;
  if (dl < dh) return sign | lo;
  if (dh < dl) return sign | (lo + 1);
  return sign | (lo % 2 === 0 ? lo : lo + 1);
}

describe('fp16', () => {
  it('decodes all 65,536 bit patterns as the bit-level definition says', () => {
    for (let h = 0; h < 65536; h++) {
      const want = refDecode(h);
      const got = fp16BitsToFp32(h);
      if (Number.isNaN(want)) expect(Number.isNaN(got)).toBe(true);
      else expect(Object.is(got, want) || got === want).toBe(true);
    }
  });

  it('round-trips every non-NaN fp16 value through fp32 bit-exactly; NaNs stay NaN', () => {
    for (let h = 0; h < 65536; h++) {
      const back = fp32ToFp16Bits(fp16BitsToFp32(h));
      if (((h >> 10) & 31) === 31 && (h & 1023) !== 0) expect((back & 0x7c00) === 0x7c00 && (back & 0x3ff) !== 0).toBe(true);
      else expect(back).toBe(h);
    }
  });

  it('rounds the midpoints between adjacent fp16 values to the even neighbour', () => {
    for (let h = 0; h < 0x7bff; h++) {
      const mid = (refDecode(h) + refDecode(h + 1)) / 2; // exact in fp32: one more mantissa bit
      expect(fp32ToFp16Bits(mid)).toBe(h % 2 === 0 ? h : h + 1);
      expect(fp32ToFp16Bits(-mid)).toBe(0x8000 | (h % 2 === 0 ? h : h + 1));
    }
  });

  it('matches nearest-even search on random fp32 values', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (x) => {
        expect(fp32ToFp16Bits(x)).toBe(refEncode(Math.fround(x)));
      }),
      { numRuns: 20000 },
    );
  });

  it('handles infinities, overflow and underflow', () => {
    expect(fp32ToFp16Bits(Infinity)).toBe(0x7c00);
    expect(fp32ToFp16Bits(-Infinity)).toBe(0xfc00);
    expect(fp32ToFp16Bits(65519)).toBe(0x7bff);
    expect(fp32ToFp16Bits(65520)).toBe(0x7c00);
    expect(fp32ToFp16Bits(2 ** -25)).toBe(0); // exactly half the least subnormal: ties to even (0)
    expect(fp32ToFp16Bits(2 ** -25 * 1.0001)).toBe(1);
    expect(roundToFp16(1 / 3)).toBeCloseTo(0.333251953125, 12);
  });
});
