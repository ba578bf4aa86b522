/**
 * The fp16 row kernels of linear quantization (per channel and per block: every block is a run
 * of consecutive elements), working on the raw IEEE bits. Two passes over each run, both tight
 * typed-array loops while the run is in L1: the range from integer compares of the bit
 * patterns (finite fp16 magnitudes order like their low 15 bits, so no decoding; NaN and
 * infinity show up as a magnitude >= 0x7c00), then one code per element.
 * @module
 */
import { fp16Op } from './numpy-round.js';

/** Magnitude bits at or above this are NaN or infinity. */
export const FP16_NONFINITE = 0x7c00;

/**
 * The largest magnitude (bits & 0x7fff) of bits[start..end): `fp16Values()[m]` is
 * max |w| of the run; m >= {@link FP16_NONFINITE} when the run holds a NaN or an infinity.
 */
export function maxMagnitudeFp16(bits: Uint16Array, start: number, end: number): number {
  let m = 0;
  for (let e = start; e < end; e++) {
    const a = bits[e]! & 0x7fff;
    m = a > m ? a : m;
  }
  return m;
}

/**
 * The largest positive and largest negative magnitude of bits[start..end) as `pos | neg << 16`
 * (each 0 when the run has none): `fp16Values()[pos]` is max(0, max w) and `-fp16Values()[neg]`
 * is min(0, min w), the range of asymmetric quantization.
 */
export function signedMaxFp16(bits: Uint16Array, start: number, end: number): number {
  let pos = 0;
  let neg = 0;
  for (let e = start; e < end; e++) {
    const h = bits[e]!;
    // -1 for negative patterns, 0 for positive ones: splits the magnitude without a branch
    // (a test of the sign, random across a row, mispredicts half the time).
    const sign = -(h >>> 15);
    const a = h & 0x7fff;
    const p = a & ~sign;
    const n = a & sign;
    pos = p > pos ? p : pos;
    neg = n > neg ? n : neg;
  }
  return pos | (neg << 16);
}

/** Half integers k + 0.5 with k below this take the table path of {@link codesFp16}. */
const HALF_ULP_LIMIT = 512;

/** Half the fp16 spacing at k + 0.5, for k < {@link HALF_ULP_LIMIT}. */
const HALF_ULP = ((): Float64Array => {
  const t = new Float64Array(HALF_ULP_LIMIT);
  // k + 0.5 in [2^e, 2^(e+1)) has spacing 2^(e-10).
  for (let k = 0; k < HALF_ULP_LIMIT; k++) t[k] = 2 ** (Math.floor(Math.log2(k + 0.5)) - 11);
  return t;
})();

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * `np.round(w / s)` for fp16 `w` and `s`: the quotient in fp32, rounded to fp16 (to nearest,
 * ties to even), then to the nearest integer, halves to even. Quotients in fp16's normal range
 * are rounded on their fp32 bits here (the generic conversion measured ~20x slower); others go
 * through {@link fp16Op}.
 */
export function roundQuotientFp16(w: number, s: number): number {
  f32[0] = w / s;
  let b = u32[0]!;
  const exp = (b >>> 23) & 0xff;
  let r: number;
  if (exp >= 113 && exp <= 142) {
    // fp16 keeps 10 of the 23 mantissa bits; a carry out of the mantissa bumps the exponent.
    const rest = b & 0x1fff;
    b -= rest;
    if (rest > 0x1000 || (rest === 0x1000 && (b & 0x2000) !== 0)) b += 0x2000;
    u32[0] = b;
    r = f32[0]!;
  } else r = fp16Op(w / s);
  const f = Math.floor(r);
  const d = r - f;
  if (d !== 0.5) return d < 0.5 ? f : f + 1;
  // Integer parity: `%` on doubles is a slow library call. |f| < 2^31 when the quotient is finite fp16.
  return (f & 1) === 0 ? f : f + 1;
}

/**
 * Writes the codes of bits[start..end) into `out`: `clip(round(w / s) + zp, qmin, qmax)` as a
 * byte (two's complement), where `round(w / s)` is numpy's: the quotient in fp32 rounded to
 * fp16, then half to even. Rounding the quotient to fp16 moves it by at most |t| * 2^-11, so it
 * can only change the answer within that distance of a half integer; elsewhere the nearest
 * integer of the double quotient `t` is the answer, and the exact path runs for a few percent
 * of the elements. (`w * (1 / s)` is within a few double ulps of `w / s`, far inside the band.)
 * `s` must be positive; `table` is `fp16Values()`.
 */
export function codesFp16(bits: Uint16Array, table: Float32Array, start: number, end: number, s: number, zp: number, qmin: number, qmax: number, out: Uint8Array): void {
  const inv = 1 / s;
  const hu = HALF_ULP;
  // Math.floor(t + 0.5) and Math.abs compile to branch-free instructions; Math.round and
  // tests of the sign of t (random) measured 2-3x slower.
  for (let e = start; e < end; e++) {
    const x = table[bits[e]!]!;
    const t = x * inv;
    let q = Math.floor(t + 0.5);
    const d = t + 0.5 - q;
    const band = Math.abs(t) * 4.8828125e-4 + 1e-9;
    if (d <= band || d >= 1 - band) {
      // Near the half integer h: numpy's quotient f rounds to h in fp16 iff within h's half
      // ulp (ties go to h: its fp16 mantissa is even below 512); then halves go to even.
      const h = d <= band ? q - 0.5 : q + 0.5;
      const ah = Math.abs(h);
      const k = ah | 0;
      if (k >= HALF_ULP_LIMIT) q = roundQuotientFp16(x, s);
      else {
        const f = Math.fround(x / s);
        const af = Math.abs(f);
        // Below 0.5 the fp16 spacing halves: 0.5's rounding interval reaches 2^-13 below it.
        const below = k === 0 ? 1.220703125e-4 : hu[k]!;
        if (af - ah <= hu[k]! && ah - af <= below) {
          const lo = h - 0.5;
          q = (lo & 1) === 0 ? lo : lo + 1;
        } else q = f > h ? h + 0.5 : h - 0.5;
      }
    }
    // Clipped as a double (an overflowing quotient is infinite), stored as an int32.
    q += zp;
    q = q < qmin ? qmin : q;
    q = q > qmax ? qmax : q;
    out[e] = q & 255;
  }
}
