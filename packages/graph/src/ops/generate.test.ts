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
import { count, unravel } from '../testing/naive-ref.js';
import { getOp } from './registry.js';
import { checkOp } from './validate.js';
import { errorCode } from '../testing/errors.js';

// band_part and fill move or set values without arithmetic: compared exactly. range compares
// against start + i * step rounded to the output dtype (fp32 / fp16 storage), also exactly.

const run1 = (kind: string, inputs: Record<string, Tensor>, attrs: Attrs = {}): Tensor => runOp(kind, inputs, attrs)[0]!;
const infer1 = (kind: string, inputs: Record<string, TensorType>, attrs: Attrs = {}): TensorType => checkOp(getOp(kind), inputs, attrs).outputs[0]!;
const tt = (dtype: DType, shape: Dim[]): TensorType => ({ dtype, shape });
const seed = fc.integer({ min: 1, max: 0x7fffffff });

describe('band_part', () => {
  const arbBand = fc.tuple(arbShape(2, 4, 5), seed, fc.constantFrom<DType>('fp32', 'fp16', 'int32', 'bool'), fc.integer({ min: -1, max: 5 }), fc.integer({ min: -1, max: 5 }));

  it('keeps exactly the band -lower <= j - i <= upper of the last two axes', () => {
    fc.assert(
      fc.property(arbBand, ([shape, s, dtype, lower, upper]) => {
        const x = fillTensor(dtype, shape, s);
        const out = run1('band_part', { x }, { lower, upper });
        expect(out.shape).toEqual(shape);
        expect(out.dtype).toBe(dtype);
        expect(out.data).not.toBe(x.data);
        for (let k = 0; k < count(shape); k++) {
          const idx = unravel(k, shape);
          const i = idx[idx.length - 2]!, j = idx[idx.length - 1]!;
          const keep = (lower === -1 || i - j <= lower) && (upper === -1 || j - i <= upper);
          expect(out.data[k]).toBe(keep ? x.data[k] : 0);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('band_part(-1, 0) is lower triangular and keeps the diagonal and below', () => {
    fc.assert(
      fc.property(arbShape(2, 3, 6), seed, (shape, s) => {
        const x = fillTensor('fp32', shape, s);
        const out = run1('band_part', { x }, { lower: -1, upper: 0 });
        for (let k = 0; k < count(shape); k++) {
          const idx = unravel(k, shape);
          const i = idx[idx.length - 2]!, j = idx[idx.length - 1]!;
          expect(out.data[k]).toBe(j > i ? 0 : x.data[k]);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('keeps symbolic shapes and rejects bad inputs', () => {
    expect(infer1('band_part', { x: tt('fp16', [1, 'seq', 'seq']) }, { upper: 0 }).shape).toEqual([1, 'seq', 'seq']);
    const x = fillTensor('fp32', [3, 3], 1);
    expect(errorCode(() => run1('band_part', { x: fillTensor('fp32', [3], 1) }))).toBe('E_RANK');
    expect(errorCode(() => run1('band_part', { x }, { lower: -2 }))).toBe('E_ATTR');
    expect(errorCode(() => run1('band_part', { x }, { upper: 1.5 }))).toBe('E_ATTR');
    expect(errorCode(() => run1('band_part', { x: fillTensor('int8', [3, 3], 1) }))).toBe('E_DTYPE_MISMATCH');
  });
});

describe('range', () => {
  it('has length ceil((end - start) / step) and values start + i * step (int32)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 }), fc.integer({ min: -7, max: 7 }).filter((s) => s !== 0), (start, end, step) => {
        const out = run1('range', {}, { start, end, step, dtype: 'int32' });
        // Independent count: walk the sequence until it passes end.
        const want: number[] = [];
        for (let v = start; step > 0 ? v < end : v > end; v += step) want.push(v);
        expect(out.dtype).toBe('int32');
        expect(out.shape).toEqual([want.length]);
        expect(Array.from(out.data)).toEqual(want);
      }),
      { numRuns: 150 },
    );
  });

  it('produces float sequences rounded to the dtype', () => {
    fc.assert(
      fc.property(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: 0.05, max: 3, noNaN: true }), fc.integer({ min: 0, max: 40 }), fc.constantFrom<DType>('fp32', 'fp16'), fc.boolean(), (start, step0, n, dtype, down) => {
        const step = down ? -step0 : step0;
        // end placed half a step after the n-th value, so the length is n without rounding doubt.
        const end = start + (n - 0.5) * step;
        const out = run1('range', {}, { start, end, step, dtype });
        expect(out.shape).toEqual([n]);
        const round = dtype === 'fp16' ? roundToFp16 : Math.fround;
        for (let i = 0; i < n; i++) expect(out.data[i]).toBe(round(start + i * step));
      }),
      { numRuns: 100 },
    );
  });

  it('defaults start 0, step 1, dtype int32', () => {
    const out = run1('range', {}, { end: 4 });
    expect(out.dtype).toBe('int32');
    expect(Array.from(out.data)).toEqual([0, 1, 2, 3]);
    expect(run1('range', {}, { start: 5, end: 2 }).shape).toEqual([0]);
  });

  it('rejects bad attributes with E_ATTR', () => {
    const code = (attrs: Attrs) => errorCode(() => run1('range', {}, attrs));
    expect(code({ end: 5, step: 0 })).toBe('E_ATTR');
    expect(code({ end: 5.5, dtype: 'int32' })).toBe('E_ATTR');
    expect(code({ end: 5, step: 0.5, dtype: 'int32' })).toBe('E_ATTR');
    expect(code({ end: 5, dtype: 'bool' })).toBe('E_ATTR');
    expect(code({ end: Infinity, dtype: 'fp32' })).toBe('E_ATTR');
    expect(code({ end: NaN, dtype: 'fp32' })).toBe('E_ATTR');
    expect(code({ end: 1e12, dtype: 'fp32' })).toBe('E_ATTR');
    expect(code({ start: 0 })).toBe('E_ATTR');
    expect(code({ end: 3, dtype: 'float' })).toBe('E_ATTR');
  });
});

describe('fill', () => {
  it('fills the shape with the value in every dtype', () => {
    fc.assert(
      fc.property(arbShape(0, 4, 4), fc.constantFrom<DType>('fp32', 'fp16', 'int32', 'bool'), fc.double({ min: -1000, max: 1000, noNaN: true }), (shape, dtype, v) => {
        const value = dtype === 'int32' ? Math.round(v) : dtype === 'bool' ? (v > 0 ? 1 : 0) : v;
        const out = run1('fill', {}, { shape, value, dtype });
        expect(out.shape).toEqual(shape);
        expect(out.dtype).toBe(dtype);
        const want = dtype === 'fp16' ? roundToFp16(value) : dtype === 'fp32' ? Math.fround(value) : value | 0; // int storage has no -0
        expect(out.data.length).toBe(count(shape));
        for (const o of out.data) expect(o).toBe(want);
      }),
      { numRuns: 80 },
    );
  });

  it('defaults to fp32 zeros and rejects bad attributes', () => {
    const out = run1('fill', {}, { shape: [2, 2] });
    expect(out.dtype).toBe('fp32');
    expect(Array.from(out.data)).toEqual([0, 0, 0, 0]);
    const code = (attrs: Attrs) => errorCode(() => run1('fill', {}, attrs));
    expect(code({ shape: [2, -1] })).toBe('E_ATTR');
    expect(code({ shape: [2], value: 0.5, dtype: 'int32' })).toBe('E_ATTR');
    expect(code({ shape: [2], value: 2, dtype: 'bool' })).toBe('E_ATTR');
    expect(code({ shape: [2], dtype: 'int8' })).toBe('E_ATTR');
    expect(code({ shape: [1 << 20, 1 << 20] })).toBe('E_ATTR');
    expect(code({ value: 1 })).toBe('E_ATTR');
  });
});

describe('robustness', () => {
  it('random attributes either work or raise a coded FastVlmError', () => {
    const num = fc.oneof(fc.integer({ min: -20, max: 20 }), fc.double({ min: -20, max: 20 }), fc.constantFrom(NaN, Infinity, -Infinity, 1e300));
    const dtype = fc.constantFrom('fp32', 'fp16', 'int32', 'bool', 'int8', 'uint4');
    fc.assert(
      fc.property(
        fc.record({ start: num, end: num, step: num, dtype }, { requiredKeys: ['end'] }),
        fc.record({ shape: fc.array(fc.integer({ min: -2, max: 4 }), { maxLength: 4 }), value: num, dtype }),
        fc.record({ lower: fc.integer({ min: -3, max: 3 }), upper: fc.integer({ min: -3, max: 3 }) }),
        (r, f, b) => {
          for (const c of [errorCode(() => run1('range', {}, r)), errorCode(() => run1('fill', {}, f)), errorCode(() => run1('band_part', { x: fillTensor('fp32', [2, 3], 1) }, b))]) {
            expect(c === 'ok' || c.startsWith('E_')).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
