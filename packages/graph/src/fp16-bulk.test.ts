import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFp16Range, encodeFp16Range, fp16BitsOfFp32Bits, roundFp16Range } from './fp16.js';

/** binary16 bits -> value, from the format's definition. */
function refDecode(h: number): number {
  const e = (h >> 10) & 31;
  const m = h & 1023;
  const v = e === 31 ? (m ? NaN : Infinity) : e === 0 ? (m / 1024) * 2 ** -14 : (1 + m / 1024) * 2 ** (e - 15);
  return h & 0x8000 ? -v : v;
}

/** Finite non-negative fp16 values in bit order (which is value order). */
const POS: number[] = [];
for (let h = 0; h < 0x7c00; h++) POS.push(refDecode(h));

/** The fp32 with IEEE bits `b`. */
function f32OfBits(b: number): number {
  return new Float32Array(new Uint32Array([b >>> 0]).buffer)[0]!;
}

/**
 * Reference fp32 bits -> fp16 bits: the nearest fp16 by binary search, ties to the even
 * pattern, overflow to infinity from 65520 up; NaN keeps its sign and top payload bits, quiet.
 */
function refEncodeBits(b: number): number {
  const sign = b & 0x80000000 ? 0x8000 : 0;
  const x = f32OfBits(b);
  if (Number.isNaN(x)) return sign | 0x7e00 | ((b & 0x7fffff) >>> 13);
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = POS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (POS[mid]! <= a) lo = mid;
    else hi = mid - 1;
  }
  if (POS[lo] === a || lo === POS.length - 1) return sign | lo;
  const dl = a - POS[lo]!;
  const dh = POS[lo + 1]! - a;
  return sign | (dl < dh ? lo : dh < dl ? lo + 1 : lo % 2 === 0 ? lo : lo + 1);
}

/** Bit patterns around every rounding decision: each exponent, sign, and mantissas near ties. */
function edgeBits(): number[] {
  const mants = [0, 1, 0xfff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x2fff, 0x3000, 0x3001, 0x7fe000, 0x7fefff, 0x7ff000, 0x7ff001, 0x7fffff];
  const out: number[] = [];
  for (let e = 0; e < 256; e++) for (const s of [0, 0x80000000]) for (const m of mants) out.push((s | (e << 23) | m) >>> 0);
  return out;
}

describe('bulk fp16 encoding', () => {
  it('fp16BitsOfFp32Bits and encodeFp16Range give the reference bits at every exponent and rounding edge', () => {
    const bits = edgeBits();
    const src = new Float32Array(new Uint32Array(bits).buffer);
    const dst = encodeFp16Range(src, 0, src.length, new Uint16Array(src.length));
    for (let i = 0; i < bits.length; i++) {
      const want = refEncodeBits(bits[i]!);
      expect(fp16BitsOfFp32Bits(bits[i]!), `bits ${bits[i]!.toString(16)}`).toBe(want);
      expect(dst[i], `bits ${bits[i]!.toString(16)}`).toBe(want);
    }
  });

  it('encodes any fp32 bits in a sub-range and leaves the rest of the destination alone (property)', () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 64 }), fc.nat(), fc.nat(), fc.nat({ max: 5 }), (words, a, b, pad) => {
      const src = new Float32Array(new Uint32Array(words).buffer);
      const start = words.length ? a % words.length : 0;
      const count = b % (words.length - start + 1);
      const dst = new Uint16Array(count + 2 * pad).fill(0xabcd);
      encodeFp16Range(src, start, count, dst, pad);
      for (let j = 0; j < dst.length; j++) {
        const want = j >= pad && j < pad + count ? refEncodeBits(words[start + j - pad]!) : 0xabcd;
        expect(dst[j]).toBe(want);
      }
    }), { numRuns: 300 });
  });

  it('roundFp16Range rounds a range in place to the nearest fp16 value (property)', () => {
    fc.assert(fc.property(fc.array(fc.float({ noDefaultInfinity: false }), { maxLength: 64 }), fc.nat(), fc.nat(), (xs, a, b) => {
      const arr = Float32Array.from(xs);
      const before = Float32Array.from(arr);
      const u = new Uint32Array(before.buffer);
      const start = xs.length ? a % xs.length : 0;
      const count = b % (xs.length - start + 1);
      roundFp16Range(arr, start, count);
      for (let i = 0; i < arr.length; i++) {
        if (i < start || i >= start + count) expect(Object.is(arr[i], before[i])).toBe(true);
        else if (Number.isNaN(before[i]!)) expect(Number.isNaN(arr[i]!)).toBe(true);
        else expect(Object.is(arr[i], refDecode(refEncodeBits(u[i]!)))).toBe(true);
      }
    }), { numRuns: 300 });
  });
});

describe('bulk fp16 decoding', () => {
  it('decodeFp16Range gives the defined value of all 65,536 patterns, into a sub-range of the destination', () => {
    const src = new Uint16Array(65536 + 3);
    for (let h = 0; h < 65536; h++) src[h + 3] = h;
    const dst = new Float32Array(65536 + 2).fill(7);
    decodeFp16Range(src, 3, 65536, dst, 1);
    expect(dst[0]).toBe(7);
    expect(dst[65537]).toBe(7);
    for (let h = 0; h < 65536; h++) {
      const want = refDecode(h);
      if (Number.isNaN(want)) expect(Number.isNaN(dst[h + 1]!)).toBe(true);
      else expect(Object.is(dst[h + 1], want)).toBe(true);
    }
  });
});
