import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import './index.js';
import type { DType } from '../dtype.js';
import { roundToFp16 } from '../fp16.js';
import { runOp } from '../interpret/run-op.js';
import type { Attrs, TensorType } from '../ir/types.js';
import type { Dim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { arbShape, fillTensor } from '../testing/arb.js';
import { close, ravel, toStorage, unravel } from '../testing/naive-ref.js';
import { getOp } from './registry.js';
import { checkOp } from './validate.js';
import { errorCode } from '../testing/errors.js';

const run1 = (kind: string, inputs: Record<string, Tensor>, attrs: Attrs = {}): Tensor => runOp(kind, inputs, attrs)[0]!;
const infer = (kind: string, inputs: Record<string, TensorType>, attrs: Attrs = {}): TensorType => checkOp(getOp(kind), inputs, attrs).outputs[0]!;
const tt = (dtype: DType, shape: Dim[]): TensorType => ({ dtype, shape });
const FLOATS: DType[] = ['fp32', 'fp16'];
/** Output tolerance: both sides compute in double and round once; fp32 rel 1e-6, fp16 one ulp. */
const REL: Record<string, number> = { fp32: 1e-6, fp16: 1e-3 };
const ABS = 1e-6;

const positive = (t: Tensor): Tensor => ({ ...t, data: t.data.map((v) => toStorage(Math.abs(v) + 0.1, t.dtype)) });

describe('batch_norm', () => {
  const arbCase = fc.tuple(fc.constantFrom(...FLOATS), arbShape(3, 5, 4), fc.integer({ min: 1, max: 1e9 }), fc.boolean(), fc.boolean());

  it('equals the formula per channel (axis 1), gamma and beta optional', () => {
    fc.assert(
      fc.property(arbCase, fc.double({ min: 0, max: 0.1, noNaN: true }), ([dtype, shape, seed, withGamma, withBeta], eps) => {
        const c = shape[1]!;
        const x = fillTensor(dtype, shape, seed, 3);
        const mean = fillTensor(dtype, [c], seed + 1);
        const variance = positive(fillTensor(dtype, [c], seed + 2));
        const gamma = withGamma ? fillTensor(dtype, [c], seed + 3) : undefined;
        const beta = withBeta ? fillTensor(dtype, [c], seed + 4) : undefined;
        const inputs: Record<string, Tensor> = { x, mean, variance };
        if (gamma) inputs['gamma'] = gamma;
        if (beta) inputs['beta'] = beta;
        const out = run1('batch_norm', inputs, { epsilon: eps });
        expect(out.shape).toEqual(shape);
        expect(out.dtype).toBe(dtype);
        for (let i = 0; i < x.data.length; i++) {
          const ch = unravel(i, shape)[1]!;
          const v = ((x.data[i]! - mean.data[ch]!) / Math.sqrt(variance.data[ch]! + eps)) * (gamma ? gamma.data[ch]! : 1) + (beta ? beta.data[ch]! : 0);
          if (!close(out.data[i]!, toStorage(v, dtype), REL[dtype]!, ABS)) expect.fail(`element ${i}: ${out.data[i]} vs ${v}`);
          if (dtype === 'fp16') expect(roundToFp16(out.data[i]!)).toBe(out.data[i]);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('default epsilon is 1e-5', () => {
    const x = { dtype: 'fp32' as const, shape: [1, 1, 1], data: new Float32Array([1]) };
    const z = { dtype: 'fp32' as const, shape: [1], data: new Float32Array([0]) };
    expect(run1('batch_norm', { x, mean: z, variance: z }).data[0]).toBe(Math.fround(1 / Math.sqrt(1e-5)));
  });

  it('infers same:x with a symbolic channel; rejects bad ranks, shapes, dtypes, attrs', () => {
    const x = tt('fp16', ['n', 'c', 4, 4]);
    const p = tt('fp16', ['c']);
    expect(infer('batch_norm', { x, mean: p, variance: p, gamma: p, beta: p })).toEqual(x);
    expect(errorCode(() => infer('batch_norm', { x, mean: tt('fp16', [3]), variance: p }))).toBe('E_SHAPE_MISMATCH');
    expect(errorCode(() => infer('batch_norm', { x, mean: p, variance: p, beta: tt('fp16', ['c', 1]) }))).toBe('E_SHAPE_MISMATCH');
    expect(errorCode(() => infer('batch_norm', { x, mean: p, variance: p, gamma: tt('fp32', ['c']) }))).toBe('E_DTYPE_MISMATCH');
    expect(errorCode(() => infer('batch_norm', { x: tt('int32', [1, 2, 3]), mean: tt('int32', [2]), variance: tt('int32', [2]) }))).toBe('E_DTYPE_MISMATCH');
    expect(errorCode(() => infer('batch_norm', { x, mean: p }))).toBe('E_INPUT');
    expect(errorCode(() => infer('batch_norm', { x, mean: p, variance: p }, { epsilon: -1 }))).toBe('E_ATTR');
    expect(errorCode(() => infer('batch_norm', { x, mean: p, variance: p }, { axis: 1 }))).toBe('E_ATTR');
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 2, 6, 7), (rank) => {
        const shape = Array.from({ length: rank }, () => 2);
        expect(errorCode(() => infer('batch_norm', { x: tt('fp32', shape), mean: tt('fp32', [2]), variance: tt('fp32', [2]) }))).toBe('E_RANK');
      }),
    );
  });
});

/** A shape (rank >= 1) and a non-empty axes set: absent (all axes) or a shuffled subset with mixed signs. */
const arbNormCase = (allowAbsent: boolean) =>
  fc.tuple(arbShape(1, 4, 5), fc.integer({ min: 1, max: 0x7fffffff })).chain(([shape, seed]) => {
    const r = shape.length;
    const all = Array.from({ length: r }, (_, i) => i);
    return fc
      .tuple(fc.shuffledSubarray(all, { minLength: 1 }), fc.array(fc.boolean(), { minLength: r, maxLength: r }), fc.boolean())
      .map(([sub, neg, absent]) => ({ shape, seed, axes: allowAbsent && absent ? undefined : sub.map((a) => (neg[a] ? a - r : a)) }));
  });

/** Normalized axes, sorted, and the gamma shape (x's dims at those axes, increasing order). */
function normalized(shape: readonly number[], axes: readonly number[] | undefined): { sorted: number[]; pshape: number[] } {
  const r = shape.length;
  const sorted = [...new Set((axes ?? shape.map((_, i) => i)).map((a) => (a < 0 ? a + r : a)))].sort((a, b) => a - b);
  return { sorted, pshape: sorted.map((a) => shape[a]!) };
}

/** Groups element indices by their coordinates on the axes NOT normalized (naive, via string keys). */
function groupsOf(shape: readonly number[], sorted: readonly number[]): number[][] {
  const m = new Map<string, number[]>();
  const n = shape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < n; i++) {
    const key = unravel(i, shape as number[])
      .filter((_, k) => !sorted.includes(k))
      .join(',');
    if (!m.has(key)) m.set(key, []);
    m.get(key)!.push(i);
  }
  return [...m.values()];
}

/** Index of element `i`'s normalized coordinates inside a parameter of shape `pshape`. */
const paramIndex = (i: number, shape: readonly number[], sorted: readonly number[], pshape: readonly number[]): number =>
  ravel(
    sorted.map((a) => unravel(i, shape as number[])[a]!),
    pshape,
  );

describe('layer_norm', () => {
  it('with no gamma/beta: mean ~0 (abs 1e-5) and variance v/(v+eps) (abs 1e-5, so ~1) over the axes (fp32)', () => {
    fc.assert(
      fc.property(arbNormCase(true), ({ shape, seed, axes }) => {
        const x = fillTensor('fp32', shape, seed, 3);
        const out = run1('layer_norm', { x }, axes === undefined ? {} : { axes });
        expect(out.shape).toEqual(shape);
        const { sorted } = normalized(shape, axes);
        for (const g of groupsOf(shape, sorted)) {
          const mean = (d: ArrayLike<number>): number => g.reduce((s, i) => s + d[i]!, 0) / g.length;
          const vr = (d: ArrayLike<number>): number => g.reduce((s, i) => s + (d[i]! - mean(d)) ** 2, 0) / g.length;
          const v = vr(x.data);
          expect(Math.abs(mean(out.data))).toBeLessThan(1e-5);
          expect(Math.abs(vr(out.data) - v / (v + 1e-5))).toBeLessThan(1e-5);
          if (v > 0.01) expect(Math.abs(vr(out.data) - 1)).toBeLessThan(1e-3);
        }
      }),
      { numRuns: 60 },
    );
  });

  for (const dtype of FLOATS) {
    it(`${dtype}: equals (x - mean) / sqrt(var + eps) * gamma + beta with gamma shaped like the sorted axes`, () => {
      fc.assert(
        fc.property(arbNormCase(true), fc.boolean(), fc.boolean(), fc.double({ min: 1e-6, max: 0.1, noNaN: true }), ({ shape, seed, axes }, withG, withB, eps) => {
          const x = fillTensor(dtype, shape, seed, 3);
          const { sorted, pshape } = normalized(shape, axes);
          const gamma = withG ? fillTensor(dtype, pshape, seed + 1) : undefined;
          const beta = withB ? fillTensor(dtype, pshape, seed + 2) : undefined;
          const inputs: Record<string, Tensor> = { x };
          if (gamma) inputs['gamma'] = gamma;
          if (beta) inputs['beta'] = beta;
          const attrs: Attrs = axes === undefined ? { epsilon: eps } : { axes, epsilon: eps };
          const out = run1('layer_norm', inputs, attrs);
          expect(out.dtype).toBe(dtype);
          for (const g of groupsOf(shape, sorted)) {
            const mean = g.reduce((s, i) => s + x.data[i]!, 0) / g.length;
            const v = g.reduce((s, i) => s + (x.data[i]! - mean) ** 2, 0) / g.length;
            for (const i of g) {
              const p = paramIndex(i, shape, sorted, pshape);
              const want = ((x.data[i]! - mean) / Math.sqrt(v + eps)) * (gamma ? gamma.data[p]! : 1) + (beta ? beta.data[p]! : 0);
              if (!close(out.data[i]!, toStorage(want, dtype), REL[dtype]!, 1e-5)) expect.fail(`element ${i}: ${out.data[i]} vs ${want}`);
              if (dtype === 'fp16') expect(roundToFp16(out.data[i]!)).toBe(out.data[i]);
            }
          }
        }),
        { numRuns: 60 },
      );
    });
  }

  it('infers with symbolic dims; gamma order follows increasing axes', () => {
    const x = tt('fp16', ['b', 's', 64]);
    expect(infer('layer_norm', { x, gamma: tt('fp16', [64]), beta: tt('fp16', [64]) }, { axes: [-1] })).toEqual(x);
    expect(infer('layer_norm', { x, gamma: tt('fp16', ['s', 64]) }, { axes: [2, 1] })).toEqual(x);
    expect(infer('layer_norm', { x, gamma: tt('fp16', ['b', 's', 64]) })).toEqual(x);
    const y = tt('fp32', [2, 3, 4]);
    expect(infer('layer_norm', { x: y, gamma: tt('fp32', [2, 4]) }, { axes: [2, 0] })).toEqual(y);
    expect(errorCode(() => infer('layer_norm', { x: y, gamma: tt('fp32', [4, 2]) }, { axes: [2, 0] }))).toBe('E_SHAPE_MISMATCH');
    expect(errorCode(() => infer('layer_norm', { x: y, beta: tt('fp32', [3]) }, { axes: [2] }))).toBe('E_SHAPE_MISMATCH');
    expect(errorCode(() => infer('layer_norm', { x, gamma: tt('fp16', ['t']) }, { axes: [1] }))).toBe('E_SHAPE_MISMATCH');
  });

  it('rejects bad axes, dtypes, ranks and attributes', () => {
    const x = tt('fp32', [2, 3]);
    expect(errorCode(() => infer('layer_norm', { x }, { axes: [] }))).toBe('E_ATTR');
    expect(errorCode(() => infer('layer_norm', { x }, { axes: [1, -1] }))).toBe('E_ATTR');
    expect(errorCode(() => infer('layer_norm', { x }, { axes: [2] }))).toBe('E_ATTR');
    expect(errorCode(() => infer('layer_norm', { x }, { epsilon: -1e-5 }))).toBe('E_ATTR');
    expect(errorCode(() => infer('layer_norm', { x }, { eps: 1e-5 }))).toBe('E_ATTR');
    expect(errorCode(() => infer('layer_norm', { x: tt('fp32', []) }))).toBe('E_RANK');
    expect(errorCode(() => infer('layer_norm', { x: tt('int32', [2]) }))).toBe('E_DTYPE_MISMATCH');
    expect(errorCode(() => infer('layer_norm', { x, gamma: tt('fp16', [2, 3]) }))).toBe('E_DTYPE_MISMATCH');
    expect(errorCode(() => infer('layer_norm', {}))).toBe('E_INPUT');
    expect(errorCode(() => infer('layer_norm', { x, mean: x }))).toBe('E_INPUT');
  });
});

describe('rms_norm', () => {
  it('with no gamma: mean square of the output is ms/(ms+eps) over the axes (fp32, abs 1e-5)', () => {
    fc.assert(
      fc.property(arbNormCase(false), ({ shape, seed, axes }) => {
        const x = fillTensor('fp32', shape, seed, 3);
        const out = run1('rms_norm', { x }, { axes: axes! });
        expect(out.shape).toEqual(shape);
        const { sorted } = normalized(shape, axes);
        for (const g of groupsOf(shape, sorted)) {
          const ms = (d: ArrayLike<number>): number => g.reduce((s, i) => s + d[i]! ** 2, 0) / g.length;
          const m = ms(x.data);
          expect(Math.abs(ms(out.data) - m / (m + 1e-6))).toBeLessThan(1e-5);
        }
      }),
      { numRuns: 60 },
    );
  });

  for (const dtype of FLOATS) {
    it(`${dtype}: equals x / sqrt(mean(x^2) + eps) * gamma; default axes [-1]`, () => {
      fc.assert(
        fc.property(arbNormCase(true), fc.boolean(), ({ shape, seed, axes }, withG) => {
          const x = fillTensor(dtype, shape, seed, 3);
          const { sorted, pshape } = normalized(shape, axes ?? [-1]);
          const gamma = withG ? fillTensor(dtype, pshape, seed + 1) : undefined;
          const out = run1('rms_norm', gamma ? { x, gamma } : { x }, axes === undefined ? {} : { axes });
          expect(out.dtype).toBe(dtype);
          for (const g of groupsOf(shape, sorted)) {
            const ms = g.reduce((s, i) => s + x.data[i]! ** 2, 0) / g.length;
            for (const i of g) {
              const want = (x.data[i]! / Math.sqrt(ms + 1e-6)) * (gamma ? gamma.data[paramIndex(i, shape, sorted, pshape)]! : 1);
              if (!close(out.data[i]!, toStorage(want, dtype), REL[dtype]!, 1e-5)) expect.fail(`element ${i}: ${out.data[i]} vs ${want}`);
            }
          }
        }),
        { numRuns: 60 },
      );
    });
  }

  it('infers with symbolic dims and rejects bad inputs', () => {
    const x = tt('fp16', ['b', 's', 64]);
    expect(infer('rms_norm', { x, gamma: tt('fp16', [64]) })).toEqual(x);
    expect(infer('rms_norm', { x, gamma: tt('fp16', ['s', 64]) }, { axes: [-1, -2] })).toEqual(x);
    expect(errorCode(() => infer('rms_norm', { x, gamma: tt('fp16', [32]) }))).toBe('E_SHAPE_MISMATCH');
    expect(errorCode(() => infer('rms_norm', { x, gamma: tt('fp32', [64]) }))).toBe('E_DTYPE_MISMATCH');
    expect(errorCode(() => infer('rms_norm', { x }, { axes: [0, 0] }))).toBe('E_ATTR');
    expect(errorCode(() => infer('rms_norm', { x }, { axes: [3] }))).toBe('E_ATTR');
    expect(errorCode(() => infer('rms_norm', { x }, { axes: [] }))).toBe('E_ATTR');
    expect(errorCode(() => infer('rms_norm', { x }, { epsilon: NaN }))).toBe('E_ATTR');
    expect(errorCode(() => infer('rms_norm', { x: tt('fp32', []) }))).toBe('E_ATTR');
    expect(errorCode(() => infer('rms_norm', { x, beta: tt('fp16', [64]) }))).toBe('E_INPUT');
    expect(errorCode(() => infer('rms_norm', { x: tt('int32', [2]) }))).toBe('E_DTYPE_MISMATCH');
  });
});
