import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fp16BitsToFp32, roundToFp16 } from '@fastvlm/graph';
import { FP16_NONFINITE, codesFp16, maxMagnitudeFp16, roundQuotientFp16, signedMaxFp16 } from './linear-fp16.js';
import { type QuantDType, quantRange, quantizeLinear } from './linear.js';
import { simdKernels } from './simd.js';
import { fp16Values } from './values.js';

/** np.round, written out: nearest integer, halves to the even one. */
function npRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d !== 0.5) return d < 0.5 ? f : f + 1;
  return f / 2 === Math.floor(f / 2) ? f : f + 1;
}

/** numpy's `clip(round(w / s) + zp)` on fp16 values: the quotient in fp32, then fp16, then np.round. */
function refCode(w: number, s: number, zp: number, qmin: number, qmax: number): number {
  const q = npRound(roundToFp16(Math.fround(w / s))) + zp;
  return Math.min(qmax, Math.max(qmin, q));
}

/** The byte of a code (two's complement). */
const byte = (q: number): number => ((q % 256) + 256) % 256;

const SPECIAL = [0x0000, 0x8000, 0x0001, 0x8001, 0x03ff, 0x83ff, 0x0400, 0x7bff, 0xfbff, 0x3c00, 0xbc00, 0x3800, 0xb800];

/** Finite fp16 bit patterns, biased towards zeros, subnormals and the largest magnitudes. */
const arbBits = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).filter((b) => (b & 0x7c00) !== 0x7c00),
  fc.constantFrom(...SPECIAL),
  fc.integer({ min: 0, max: 0x3ff }),
  fc.integer({ min: 0x8000, max: 0x83ff }),
);

/** A positive finite fp16 scale, subnormal to huge. */
const arbScale = fc.oneof(fc.integer({ min: 1, max: 0x7bff }), fc.constantFrom(1, 0x3c00, 0x2008, 0x0400, 0x7bff)).map((b) => fp16BitsToFp32(b));

/** A quantization type's range with a zero point inside it. */
const arbRange = fc
  .record({ dtype: fc.constantFrom<QuantDType>('int8', 'uint8', 'int4', 'uint4'), symmetric: fc.boolean(), zpAt: fc.double({ min: 0, max: 1, noNaN: true }) })
  .map(({ dtype, symmetric, zpAt }) => {
    const { min, max } = quantRange(dtype, symmetric);
    return { qmin: min, qmax: max, zp: Math.round(min + zpAt * (max - min)) };
  });

const FINITE: number[] = [];
for (let b = 0; b < 0x10000; b++) if ((b & 0x7c00) !== 0x7c00) FINITE.push(b);

