/**
 * fast-check arbitraries shared by the property tests: shapes, tensors, broadcastable shape
 * pairs. Test-only (not exported from the package entry).
 * @module
 */
import fc from 'fast-check';
import type { DType } from '../dtype.js';
import { dtypeInfo } from '../dtype.js';
import { roundToFp16 } from '../fp16.js';
import { type Tensor, allocData } from '../tensor.js';
import { uniform } from './rng.js';

/** A static shape with rank in [minRank, maxRank] and dims in [1, maxDim]. */
export function arbShape(minRank = 0, maxRank = 4, maxDim = 5): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/** Deterministic tensor content from a seed (fast to generate, shrinks by seed). */
export function fillTensor(dtype: DType, shape: readonly number[], seed: number, range = 2): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = allocData(dtype, n);
  const next = uniform(seed);
  const info = dtypeInfo(dtype);
  for (let i = 0; i < n; i++) {
    if (info.kind === 'float') {
      const v = (next() * 2 - 1) * range;
      data[i] = dtype === 'fp16' ? roundToFp16(v) : Math.fround(v);
    } else if (info.kind === 'bool') {
      data[i] = next() < 0.5 ? 1 : 0;
    } else {
      const lo = Math.max(info.min, -range * 4), hi = Math.min(info.max, range * 4);
      data[i] = Math.floor(lo + next() * (hi - lo + 1));
    }
  }
  return { dtype, shape: [...shape], data };
}

/** A tensor of the given dtype with an arbitrary shape. */
export function arbTensor(dtype: DType, shape: fc.Arbitrary<number[]> = arbShape(), range = 2): fc.Arbitrary<Tensor> {
  return fc.tuple(shape, fc.integer({ min: 1, max: 0x7fffffff })).map(([s, seed]) => fillTensor(dtype, s, seed, range));
}

/** A tensor of a given fixed shape. */
export function arbTensorOfShape(dtype: DType, shape: readonly number[], range = 2): fc.Arbitrary<Tensor> {
  return fc.integer({ min: 1, max: 0x7fffffff }).map((seed) => fillTensor(dtype, shape, seed, range));
}

/** Two shapes that broadcast: a common shape with some dims set to 1 or dropped from the front. */
export function arbBroadcastPair(maxRank = 4, maxDim = 4): fc.Arbitrary<[number[], number[]]> {
  return arbShape(0, maxRank, maxDim).chain((full) =>
    fc.tuple(
      fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      fc.integer({ min: 0, max: full.length }),
    ).map(([ma, mb, drop]): [number[], number[]] => [
      full.map((d, i) => (ma[i] ? 1 : d)),
      full.map((d, i) => (mb[i] ? 1 : d)).slice(drop),
    ]),
  );
}

/** Max absolute difference between two float arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
