import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import './index.js';
import type { DType } from '../dtype.js';
import { roundToFp16 } from '../fp16.js';
import { runOp } from '../interpret/run-op.js';
import type { TensorType } from '../ir/types.js';
import { type Tensor, tensor } from '../tensor.js';
import { arbShape, arbTensor, fillTensor } from '../testing/arb.js';
import { close, count, ravel, toStorage, unravel } from '../testing/naive-ref.js';
import { getOp } from './registry.js';
import { checkOp } from './validate.js';
import { errorCode } from '../testing/errors.js';

const run1 = (kind: string, inputs: Record<string, Tensor>, attrs: Record<string, number | string> = {}): Tensor => runOp(kind, inputs, attrs)[0]!;
const FLOATS: DType[] = ['fp32', 'fp16'];
/** Relative tolerance: one fp32 ulp plus slack (2e-7), one fp16 ulp (1e-3); absolute 1e-7 near 0. */
const REL: Record<string, number> = { fp32: 2e-7, fp16: 1e-3 };

/** Independent erf: alternating Taylor series, accurate to ~1e-13 for |x| <= 3. */
function taylorErf(x: number): number {
  let s = 0;
  let p = x;
  for (let n = 0; n < 150; n++) {
    s += p / (2 * n + 1);
    p *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * s;
}

const CASES: { name: string; attrs?: Record<string, string>; ref: (v: number) => number }[] = [
  { name: 'relu', ref: (v) => (v > 0 ? v : 0) },
  { name: 'sigmoid', ref: (v) => 1 / (1 + Math.exp(-v)) },
  { name: 'silu', ref: (v) => v / (1 + Math.exp(-v)) },
  { name: 'gelu', ref: (v) => (v / 2) * (1 + taylorErf(v * Math.SQRT1_2)) },
  { name: 'gelu', attrs: { mode: 'EXACT' }, ref: (v) => (v / 2) * (1 + taylorErf(v * Math.SQRT1_2)) },
  { name: 'gelu', attrs: { mode: 'TANH_APPROXIMATION' }, ref: (v) => (v / 2) * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))) },
  { name: 'gelu', attrs: { mode: 'SIGMOID_APPROXIMATION' }, ref: (v) => v / (1 + Math.exp(-1.702 * v)) },
];

describe('pointwise activations', () => {
  for (const c of CASES) {
    for (const dtype of FLOATS) {
      it(`${c.name}${c.attrs ? ` ${c.attrs['mode']}` : ''} ${dtype}: same shape, elements vs reference (rel ${REL[dtype]}, abs 1e-7), fp16-representable`, () => {
        fc.assert(
          fc.property(arbTensor(dtype, arbShape(0, 4, 5), 4), (x) => {
            const out = run1(c.name, { x }, c.attrs);
            expect(out.shape).toEqual(x.shape);
            expect(out.dtype).toBe(dtype);
            expect(out.data).not.toBe(x.data);
            for (let i = 0; i < out.data.length; i++) {
              const want = toStorage(c.ref(x.data[i]!), dtype);
              if (!close(out.data[i]!, want, REL[dtype]!, 1e-7)) expect.fail(`${c.name}(${x.data[i]}) = ${out.data[i]}, want ${want}`);
              if (dtype === 'fp16') expect(roundToFp16(out.data[i]!)).toBe(out.data[i]);
            }
          }),
          { numRuns: 50 },
        );
      });
    }
  }

  it('sigmoid(x) + sigmoid(-x) = 1 (fp32 within 1e-6) and is finite for huge |x|', () => {
    fc.assert(
      fc.property(arbTensor('fp32', arbShape(1, 3, 6), 30), (x) => {
        const p = run1('sigmoid', { x }).data;
        const n = run1('sigmoid', { x: { ...x, data: x.data.map((v) => -v) } }).data;
        p.forEach((v, i) => expect(Math.abs(v + n[i]! - 1)).toBeLessThan(1e-6));
      }),
    );
    const big = run1('sigmoid', { x: tensor('fp32', [4], [1e30, -1e30, 100, -100]) }).data;
    expect(Array.from(big)).toEqual([1, 0, 1, Math.fround(1 / (1 + Math.exp(100)))]);
    const silu = run1('silu', { x: tensor('fp32', [2], [-1e30, 1e30]) }).data;
    expect(Array.from(silu).every(Number.isFinite)).toBe(true);
  });

  it('gelu EXACT and TANH_APPROXIMATION agree within 1e-3', () => {
    fc.assert(
      fc.property(arbTensor('fp32', arbShape(1, 3, 6), 6), (x) => {
        const e = run1('gelu', { x }).data;
        const a = run1('gelu', { x }, { mode: 'TANH_APPROXIMATION' }).data;
        e.forEach((v, i) => expect(Math.abs(v - a[i]!)).toBeLessThan(1e-3));
      }),
    );
  });

  it('relu propagates NaN', () => {
    expect(run1('relu', { x: tensor('fp32', [1], [NaN]) }).data[0]).toBeNaN();
  });
});

