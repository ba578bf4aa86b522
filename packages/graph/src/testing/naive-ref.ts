/**
 * Naive reference helpers for the op property tests: explicit multi-index math, broadcasting
 * written out dimension by dimension, and dtype storage conversion. They
 * share no code with the kernels they check. Test-only (not exported from the package entry).
 * @module
 */
import type { DType } from '../dtype.js';
import { roundToFp16 } from '../fp16.js';
import type { Tensor } from '../tensor.js';

/** The row-major multi-index of flat index `i` in `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  let rest = i;
  for (let k = shape.length - 1; k >= 0; k--) {
    const d = shape[k]!;
    idx[k] = rest % d;
    rest = Math.floor(rest / d);
  }
  return idx;
}

/** The flat row-major index of multi-index `idx` in `shape`. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let k = 0; k < shape.length; k++) flat = flat * shape[k]! + idx[k]!;
  return flat;
}

/** Product of dims. */
export function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Numpy broadcast of static shapes, written out naively; `undefined` when they clash. */
export function naiveBroadcastShape(...shapes: (readonly number[])[]): number[] | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    // Dim k of the result, counting from the left; input dims aligned on the right.
    const dims = shapes.map((s) => (k - (rank - s.length) >= 0 ? s[k - (rank - s.length)]! : 1));
    const big = dims.filter((d) => d !== 1);
    if (big.some((d) => d !== big[0])) return undefined;
    out.push(big.length ? big[0]! : 1);
  }
  return out;
}

/** The element of `t` read at output multi-index `outIdx` when `t` is broadcast to that rank. */
export function readBroadcast(t: Tensor, outIdx: readonly number[]): number {
  const off = outIdx.length - t.shape.length;
  const idx = t.shape.map((d, k) => (d === 1 ? 0 : outIdx[off + k]!));
  return t.data[ravel(idx, t.shape as number[])]!;
}

/** Converts a double to what a tensor of `dtype` stores: fp32/fp16 rounding, int32 wrap, bool 0/1. */
export function toStorage(v: number, dtype: DType): number {
  switch (dtype) {
    case 'fp32':
      return Math.fround(v);
    case 'fp16':
      return roundToFp16(v);
    case 'bool':
      return v ? 1 : 0;
    default:
      return Number(BigInt.asIntN(32, BigInt(v)));
  }
}

/** True when `a` and `b` are within `abs + rel * |b|` (NaN only equals NaN; equal infinities pass). */
export function close(a: number, b: number, rel: number, abs: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= abs + rel * Math.abs(b);
}