describe('fp16 row kernels', () => {
  it('find the largest magnitude and the largest of each sign from the bits', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(arbBits, fc.constantFrom(0x7c00, 0xfc00, 0x7e00)), { minLength: 0, maxLength: 40 }), (list) => {
        const bits = Uint16Array.from(list);
        const vals = list.map((b) => fp16BitsToFp32(b));
        const m = maxMagnitudeFp16(bits, 0, bits.length);
        const bad = vals.some((v) => !Number.isFinite(v));
        expect(m >= FP16_NONFINITE).toBe(bad);
        if (bad) return;
        expect(fp16BitsToFp32(m)).toBe(vals.reduce((a, v) => Math.max(a, Math.abs(v)), 0));
        const both = signedMaxFp16(bits, 0, bits.length);
        expect(fp16BitsToFp32(both & 0xffff)).toBe(vals.reduce((a, v) => Math.max(a, v), 0));
        expect(-fp16BitsToFp32(both >>> 16) + 0).toBe(vals.reduce((a, v) => Math.min(a, v), 0) + 0);
      }),
      { numRuns: 300 },
    );
  });

  it('round quotients as numpy does (fp32, fp16, halves to even)', () => {
    fc.assert(
      fc.property(arbBits, arbScale, (b, s) => {
        const w = fp16BitsToFp32(b);
        expect(roundQuotientFp16(w, s)).toBe(npRound(roundToFp16(Math.fround(w / s))));
      }),
      { numRuns: 2000 },
    );
    // Exact half integers after the fp16 rounding, both parities, both signs.
    for (const [w, s] of [[2.5, 1], [3.5, 1], [-2.5, 1], [-3.5, 1], [0.5, 1], [-0.5, 1], [1.5, 0.5], [100.5, 1], [65504, 0.5]] as const) {
      expect(roundQuotientFp16(w, s)).toBe(npRound(roundToFp16(Math.fround(w / s))));
    }
  });

  const kernels = simdKernels();

  it('are available as WebAssembly SIMD on this Node', () => {
    expect(kernels).toBeDefined();
  });

  /** Codes of `list` by the plain loop and by SIMD (padded to whole steps of eight). */
  function bothCodes(list: readonly number[], s: number, zp: number, qmin: number, qmax: number): { plain: number[]; simd: number[] } {
    const bits = Uint16Array.from(list);
    const out = new Uint8Array(list.length);
    codesFp16(bits, fp16Values(), 0, list.length, s, zp, qmin, qmax, out);
    const k = kernels!;
    const n8 = Math.ceil(list.length / 8);
    const dst = 16 + 16 * n8;
    k.reserve(dst + 8 * n8);
    k.halves.fill(0, 8, 8 + 8 * n8);
    k.halves.set(bits, 8);
    k.codes(16, dst, n8, s, zp, qmin, qmax);
    return { plain: Array.from(out), simd: Array.from(k.bytes.subarray(dst, dst + list.length)) };
  }

  it('quantize every finite fp16 value exactly as numpy, plain and SIMD, for assorted scales', () => {
    // Scales from fp16 bits: subnormal, tiny, the int8 step of 1, powers of two (exact half-integer
    // quotients: halves to even), odd mantissas, the largest.
    for (const sb of [0x0001, 0x0155, 0x1c08, 0x2008, 0x3800, 0x3c00, 0x3e01, 0x57f0, 0x7bff]) {
      const s = fp16BitsToFp32(sb);
      for (const [zp, qmin, qmax] of [[0, -127, 127], [127, 0, 254], [-3, -128, 127], [7, 0, 14]] as const) {
        const { plain, simd } = bothCodes(FINITE, s, zp, qmin, qmax);
        const want = FINITE.map((b) => byte(refCode(fp16BitsToFp32(b), s, zp, qmin, qmax)));
        const firstBad = (got: number[]): number => got.findIndex((v, i) => v !== want[i]);
        expect(firstBad(plain), `plain, scale ${s}, zp ${zp}`).toBe(-1);
        expect(firstBad(simd), `simd, scale ${s}, zp ${zp}`).toBe(-1);
      }
    }
  });

  it('quantize arbitrary runs exactly as numpy (property)', () => {
    fc.assert(
      fc.property(fc.array(arbBits, { minLength: 1, maxLength: 50 }), arbScale, arbRange, (list, s, { zp, qmin, qmax }) => {
        const want = list.map((b) => byte(refCode(fp16BitsToFp32(b), s, zp, qmin, qmax)));
        const { plain, simd } = bothCodes(list, s, zp, qmin, qmax);
        expect(plain).toEqual(want);
        expect(simd).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });

  it('give quantizeLinear results equal to a naive quantizer across several SIMD chunks of odd-length rows', () => {
    // 40 rows of 2003: 32 rows per chunk of 2^16 elements, so two chunks; every row's last
    // group of eight runs over into the next row (or the padding after the chunk).
    const rows = 40;
    const cols = 2003;
    const bits = new Uint16Array(rows * cols);
    let x = 12345;
    for (let i = 0; i < bits.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      // Rows of very different magnitudes (exponent shifted per row), a zero row, subnormals.
      const r = Math.floor(i / cols);
      const e = r === 7 ? 0 : Math.max(0, Math.min(29, ((x >>> 26) & 7) + 3 * (r % 8)));
      bits[i] = r === 7 ? 0 : ((x >>> 16) & 0x8000) | (e << 10) | (x & 0x3ff);
    }
    const got = quantizeLinear({ dtype: 'fp16', shape: [rows, cols], bits }, { dtype: 'int8', symmetric: true, grid: [rows, 1] });
    for (let r = 0; r < rows; r++) {
      const row = Array.from(bits.subarray(r * cols, (r + 1) * cols), (b) => fp16BitsToFp32(b));
      const s = roundToFp16(roundToFp16(2 * Math.max(...row.map(Math.abs))) / 254);
      expect(got.scale[r]).toBe(s);
      const want = row.map((w) => (s === 0 ? 0 : refCode(w, s, 0, -127, 127)));
      const data = Array.from(got.data.subarray(r * cols, (r + 1) * cols));
      const bad = data.findIndex((v, i) => v !== want[i]);
      expect(bad, `row ${r}`).toBe(-1);
    }
  });

  it('give quantizeLinear per-channel results equal to a naive quantizer for any row length (SIMD steps and tails)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 37 }),
        fc.constantFrom<QuantDType>('int8', 'uint8', 'int4', 'uint4'),
        fc.boolean(),
        fc.array(arbBits, { minLength: 148, maxLength: 148 }),
        (rows, cols, dtype, symmetric, pool) => {
          // Asymmetric: magnitudes below 32 (exponent bits 12-13 cleared), since coremltools' fp16
          // zero point overflows (qmin * max beyond 65504) for weights beyond ~257.
          const bits = Uint16Array.from(pool.slice(0, rows * cols), (b) => (symmetric ? b : b & 0xcfff));
          const got = quantizeLinear({ dtype: 'fp16', shape: [rows, cols], bits }, { dtype, symmetric, grid: [rows, 1] });
          const { min: qmin, max: qmax } = quantRange(dtype, symmetric);
          for (let r = 0; r < rows; r++) {
            const row = Array.from(bits.subarray(r * cols, (r + 1) * cols), (b) => fp16BitsToFp32(b));
            // coremltools' parameters, every fp16 op rounded.
            let lo = Math.min(0, ...row);
            let hi = Math.max(0, ...row);
            if (symmetric) {
              hi = Math.max(...row.map(Math.abs));
              lo = -hi;
            }
            const range = roundToFp16(hi - lo);
            const s = roundToFp16(range / (qmax - qmin));
            let zp = 0;
            if (symmetric && dtype.startsWith('u')) zp = Math.floor(qmax / 2);
            else if (!symmetric) zp = range === 0 ? Math.max(qmin, Math.min(qmax, 0)) : Math.max(qmin, Math.min(qmax, npRound(roundToFp16(roundToFp16(roundToFp16(qmin * hi) - roundToFp16(qmax * lo)) / range))));
            expect(got.scale[r]).toBe(s);
            if (got.offset) expect(got.offset[r]).toBe(zp);
            else expect(symmetric && !dtype.startsWith('u')).toBe(true);
            const want = row.map((w) => (s === 0 ? zp : refCode(w, s, zp, qmin, qmax)));
            expect(Array.from(got.data.subarray(r * cols, (r + 1) * cols))).toEqual(want);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
