/**
 * IEEE 754 binary16 <-> binary32 conversion with round-to-nearest-even, subnormals,
 * infinities and NaN. Uses the Float32Array/Uint32Array aliasing trick for speed.
 * @module
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Converts an fp32 (or any JS number, first rounded to fp32) to fp16 bits. */
export function fp32ToFp16Bits(x: number): number {
  f32[0] = x;
  return fp16BitsOfFp32Bits(u32[0]!);
}

/** Converts fp16 bits to the exactly representable fp32 value. */
export function fp16BitsToFp32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Rounds a number to the nearest fp16 value (returned as a JS number). */
export function roundToFp16(x: number): number {
  return fp16BitsToFp32(fp32ToFp16Bits(x));
}

/** Rounds every element of `a` to fp16 in place. */
export function roundArrayToFp16(a: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = fp16BitsToFp32(fp32ToFp16Bits(a[i]!));
  return a;
}

/** Encodes fp32 values as fp16 bits. */
export function encodeFp16(src: ArrayLike<number>, dst: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  for (let i = 0; i < src.length; i++) dst[i] = fp32ToFp16Bits(src[i]!);
  return dst;
}

/** Decodes fp16 bits to fp32 values. */
export function decodeFp16(src: ArrayLike<number>, dst: Float32Array = new Float32Array(src.length)): Float32Array {
  for (let i = 0; i < src.length; i++) dst[i] = fp16BitsToFp32(src[i]!);
  return dst;
}

/** Converts bfloat16 bits to fp32 (exact: bf16 is the top half of an fp32). */
export function bf16BitsToFp32(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
}

/**
 * fp16 bits of the fp32 whose IEEE bits are `bits` (a uint32): {@link fp32ToFp16Bits} without
 * the scratch-array round trip, for bulk loops over a Uint32Array view of fp32 data.
 */
export function fp16BitsOfFp32Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  // Inf stays Inf; NaN keeps a quiet, non-zero payload.
  if (exp === 0xff) return mant !== 0 ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow to infinity
  if (e <= 0) {
    // Subnormal half (or zero): shift the full significand and round to nearest even.
    if (e < -10) return sign; // too small even to round up to the least subnormal
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rest > half || (rest === half && (h & 1) === 1)) h += 1;
    return sign | h;
  }
  // Normal: keep 10 bits of mantissa, round to nearest even; a carry bumps the exponent.
  const rest = mant & 0x1fff;
  let h = (e << 10) | (mant >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h += 1;
  return sign | h;
}

/**
 * Bulk {@link encodeFp16} of fp32 data: `dst[dstStart + j]` = fp16 bits of
 * `src[srcStart + j]` for j < `count`, read through a Uint32Array view of `src`'s bits (no
 * per-element number conversion; the common normal-range case is inlined). Same bits as
 * {@link fp32ToFp16Bits} element by element.
 */
export function encodeFp16Range(src: Float32Array, srcStart: number, count: number, dst: Uint16Array, dstStart = 0): Uint16Array {
  const u = new Uint32Array(src.buffer, src.byteOffset + srcStart * 4, count);
  for (let j = 0; j < count; j++) {
    const b = u[j]!;
    const a = b & 0x7fffffff;
    // Normal fp16 results (fp32 exponents 113..142): rebias the exponent in place, keep the top
    // 10 mantissa bits, round to nearest even without a branch (+1 iff the dropped 13 bits exceed
    // half, or equal it and the kept value is odd); a carry into exponent 31 gives infinity, as
    // the general path does.
    if (a >= 0x38800000 && a < 0x47800000) {
      const h = (a - 0x38000000) >>> 13;
      dst[dstStart + j] = (((b >>> 16) & 0x8000) | h) + (((a & 0x1fff) + 0xfff + (h & 1)) >>> 13);
    } else dst[dstStart + j] = fp16BitsOfFp32Bits(b);
  }
  return dst;
}

let fp16Values: Float32Array | undefined;

/** The fp32 value of every fp16 bit pattern (a 256 KiB table, built on first use). */
function fp16ValueTable(): Float32Array {
  if (!fp16Values) {
    const t = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) t[h] = fp16BitsToFp32(h);
    fp16Values = t;
  }
  return fp16Values;
}

/**
 * Rounds `a[start..start+count)` to fp16 in place: {@link roundArrayToFp16} on a range, through
 * {@link encodeFp16Range}'s bit path and a decode table. Same values as {@link roundToFp16}
 * element by element (NaNs stay NaN).
 */
export function roundFp16Range(a: Float32Array, start = 0, count = a.length - start): Float32Array {
  const table = fp16ValueTable();
  const u = new Uint32Array(a.buffer, a.byteOffset + start * 4, count);
  for (let j = 0; j < count; j++) a[start + j] = table[fp16BitsOfFp32Bits(u[j]!)]!;
  return a;
}

/**
 * Bulk {@link decodeFp16}: `dst[dstStart + j]` = the value of fp16 bits `src[srcStart + j]` for
 * j < `count`, through a 65,536-entry table instead of per-element arithmetic.
 */
export function decodeFp16Range(src: Uint16Array, srcStart: number, count: number, dst: Float32Array, dstStart = 0): Float32Array {
  const table = fp16ValueTable();
  for (let j = 0; j < count; j++) dst[dstStart + j] = table[src[srcStart + j]!]!;
  return dst;
}