/** Naive softmax reference: direct exp/sum over the axis (inputs are small, no overflow). */
function refSoftmax(x: Tensor, axis: number): number[] {
  const shape = x.shape as number[];
  const out: number[] = [];
  for (let i = 0; i < count(shape); i++) {
    const idx = unravel(i, shape);
    let sum = 0;
    for (let j = 0; j < shape[axis]!; j++) {
      const k = [...idx];
      k[axis] = j;
      sum += Math.exp(x.data[ravel(k, shape)]!);
    }
    out.push(Math.exp(x.data[i]!) / sum);
  }
  return out;
}

const arbSoftmaxCase = (dtype: DType): fc.Arbitrary<[Tensor, number]> =>
  arbTensor(dtype, arbShape(1, 4, 5), 4).chain((x) => fc.tuple(fc.constant(x), fc.integer({ min: -x.shape.length, max: x.shape.length - 1 })));

describe('softmax', () => {
  for (const dtype of FLOATS) {
    it(`${dtype}: matches the naive formula (rel ${REL[dtype]}), slices along the axis sum to 1`, () => {
      fc.assert(
        fc.property(arbSoftmaxCase(dtype), ([x, axis]) => {
          const out = run1('softmax', { x }, { axis });
          expect(out.shape).toEqual(x.shape);
          const ref = refSoftmax(x, axis < 0 ? axis + x.shape.length : axis);
          out.data.forEach((v, i) => {
            if (!close(v, toStorage(ref[i]!, dtype), REL[dtype]!, 1e-7)) expect.fail(`element ${i}: ${v} vs ${ref[i]}`);
          });
          // Sums over the axis via the reference's own grouping: summing ref-shaped slices.
          const a = axis < 0 ? axis + x.shape.length : axis;
          const shape = x.shape as number[];
          for (let i = 0; i < count(shape); i++) {
            const idx = unravel(i, shape);
            if (idx[a] !== 0) continue;
            let s = 0;
            for (let j = 0; j < shape[a]!; j++) {
              idx[a] = j;
              s += out.data[ravel(idx, shape)]!;
            }
            // fp16: each of up to 5 terms is off by half an ulp (<= 4.9e-4 relative).
            expect(Math.abs(s - 1)).toBeLessThan(dtype === 'fp32' ? 1e-6 : 3e-3);
          }
        }),
        { numRuns: 60 },
      );
    });
  }

  it('is invariant to adding a constant along the axis (fp32, within 1e-6)', () => {
    fc.assert(
      fc.property(arbSoftmaxCase('fp32'), fc.integer({ min: -50, max: 50 }), ([x, axis], c) => {
        const a = run1('softmax', { x }, { axis }).data;
        const b = run1('softmax', { x: { ...x, data: x.data.map((v) => v + c) } }, { axis }).data;
        a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-6));
      }),
    );
  });

  it('does not overflow for large inputs', () => {
    const out = run1('softmax', { x: tensor('fp32', [2, 2], [1000, 1000, -1e30, 0]) }).data;
    expect(Array.from(out)).toEqual([0.5, 0.5, 0, 1]);
    const h = run1('softmax', { x: tensor('fp16', [3], [60000, 60000, 0]) }).data;
    expect(Array.from(h)).toEqual([0.5, 0.5, 0]);
  });
});

describe('activation inference and errors', () => {
  const ALL = ['relu', 'gelu', 'silu', 'sigmoid', 'softmax'];
  const infer = (k: string, x: TensorType, attrs: Record<string, number | string> = {}): TensorType => checkOp(getOp(k), { x }, attrs).outputs[0]!;

  it('same:x with symbolic dims', () => {
    for (const k of ALL) expect(infer(k, { dtype: 'fp16', shape: ['b', 'seq', 8] })).toEqual({ dtype: 'fp16', shape: ['b', 'seq', 8] });
  });

  it('wrong dtypes, missing or extra inputs, unknown attributes', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL), fc.constantFrom<DType>('int32', 'bool', 'int8', 'uint8'), (k, d) => {
        expect(errorCode(() => run1(k, { x: fillTensor(d, [2, 3], 1) }))).toBe('E_DTYPE_MISMATCH');
        expect(errorCode(() => run1(k, {}))).toBe('E_INPUT');
        const x = fillTensor('fp32', [2, 3], 1);
        expect(errorCode(() => run1(k, { x, y: x }))).toBe('E_INPUT');
        expect(errorCode(() => run1(k, { x }, { beta: 1 }))).toBe('E_ATTR');
      }),
      { numRuns: 20 },
    );
  });

  it('bad gelu mode and softmax axis give E_ATTR', () => {
    const x = fillTensor('fp32', [2, 3], 1);
    expect(errorCode(() => run1('gelu', { x }, { mode: 'FAST' }))).toBe('E_ATTR');
    expect(errorCode(() => run1('gelu', { x }, { mode: 1 }))).toBe('E_ATTR');
    fc.assert(
      fc.property(arbShape(0, 4, 3), fc.integer({ min: 0, max: 5 }), fc.boolean(), (shape, extra, neg) => {
        const axis = neg ? -shape.length - 1 - extra : shape.length + extra;
        expect(errorCode(() => infer('softmax', { dtype: 'fp32', shape }, { axis }))).toBe('E_ATTR');
      }),
    );
    expect(errorCode(() => run1('softmax', { x }, { axis: 0.5 }))).toBe('E_ATTR');
  });
});
