/**
 * Rounding as numpy does it, so our quantizers reproduce coremltools' results bit for bit:
 * `np.round` (half to even), fp16 arithmetic (each op computed in fp32 and rounded to fp16),
 * and float64 -> float16 casts (one correct rounding, not through fp32).
 * @module
 */
import { fp16BitsToFp32, fp32ToFp16Bits, roundToFp16 } from '@fastvlm/graph';

/** `np.round`: to the nearest integer, halves to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

let table: Float32Array | undefined;

/** Result of a numpy fp16 binary op whose exact (double) result is `x`: fp32 rounding, then fp16. */
export function fp16Op(x: number): number {
  // Same value as roundToFp16, with the bits decoded through a table (hot loops call this).
  if (!table) {
    table = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) table[b] = fp16BitsToFp32(b);
  }
  return table[fp32ToFp16Bits(x)]!;
}

/** Result of a numpy fp32 op whose double result is `x` (correct for + - * / of fp32 operands). */
export function fp32Op(x: number): number {
  return Math.fround(x);
}

/**
 * `np.float64(x).astype(np.float16)`: the fp16 value nearest to the double `x` (ties to even
 * mantissa), rounded once. Going through fp32 can round twice; the neighbours of that result
 * are checked so the answer is the correctly rounded one.
 */
export function doubleToFp16(x: number): number {
  if (!Number.isFinite(x)) return roundToFp16(x);
  const h = fp32ToFp16Bits(x);
  let best = h;
  let bestV = fp16BitsToFp32(h);
  let bestD = Math.abs(x - bestV);
  for (const cand of [h - 1, h + 1]) {
    if (cand < 0 || cand > 0xffff || (cand & 0x7fff) >= 0x7c00 || (cand & 0x8000) !== (h & 0x8000)) continue;
    const v = fp16BitsToFp32(cand);
    const dd = Math.abs(x - v);
    if (dd < bestD || (dd === bestD && (cand & 1) === 0 && (best & 1) === 1)) {
      best = cand;
      bestV = v;
      bestD = dd;
    }
  }
  return bestV;
}
