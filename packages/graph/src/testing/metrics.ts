/**
 * Error measures shared by the numeric tests: cosine similarity, the normwise max relative
 * error max|a - b| / max|b|, the depth of a function (the D of a rounding-error bound) and the
 * fp16 bounds the FastVLM pass test asserts. Sums run in float64. Test-only (not exported from
 * the package entry).
 * @module
 */
import type { Func, Value } from '../ir/types.js';

/** fp16 unit roundoff (round to nearest, 11-bit significand): 2^-11. */
export const FP16_UNIT_ROUNDOFF = 2 ** -11;

/** fp32 unit roundoff (round to nearest, 24-bit significand): 2^-24. */
export const FP32_UNIT_ROUNDOFF = 2 ** -24;

/** The longest chain of ops from an input to any value (constants count 0). */
export function opDepth(fn: Func): number {
  const depth = new Map<Value, number>();
  let max = 0;
  for (const op of fn.body.ops) {
    let d = 0;
    for (const v of op.inputValues()) d = Math.max(d, depth.get(v) ?? 0);
    if (op.kind !== 'const') d += 1;
    for (const o of op.outputs) depth.set(o, d);
    max = Math.max(max, d);
  }
  return max;
}

/**
 * Cosine similarity a.b / (|a| |b|). Two zero vectors are identical (1); a zero vector against
 * a non-zero one has no direction in common (0). NaN anywhere gives NaN, so bounds fail.
 */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.NaN;
  // Scaled by the largest magnitudes first, so tiny or huge vectors neither underflow nor overflow.
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    sa = Math.max(sa, Math.abs(a[i]!));
    sb = Math.max(sb, Math.abs(b[i]!));
  }
  if (Number.isNaN(sa) || Number.isNaN(sb)) return Number.NaN;
  if (sa === 0 && sb === 0) return 1;
  if (sa === 0 || sb === 0) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! / sa;
    const y = b[i]! / sb;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

/**
 * Max relative error of `actual` against `expected`, normwise: max|a - b| / max|b|. Unlike an
 * element-wise ratio it does not blow up on elements near zero. 0 when both are all zero,
 * Infinity when only `expected` is; NaN anywhere gives NaN.
 */
export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Number.NaN;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (Number.isNaN(d)) return Number.NaN;
    diff = Math.max(diff, d);
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  if (diff === 0) return 0;
  return scale === 0 ? Number.POSITIVE_INFINITY : diff / scale;
}

/**
 * The bounds of an fp16 computation `depth` ops deep, against an exact (fp32) reference.
 *
 * Each op rounds its result to fp16 once (relative error <= u = 2^-11), and each weight is
 * rounded once. Rounding errors are independent and zero-mean, so they add up like a random walk:
 * after D roundings the relative error is about sqrt(D) u, not the worst case D u (probabilistic
 * rounding error analysis, Higham & Mary 2019). The blocks of FastVLM are well conditioned
 * (normalizations, residual adds, softmax), so the constant stays near 1:
 *
 * - max rel error <= sqrt(D) u;
 * - cosine: with a normwise error |a - b| / |b| <= e the angle between a and b has sin <= e, so
 *   1 - cos <= e^2 = D u^2.
 *
 * D is the longest chain of ops (constants excluded). It counts the exact ops on the path too
 * (reshape, transpose, slice, concat, pad), which outnumber the weight roundings it leaves out:
 * on the tiny FastVLM the roundings of any path, weights included, are 116 / 1 / 42 / 42 for
 * vision / embed / prefill / decode against D = 147 / 2 / 80 / 72.
 */
export function fp16Bounds(depth: number): { readonly maxRel: number; readonly minCosine: number } {
  const e = Math.sqrt(depth) * FP16_UNIT_ROUNDOFF;
  return { maxRel: e, minCosine: 1 - e * e };
}
