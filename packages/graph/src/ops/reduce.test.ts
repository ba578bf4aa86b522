import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import './index.js';
import type { DType } from '../dtype.js';
import { roundToFp16 } from '../fp16.js';
import { runOp } from '../interpret/run-op.js';
import type { Attrs, TensorType } from '../ir/types.js';
import { type Tensor, tensor } from '../tensor.js';
import { arbShape, fillTensor } from '../testing/arb.js';
import { close, count, toStorage, unravel } from '../testing/naive-ref.js';
import { getOp } from './registry.js';
import { checkOp } from './validate.js';
import { errorCode } from '../testing/errors.js';

const run1 = (kind: string, inputs: Record<string, Tensor>, attrs: Attrs = {}): Tensor => runOp(kind, inputs, attrs)[0]!;
const REDUCE = ['reduce_sum', 'reduce_mean', 'reduce_max'];

/** A shape, a seed, and an axes attribute: absent, or a shuffled subset written with mixed signs. */
const arbCase = fc
  .tuple(arbShape(0, 4, 4), fc.integer({ min: 1, max: 0x7fffffff }), fc.boolean(), fc.boolean())
  .chain(([shape, seed, absent, keep]) => {
    const r = shape.length;
    const all = Array.from({ length: r }, (_, i) => i);
    return fc
      .tuple(fc.shuffledSubarray(all), fc.array(fc.boolean(), { minLength: r, maxLength: r }))
      .map(([sub, neg]) => ({ shape, seed, keep, axes: absent ? undefined : sub.map((a) => (neg[a] ? a - r : a)) }));
  });

/**
 * Naive reduction: every output element (over the kept-dims shape) scans the whole input and
 * takes the elements whose kept coordinates match.
 */
function naiveReduce(x: Tensor, axes: readonly number[] | undefined, fold: (vals: number[]) => number): { shape: number[]; keepShape: number[]; values: number[] } {
  const r = x.shape.length;
  const set = new Set((axes ?? Array.from({ length: r }, (_, i) => i)).map((a) => (a < 0 ? a + r : a)));
  const keepShape = x.shape.map((d, i) => (set.has(i) ? 1 : d));
  const shape = x.shape.filter((_, i) => !set.has(i));
  const values: number[] = [];
  for (let o = 0; o < count(keepShape); o++) {
    const oi = unravel(o, keepShape);
    const vals: number[] = [];
    for (let i = 0; i < x.data.length; i++) {
      const ii = unravel(i, x.shape as number[]);
      if (ii.every((v, k) => set.has(k) || v === oi[k])) vals.push(x.data[i]!);
    }
    values.push(fold(vals));
  }
  return { shape, keepShape, values };
}

const FOLD: Record<string, (int: boolean) => (vals: number[]) => number> = {
  reduce_sum: (int) => (vals) => (int ? Number(BigInt.asIntN(32, vals.reduce((a, b) => a + BigInt(b), 0n))) : vals.reduce((a, b) => a + b, 0)),
  reduce_mean: (int) => (vals) => {
    const s = vals.reduce((a, b) => a + b, 0);
    // Truncation toward zero spelled out with floor on the magnitude.
    return int ? Math.sign(s) * Math.floor(Math.abs(s) / vals.length) : s / vals.length;
  },
  reduce_max: () => (vals) => vals.reduce((a, b) => (b > a ? b : a), -Infinity),
};

describe('reductions vs naive loops', () => {
  for (const name of REDUCE) {
    for (const dtype of ['fp32', 'fp16', 'int32'] as DType[]) {
      it(`${name} ${dtype}: shape (with and without keep_dims) and values`, () => {
        fc.assert(
          fc.property(arbCase, ({ shape, seed, keep, axes }) => {
            const x = fillTensor(dtype, shape, seed, dtype === 'int32' ? 1e8 : 3);
            const attrs: Attrs = axes === undefined ? { keep_dims: keep } : { axes, keep_dims: keep };
            const out = run1(name, { x }, attrs);
            const ref = naiveReduce(x, axes, FOLD[name]!(dtype === 'int32'));
            expect(out.dtype).toBe(dtype);
            expect(out.shape).toEqual(keep ? ref.keepShape : ref.shape);
            ref.values.forEach((v, i) => {
              // Sums are accumulated in double by both sides, in different orders; fp32 rel 1e-6,
              // fp16 one ulp (1e-3); int32 exact.
              const want = toStorage(v, dtype);
              const rel = dtype === 'fp32' ? 1e-6 : dtype === 'fp16' ? 1e-3 : 0;
              if (!close(out.data[i]!, want, rel, dtype === 'int32' ? 0 : 1e-6)) expect.fail(`output ${i}: ${out.data[i]} vs ${want}`);
              if (dtype === 'fp16') expect(roundToFp16(out.data[i]!)).toBe(out.data[i]);
            });
          }),
          { numRuns: 60 },
        );
      });
    }
  }

  it('keep_dims only changes the shape; reduce_mean * N = reduce_sum (fp32, rel 1e-6)', () => {
    fc.assert(
      fc.property(arbCase, ({ shape, seed, axes }) => {
        const x = fillTensor('fp32', shape, seed);
        const a: Attrs = axes === undefined ? {} : { axes };
        for (const k of REDUCE) expect(Array.from(run1(k, { x }, { ...a, keep_dims: true }).data)).toEqual(Array.from(run1(k, { x }, a).data));
        const r = shape.length;
        const n = (axes ?? shape.map((_, i) => i)).reduce((p, ax) => p * shape[ax < 0 ? ax + r : ax]!, 1);
        const mean = run1('reduce_mean', { x }, a).data;
        const sum = run1('reduce_sum', { x }, a).data;
        mean.forEach((m, i) => expect(close(m * n, sum[i]!, 1e-6, 1e-6)).toBe(true));
      }),
    );
  });

  it('int32 sum wraps, int32 mean truncates toward zero, NaN wins in max', () => {
    expect(run1('reduce_sum', { x: tensor('int32', [2], [2 ** 31 - 1, 1]) }).data[0]).toBe(-(2 ** 31));
    expect(run1('reduce_mean', { x: tensor('int32', [2], [-3, -4]) }).data[0]).toBe(-3);
    expect(run1('reduce_mean', { x: tensor('int32', [2], [2 ** 31 - 1, 2 ** 31 - 1]) }).data[0]).toBe(2 ** 31 - 1);
    expect(run1('reduce_max', { x: tensor('fp32', [3], [1, NaN, 2]) }).data[0]).toBeNaN();
    expect(run1('reduce_max', { x: tensor('fp32', [3], [NaN, 1, 2]) }).data[0]).toBeNaN();
  });

  it('empty slices: sum 0, float mean NaN, max and int32 mean are E_INTERPRET', () => {
    const x = tensor('fp32', [2, 0], []);
    expect(Array.from(run1('reduce_sum', { x }, { axes: [1] }).data)).toEqual([0, 0]);
    expect(Array.from(run1('reduce_mean', { x }, { axes: [1] }).data).every(Number.isNaN)).toBe(true);
    expect(errorCode(() => run1('reduce_max', { x }, { axes: [1] }))).toBe('E_INTERPRET');
    expect(errorCode(() => run1('reduce_mean', { x: tensor('int32', [0], []) }))).toBe('E_INTERPRET');
    // Reducing a zero-size axis away from an empty result is fine: nothing to compute.
    expect(run1('reduce_max', { x }, { axes: [0] }).shape).toEqual([0]);
  });

  it('an empty axes list reduces nothing', () => {
    const x = fillTensor('fp32', [2, 3], 7);
    for (const k of REDUCE) {
      const out = run1(k, { x }, { axes: [] });
      expect(out.shape).toEqual([2, 3]);
      expect(Array.from(out.data)).toEqual(Array.from(x.data));
    }
  });
});

describe('reduction inference and errors', () => {
  const infer = (k: string, x: TensorType, attrs: Attrs = {}): TensorType => checkOp(getOp(k), { x }, attrs).outputs[0]!;

  it('keeps symbolic dims that are not reduced', () => {
    for (const k of REDUCE) {
      const x: TensorType = { dtype: 'fp16', shape: ['b', 's', 8] };
      expect(infer(k, x, { axes: [1] }).shape).toEqual(['b', 8]);
      expect(infer(k, x, { axes: [-2], keep_dims: true }).shape).toEqual(['b', 1, 8]);
      expect(infer(k, x).shape).toEqual([]);
      expect(infer(k, x, { keep_dims: true }).shape).toEqual([1, 1, 1]);
    }
  });

  it('duplicate or out-of-range axes give E_ATTR', () => {
    fc.assert(
      fc.property(fc.constantFrom(...REDUCE), arbShape(1, 4, 3), fc.nat(), fc.integer({ min: 0, max: 3 }), (k, shape, i, extra) => {
        const r = shape.length;
        const a = i % r;
        const x: TensorType = { dtype: 'fp32', shape };
        expect(errorCode(() => infer(k, x, { axes: [a, a - r] }))).toBe('E_ATTR');
        expect(errorCode(() => infer(k, x, { axes: [a, a] }))).toBe('E_ATTR');
        expect(errorCode(() => infer(k, x, { axes: [r + extra] }))).toBe('E_ATTR');
        expect(errorCode(() => infer(k, x, { axes: [-r - 1 - extra] }))).toBe('E_ATTR');
      }),
    );
  });

  it('bad dtypes, attribute kinds, inputs', () => {
    for (const k of REDUCE) {
      const x = fillTensor('fp32', [2, 3], 1);
      expect(errorCode(() => run1(k, { x: fillTensor('bool', [2], 1) }))).toBe('E_DTYPE_MISMATCH');
      expect(errorCode(() => run1(k, { x: fillTensor('int8', [2], 1) }))).toBe('E_DTYPE_MISMATCH');
      expect(errorCode(() => run1(k, { x }, { axes: [0.5] }))).toBe('E_ATTR');
      expect(errorCode(() => run1(k, { x }, { axes: 0 }))).toBe('E_ATTR');
      expect(errorCode(() => run1(k, { x }, { keep_dims: 1 }))).toBe('E_ATTR');
      expect(errorCode(() => run1(k, { x }, { axis: 0 }))).toBe('E_ATTR');
      expect(errorCode(() => run1(k, {}))).toBe('E_INPUT');
      expect(errorCode(() => run1(k, { x, y: x }))).toBe('E_INPUT');
    }
  });
});
