import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import './index.js';
import type { DType } from '../dtype.js';

import { interpret } from '../interpret/interpreter.js';
import { runOp } from '../interpret/run-op.js';
import { FunctionBuilder } from '../ir/build.js';
import { Program } from '../ir/types.js';
import { WeightStore } from '../weights/store.js';
import type { Attrs, TensorType } from '../ir/types.js';
import type { Dim } from '../shape.js';
import { type Tensor, tensor } from '../tensor.js';
import { arbShape, fillTensor } from '../testing/arb.js';
import { count, ravel, unravel } from '../testing/naive-ref.js';
import { getOp } from './registry.js';
import { checkOp } from './validate.js';
import { errorCode, fastVlmError } from '../testing/errors.js';

// Every op here moves data without arithmetic, so results are compared exactly (tolerance 0).

const run = (kind: string, inputs: Record<string, Tensor | Tensor[]>, attrs: Attrs = {}): Tensor[] => runOp(kind, inputs, attrs);
const run1 = (kind: string, inputs: Record<string, Tensor | Tensor[]>, attrs: Attrs = {}): Tensor => run(kind, inputs, attrs)[0]!;
const infer = (kind: string, inputs: Record<string, TensorType | TensorType[]>, attrs: Attrs = {}): TensorType[] => checkOp(getOp(kind), inputs, attrs).outputs;
const infer1 = (kind: string, inputs: Record<string, TensorType | TensorType[]>, attrs: Attrs = {}): TensorType => infer(kind, inputs, attrs)[0]!;
const inferCode = (kind: string, inputs: Record<string, TensorType | TensorType[]>, attrs: Attrs = {}): string => errorCode(() => infer(kind, inputs, attrs));
const tt = (dtype: DType, shape: Dim[]): TensorType => ({ dtype, shape });
const seed = fc.integer({ min: 1, max: 0x7fffffff });
const arbX = (minRank = 0, maxRank = 4, maxDim = 4, dtype: DType = 'fp32') => fc.tuple(arbShape(minRank, maxRank, maxDim), seed).map(([s, k]) => fillTensor(dtype, s, k));

function expectTensor(got: Tensor, shape: number[], data: ArrayLike<number>, dtype?: DType): void {
  expect(got.shape).toEqual(shape);
  if (dtype) expect(got.dtype).toBe(dtype);
  expect(Array.from(got.data)).toEqual(Array.from(data));
}

/** A random permutation of 0..n-1 from sort keys. */
const arbPermOf = (n: number) => fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }).map((keys) => keys.map((k, i) => [k, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i));

describe('reshape', () => {
  /** x plus a target shape with the same element count, factor by factor. */
  const arbReshape = arbX(0, 4, 4, 'fp32').chain((x) => {
    const n = count(x.shape as number[]);
    return fc.tuple(fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 4 }), fc.nat(), fc.boolean(), fc.boolean()).map(([picks, at, useInfer, useCopy]) => {
      const target: number[] = [];
      let rest = n;
      for (const p of picks) {
        const divisors = Array.from({ length: rest }, (_, i) => i + 1).filter((d) => rest % d === 0);
        const d = divisors[p % divisors.length]!;
        target.push(d);
        rest /= d;
      }
      target.push(rest);
      const attr: number[] = [...target];
      const i = at % attr.length;
      if (useInfer) attr[i] = -1;
      else if (useCopy && i < x.shape.length && x.shape[i] === attr[i]) attr[i] = 0;
      return { x, target, attr };
    });
  });

  it('keeps the row-major data and gives the requested shape (with -1 and 0)', () => {
    fc.assert(
      fc.property(arbReshape, ({ x, target, attr }) => {
        const out = run1('reshape', { x }, { shape: attr });
        expectTensor(out, target, x.data, x.dtype);
        expect(out.data).not.toBe(x.data);
        // Round trip back to the original shape is the identity.
        expectTensor(run1('reshape', { x: out }, { shape: [...x.shape] }), [...x.shape], x.data);
      }),
      { numRuns: 150 },
    );
  });

  it('handles symbolic dims by matching symbols', () => {
    expect(infer1('reshape', { x: tt('fp16', [1, 'seq', 4]) }, { shape: [0, 0, 2, 2] }).shape).toEqual([1, 'seq', 2, 2]);
    expect(infer1('reshape', { x: tt('fp16', ['seq', 4]) }, { shape: [-1, 2, 2] }).shape).toEqual(['seq', 2, 2]);
    expect(infer1('reshape', { x: tt('fp16', ['b', 'seq', 8]) }, { shape: ['b', 'seq', 2, -1] }).shape).toEqual(['b', 'seq', 2, 4]);
    expect(infer1('reshape', { x: tt('fp16', ['seq', 4]) }, { shape: [2, 'seq', 2] }).shape).toEqual([2, 'seq', 2]);
    expect(inferCode('reshape', { x: tt('fp16', ['seq', 4]) }, { shape: [8, -1] })).toBe('E_SHAPE_INVALID');
    expect(inferCode('reshape', { x: tt('fp16', ['seq', 4]) }, { shape: [4, 4] })).toBe('E_SHAPE_MISMATCH');
    expect(inferCode('reshape', { x: tt('fp16', ['seq', 4]) }, { shape: ['seq', 'seq'] })).toBe('E_SHAPE_MISMATCH');
    expect(inferCode('reshape', { x: tt('fp16', ['seq', 4]) }, { shape: ['other', 4] })).toBe('E_ATTR');
  });

  it('runs a symbolic reshape in the interpreter with the bound sizes', () => {
    const fb = new FunctionBuilder('main');
    const x = fb.input('x', tt('fp32', [1, 'seq', 6]));
    const [y] = fb.add('reshape', { x }, { shape: [0, 'seq', 2, -1] });
    const [z] = fb.add('split', { x: y! }, { axis: -1, num_splits: 3 });
    fb.output(z!);
    const p = new Program(new WeightStore());
    p.addFunction(fb.fn);
    expect(y!.type.shape).toEqual([1, 'seq', 2, 3]);
    const xv = fillTensor('fp32', [1, 5, 6], 3);
    const out = interpret(p, 'main', { x: xv }).get(z!.name)!;
    expect(out.shape).toEqual([1, 5, 2, 1]);
    expect(Array.from(out.data)).toEqual(Array.from({ length: 10 }, (_, i) => xv.data[i * 3]!));
  });

  it('rejects bad targets with coded errors', () => {
    fc.assert(
      fc.property(arbReshape, fc.integer({ min: 2, max: 3 }), ({ x, target }, k) => {
        // Scaling one dim by k changes the element count (unless x is empty).
        const bad = [...target];
        bad[0] = bad[0]! * k;
        const want = count(x.shape as number[]) === 0 ? 'ok' : 'E_SHAPE_MISMATCH';
        expect(errorCode(() => run1('reshape', { x }, { shape: bad }))).toBe(want);
      }),
      { numRuns: 60 },
    );
    const x = fillTensor('fp32', [2, 3, 4], 1);
    expect(errorCode(() => run1('reshape', { x }, { shape: [-1, -1] }))).toBe('E_ATTR');
    expect(errorCode(() => run1('reshape', { x }, { shape: [-2, -12] }))).toBe('E_ATTR');
    expect(errorCode(() => run1('reshape', { x }, { shape: [0, 0, 0, 0] }))).toBe('E_ATTR');
    expect(errorCode(() => run1('reshape', { x }, { shape: [5, -1] }))).toBe('E_SHAPE_MISMATCH');
    expect(errorCode(() => run1('reshape', { x }, { shape: [1.5, 16] }))).toBe('E_ATTR');
    expect(errorCode(() => run1('reshape', { x }, {}))).toBe('E_ATTR');
  });
});

describe('transpose', () => {
  const arbT = arbX(0, 5, 4).chain((x) => fc.tuple(fc.constant(x), arbPermOf(x.shape.length)));

  it('moves element [k] to [perm-ordered k] and inverts with the inverse perm', () => {
    fc.assert(
      fc.property(arbT, ([x, perm]) => {
        const out = run1('transpose', { x }, { perm });
        const shape = perm.map((p) => x.shape[p]!);
        expect(out.shape).toEqual(shape);
        for (let i = 0; i < count(shape); i++) {
          const j = unravel(i, shape);
          const k = new Array<number>(perm.length);
          perm.forEach((p, a) => { k[p] = j[a]!; });
          expect(out.data[i]).toBe(x.data[ravel(k, x.shape as number[])]);
        }
        const inv = new Array<number>(perm.length);
        perm.forEach((p, a) => { inv[p] = a; });
        expectTensor(run1('transpose', { x: out }, { perm: inv }), [...x.shape], x.data);
      }),
      { numRuns: 150 },
    );
  });

  it('accepts negative perm entries and symbolic dims; works on int32 and bool', () => {
    expect(infer1('transpose', { x: tt('fp16', ['b', 'seq', 4]) }, { perm: [0, -1, 1] }).shape).toEqual(['b', 4, 'seq']);
    const b = tensor('bool', [2, 2], [1, 0, 0, 1]);
    expectTensor(run1('transpose', { x: b }, { perm: [1, 0] }), [2, 2], [1, 0, 0, 1], 'bool');
    const i = tensor('int32', [2, 3], [1, 2, 3, 4, 5, 6]);
    expectTensor(run1('transpose', { x: i }, { perm: [1, 0] }), [3, 2], [1, 4, 2, 5, 3, 6], 'int32');
  });

  it('rejects bad permutations with E_ATTR', () => {
    const x = fillTensor('fp32', [2, 3, 4], 1);
    for (const perm of [[0, 1], [0, 1, 1], [0, 1, 3], [0, 1, 2, 3], [-4, 0, 1]]) {
      expect(errorCode(() => run1('transpose', { x }, { perm }))).toBe('E_ATTR');
    }
  });
});

describe('expand_dims and squeeze', () => {
  /** x and new-axis positions in the output (as given, possibly negative, and normalized). */
  const arbExpand = arbX(0, 3).chain((x) =>
    fc.integer({ min: 1, max: 3 }).chain((k) => {
      const r = x.shape.length + k;
      return fc.tuple(fc.shuffledSubarray(Array.from({ length: r }, (_, i) => i), { minLength: k, maxLength: k }), fc.array(fc.boolean(), { minLength: k, maxLength: k })).map(([pos, neg]) => ({
        x,
        axes: pos.map((p, i) => (neg[i] ? p - r : p)),
        pos,
      }));
    }),
  );

  it('expand_dims inserts 1s at output positions; squeeze of those axes undoes it', () => {
    fc.assert(
      fc.property(arbExpand, ({ x, axes, pos }) => {
        const r = x.shape.length + pos.length;
        const shape: number[] = [];
        let k = 0;
        for (let i = 0; i < r; i++) shape.push(pos.includes(i) ? 1 : x.shape[k++]!);
        const out = run1('expand_dims', { x }, { axes });
        expectTensor(out, shape, x.data);
        expect(out.data).not.toBe(x.data);
        expectTensor(run1('squeeze', { x: out }, { axes: pos.map((p) => p - r) }), [...x.shape], x.data);
      }),
      { numRuns: 120 },
    );
  });

  it('squeeze without axes removes every size-1 axis', () => {
    fc.assert(
      fc.property(arbX(0, 5, 3), (x) => {
        expectTensor(run1('squeeze', { x }), x.shape.filter((d) => d !== 1), x.data);
      }),
      { numRuns: 80 },
    );
    expect(infer1('squeeze', { x: tt('fp32', [1, 'seq', 1, 4]) }).shape).toEqual(['seq', 4]);
    expect(infer1('expand_dims', { x: tt('fp32', ['seq', 4]) }, { axes: [0, -1] }).shape).toEqual([1, 'seq', 4, 1]);
  });

  it('rejects bad axes with coded errors', () => {
    const x = fillTensor('fp32', [2, 1, 3], 1);
    expect(errorCode(() => run1('expand_dims', { x }, { axes: [0, -5] }))).toBe('E_ATTR'); // same axis twice (output rank 5)
    expect(errorCode(() => run1('expand_dims', { x }, { axes: [4] }))).toBe('E_ATTR');
    expect(errorCode(() => run1('expand_dims', { x }, { axes: [-6] }))).toBe('E_ATTR');
    expect(errorCode(() => run1('expand_dims', { x }, { axes: [] }))).toBe('E_ATTR');
    expect(errorCode(() => run1('squeeze', { x }, { axes: [0] }))).toBe('E_SHAPE_MISMATCH');
    expect(errorCode(() => run1('squeeze', { x }, { axes: [1, -2] }))).toBe('E_ATTR');
    expect(errorCode(() => run1('squeeze', { x }, { axes: [3] }))).toBe('E_ATTR');
    expect(inferCode('squeeze', { x: tt('fp32', ['s', 2]) }, { axes: [0] })).toBe('E_SHAPE_MISMATCH');
  });
});

describe('concat and split', () => {
  /** Tensors equal in every axis but `axis`. */
  const arbParts = arbShape(1, 4, 3).chain((base) =>
    fc.tuple(
      fc.integer({ min: 0, max: base.length - 1 }),
      fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), seed), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
    ).map(([axis, parts, neg]) => ({
      axis,
      axisAttr: neg ? axis - base.length : axis,
      parts: parts.map(([d, s]) => fillTensor('fp32', base.map((b, i) => (i === axis ? d : b)), s)),
    })),
  );

  it('concat places each part at its offset along the axis', () => {
    fc.assert(
      fc.property(arbParts, ({ axis, axisAttr, parts }) => {
        const out = run1('concat', { values: parts }, { axis: axisAttr });
        const shape = [...parts[0]!.shape] as number[];
        shape[axis] = parts.reduce((s, p) => s + p.shape[axis]!, 0);
        expect(out.shape).toEqual(shape);
        for (let i = 0; i < count(shape); i++) {
          const idx = unravel(i, shape);
          let a = idx[axis]!, k = 0;
          while (a >= parts[k]!.shape[axis]!) a -= parts[k++]!.shape[axis]!;
          const src = [...idx];
          src[axis] = a;
          expect(out.data[i]).toBe(parts[k]!.data[ravel(src, parts[k]!.shape as number[])]);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('concat then split by the part sizes is the identity; split by num_splits then concat too', () => {
    fc.assert(
      fc.property(arbParts, ({ axis, axisAttr, parts }) => {
        const joined = run1('concat', { values: parts }, { axis: axisAttr });
        const pieces = run('split', { x: joined }, { axis: axisAttr, split_sizes: parts.map((p) => p.shape[axis]!) });
        expect(pieces.length).toBe(parts.length);
        pieces.forEach((p, i) => expectTensor(p, [...parts[i]!.shape], parts[i]!.data));
        const n = parts.length;
        const same = parts.map((p) => fillTensor('fp32', parts[0]!.shape as number[], p.data.length + 7));
        const whole = run1('concat', { values: same }, { axis });
        const even = run('split', { x: whole }, { axis, num_splits: n });
        expect(even.length).toBe(n);
        expectTensor(run1('concat', { values: even }, { axis }), [...whole.shape], whole.data);
      }),
      { numRuns: 100 },
    );
  });

  it('infers symbolic dims off the axis, and one symbolic part', () => {
    expect(infer1('concat', { values: [tt('fp16', ['b', 2, 4]), tt('fp16', ['b', 3, 4])] }, { axis: 1 }).shape).toEqual(['b', 5, 4]);
    expect(infer1('concat', { values: [tt('fp16', ['seq', 4])] }, { axis: 0 }).shape).toEqual(['seq', 4]);
    expect(inferCode('concat', { values: [tt('fp16', ['seq', 4]), tt('fp16', [1, 4])] }, { axis: 0 })).toBe('E_SHAPE_INVALID');
    expect(infer('split', { x: tt('fp16', ['b', 6]) }, { axis: 1, num_splits: 3 }).map((t) => t.shape)).toEqual([['b', 2], ['b', 2], ['b', 2]]);
    expect(inferCode('split', { x: tt('fp16', ['b', 6]) }, { axis: 0, num_splits: 2 })).toBe('E_SHAPE_INVALID');
  });

  it('rejects bad inputs with coded errors', () => {
    const a = fillTensor('fp32', [2, 3], 1), b = fillTensor('fp32', [2, 4], 2);
    expect(errorCode(() => run1('concat', { values: [a, b] }, { axis: 0 }))).toBe('E_SHAPE_MISMATCH');
    expect(errorCode(() => run1('concat', { values: [a, fillTensor('fp32', [2, 3, 1], 1)] }, { axis: 0 }))).toBe('E_RANK');
    expect(errorCode(() => run1('concat', { values: [a, fillTensor('fp16', [2, 3], 1)] }, { axis: 0 }))).toBe('E_DTYPE_MISMATCH');
    expect(errorCode(() => run1('concat', { values: [a, b] }, { axis: 2 }))).toBe('E_ATTR');
    expect(errorCode(() => run1('concat', { values: [fillTensor('fp32', [], 1)] }, { axis: 0 }))).toBe('E_RANK');
    expect(errorCode(() => run1('concat', { values: [] }, { axis: 0 }))).toBe('E_INPUT');
    expect(errorCode(() => run('split', { x: b }, { axis: 1 }))).toBe('E_ATTR');
    expect(errorCode(() => run('split', { x: b }, { axis: 1, num_splits: 2, split_sizes: [2, 2] }))).toBe('E_ATTR');
    expect(errorCode(() => run('split', { x: b }, { axis: 1, num_splits: 3 }))).toBe('E_SHAPE_MISMATCH');
    expect(errorCode(() => run('split', { x: b }, { axis: 1, num_splits: 0 }))).toBe('E_ATTR');
    expect(errorCode(() => run('split', { x: b }, { axis: 1, split_sizes: [1, 2] }))).toBe('E_SHAPE_MISMATCH');
    expect(errorCode(() => run('split', { x: b }, { axis: 1, split_sizes: [5, -1] }))).toBe('E_ATTR');
    expect(errorCode(() => run('split', { x: b }, { axis: -3, num_splits: 1 }))).toBe('E_ATTR');
  });
});

/**
 * The indices Python's `range(n)[b:e:s]` selects, as a filter over the axis: positions at or after
 * the (clamped) start, before the end, in phase with the stride.
 */
function refSliceIndices(b: number, e: number, s: number, n: number): number[] {
  const norm = (v: number): number => (v < 0 ? v + n : v);
  const all = Array.from({ length: n }, (_, i) => i);
  if (s > 0) {
    const start = Math.min(Math.max(norm(b), 0), n);
    return all.filter((i) => i >= start && i < norm(e) && (i - start) % s === 0);
  }
  const start = Math.min(Math.max(norm(b), -1), n - 1);
  return all.reverse().filter((i) => i <= start && i > norm(e) && (start - i) % -s === 0);
}

describe('slice', () => {
  it('agrees with Python on fixed cases', () => {
    expect(refSliceIndices(-100, 2147483647, 2, 5)).toEqual([0, 2, 4]); // [-100::2]
    const x = tensor('fp32', [5], [0, 1, 2, 3, 4]);
    const s = (begin: number, end: number, stride: number) => Array.from(run1('slice', { x }, { begin: [begin], end: [end], strides: [stride] }).data);
    expect(s(-100, 2147483647, 2)).toEqual([0, 2, 4]);
    expect(s(4, -100, -2)).toEqual([4, 2, 0]);
    expect(s(-1, -2147483648, -1)).toEqual([4, 3, 2, 1, 0]);
    expect(s(1, 3, 1)).toEqual([1, 2]);
    expect(s(3, 1, 1)).toEqual([]);
    expect(s(-2, 100, 1)).toEqual([3, 4]);
    expect(s(10, 0, -3)).toEqual([4, 1]);
    expect(Array.from(run1('slice', { x }, { begin: [1], end: [4] }).data)).toEqual([1, 2, 3]);
  });

  it('matches explicit index math for random begin/end/strides', () => {
    const arbSlice = arbX(1, 4, 5).chain((x) =>
      fc.tuple(
        fc.constant(x),
        fc.array(fc.tuple(fc.integer({ min: -8, max: 8 }), fc.integer({ min: -8, max: 8 }), fc.integer({ min: -3, max: 3 }).filter((v) => v !== 0)), {
          minLength: x.shape.length,
          maxLength: x.shape.length,
        }),
      ),
    );
    fc.assert(
      fc.property(arbSlice, ([x, spec]) => {
        const out = run1('slice', { x }, { begin: spec.map((v) => v[0]), end: spec.map((v) => v[1]), strides: spec.map((v) => v[2]) });
        const picks = spec.map(([b, e, s], i) => refSliceIndices(b, e, s, x.shape[i]!));
        const shape = picks.map((p) => p.length);
        expect(out.shape).toEqual(shape);
        for (let i = 0; i < count(shape); i++) {
          const idx = unravel(i, shape).map((j, a) => picks[a]![j]!);
          expect(out.data[i]).toBe(x.data[ravel(idx, x.shape as number[])]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps a symbolic axis only for the whole-axis slice', () => {
    expect(infer1('slice', { x: tt('fp16', ['seq', 8]) }, { begin: [0, 2], end: [2147483647, 6] }).shape).toEqual(['seq', 4]);
    expect(inferCode('slice', { x: tt('fp16', ['seq', 8]) }, { begin: [1, 2], end: [2147483647, 6] })).toBe('E_SHAPE_INVALID');
  });

  it('rejects bad attributes with E_ATTR', () => {
    const x = fillTensor('fp32', [3, 4], 1);
    expect(errorCode(() => run1('slice', { x }, { begin: [0], end: [1, 1] }))).toBe('E_ATTR');
    expect(errorCode(() => run1('slice', { x }, { begin: [0, 0], end: [1, 1], strides: [1, 0] }))).toBe('E_ATTR');
    expect(errorCode(() => run1('slice', { x }, { begin: [0, 0], end: [1, 1], strides: [1] }))).toBe('E_ATTR');
    expect(errorCode(() => run1('slice', { x }, { begin: [0, 0] }))).toBe('E_ATTR');
  });
});

describe('gather', () => {
  const arbGather = arbX(1, 3, 4).chain((x) =>
    fc.tuple(fc.integer({ min: 0, max: x.shape.length - 1 }), fc.boolean(), arbShape(0, 2, 3), seed).map(([axis, neg, ishape, s]) => {
      const n = x.shape[axis]!;
      const vals = fillTensor('int32', ishape, s, 64).data.map((v) => ((v % n) + n) % n);
      return { x, axis, axisAttr: neg ? axis - x.shape.length : axis, indices: tensor('int32', ishape, vals) };
    }),
  );

  it('reads x at the indices along the axis', () => {
    fc.assert(
      fc.property(arbGather, ({ x, axis, axisAttr, indices }) => {
        const out = run1('gather', { x, indices }, { axis: axisAttr });
        const xs = x.shape as number[], is = indices.shape as number[];
        const shape = [...xs.slice(0, axis), ...is, ...xs.slice(axis + 1)];
        expect(out.shape).toEqual(shape);
        for (let i = 0; i < count(shape); i++) {
          const idx = unravel(i, shape);
          const at = indices.data[ravel(idx.slice(axis, axis + is.length), is)]!;
          const src = [...idx.slice(0, axis), at, ...idx.slice(axis + is.length)];
          expect(out.data[i]).toBe(x.data[ravel(src, xs)]);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('reports an out-of-range index at run time, naming it', () => {
    fc.assert(
      fc.property(arbGather, fc.integer({ min: 0, max: 5 }), fc.boolean(), ({ x, axis, indices }, extra, below) => {
        fc.pre(indices.data.length > 0);
        const bad = below ? -1 - extra : x.shape[axis]! + extra;
        const data = Int32Array.from(indices.data);
        data[data.length - 1] = bad;
        const e = fastVlmError(() => run1('gather', { x, indices: { ...indices, data } }, { axis }), 'E_INTERPRET');
        expect(e.message).toContain(`index ${bad}`);
      }),
      { numRuns: 60 },
    );
  });

  it('infers symbolic shapes and rejects bad inputs', () => {
    expect(infer1('gather', { x: tt('fp16', [1000, 64]), indices: tt('int32', [1, 'seq']) }).shape).toEqual([1, 'seq', 64]);
    const x = fillTensor('fp32', [3, 4], 1);
    expect(errorCode(() => run1('gather', { x, indices: tensor('fp32', [1], [0]) }))).toBe('E_DTYPE_MISMATCH');
    expect(errorCode(() => run1('gather', { x, indices: tensor('int32', [1], [0]) }, { axis: 2 }))).toBe('E_ATTR');
    expect(errorCode(() => run1('gather', { x: fillTensor('fp32', [], 1), indices: tensor('int32', [1], [0]) }))).toBe('E_RANK');
  });
});

describe('pad', () => {
  /** Naive pad: per output element, map each padded axis back to the input. */
  function refPad(x: Tensor, pads: number[], mode: string, value: number): { shape: number[]; data: number[] } {
    const xs = x.shape as number[];
    const k = pads.length / 2;
    const amt = xs.map((_, i) => (i < xs.length - k ? [0, 0] : [pads[2 * (i - xs.length + k)]!, pads[2 * (i - xs.length + k) + 1]!]));
    const shape = xs.map((d, i) => d + amt[i]![0]! + amt[i]![1]!);
    const data: number[] = [];
    for (let o = 0; o < count(shape); o++) {
      const idx = unravel(o, shape);
      let outside = false;
      const src = idx.map((j, a) => {
        let i = j - amt[a]![0]!;
        const n = xs[a]!;
        if (i >= 0 && i < n) return i;
        if (mode === 'constant') outside = true;
        else if (mode === 'replicate') i = i < 0 ? 0 : n - 1;
        else while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
        return i;
      });
      data.push(outside ? value : x.data[ravel(src, xs)]!);
    }
    return { shape, data };
  }

  const arbPad = arbX(1, 4, 4).chain((x) =>
    fc.integer({ min: 1, max: x.shape.length }).chain((k) =>
      fc.tuple(fc.constant(x), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2 * k, maxLength: 2 * k }), fc.constantFrom('constant', 'reflect', 'replicate'), fc.float({ min: -5, max: 5, noNaN: true })),
    ),
  );

  it('matches the naive reference in every mode', () => {
    fc.assert(
      fc.property(arbPad, ([x, pads0, mode, value]) => {
        // Reflect needs each pad <= size - 1.
        const k = pads0.length / 2;
        const pads = mode === 'reflect' ? pads0.map((p, j) => Math.min(p, x.shape[x.shape.length - k + Math.floor(j / 2)]! - 1)) : pads0;
        const out = run1('pad', { x }, { pad: pads, mode, constant_val: value });
        const ref = refPad(x, pads, mode, Math.fround(value));
        expectTensor(out, ref.shape, ref.data);
      }),
      { numRuns: 150 },
    );
  });

  it('pad then slice back is the identity', () => {
    fc.assert(
      fc.property(arbPad, ([x, pads, , value]) => {
        const padded = run1('pad', { x }, { pad: pads, constant_val: value });
        const k = pads.length / 2, r = x.shape.length;
        const begin = x.shape.map((_, i) => (i < r - k ? 0 : pads[2 * (i - r + k)]!));
        const end = x.shape.map((d, i) => begin[i]! + d);
        expectTensor(run1('slice', { x: padded }, { begin, end }), [...x.shape], x.data);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps unpadded symbolic axes and rejects bad pads with coded errors', () => {
    expect(infer1('pad', { x: tt('fp16', ['b', 3, 4]) }, { pad: [1, 1, 0, 2] }).shape).toEqual(['b', 5, 6]);
    expect(inferCode('pad', { x: tt('fp16', [3, 'w']) }, { pad: [1, 1] })).toBe('E_SHAPE_INVALID');
    const x = fillTensor('fp32', [2, 3], 1);
    expect(errorCode(() => run1('pad', { x }, { pad: [1] }))).toBe('E_ATTR');
    expect(errorCode(() => run1('pad', { x }, { pad: [] }))).toBe('E_ATTR');
    expect(errorCode(() => run1('pad', { x }, { pad: [1, 1, 1, 1, 1, 1] }))).toBe('E_ATTR');
    expect(errorCode(() => run1('pad', { x }, { pad: [0, -1] }))).toBe('E_ATTR');
    expect(errorCode(() => run1('pad', { x }, { pad: [3, 0], mode: 'reflect' }))).toBe('E_SHAPE_MISMATCH');
    expect(errorCode(() => run1('pad', { x }, { pad: [1, 0], mode: 'wrap' }))).toBe('E_ATTR');
    expect(errorCode(() => run1('pad', { x: fillTensor('int32', [2, 3], 1) }, { pad: [1, 0] }))).toBe('E_DTYPE_MISMATCH');
    expect(errorCode(() => run1('pad', { x: fillTensor('fp32', [], 1) }, { pad: [1, 0] }))).toBe('E_RANK');
  });
});

describe('robustness', () => {
  const ints = fc.array(fc.integer({ min: -6, max: 6 }), { maxLength: 5 });
  const arbCall = fc.oneof(
    fc.record({ op: fc.constant('reshape'), attrs: fc.record({ shape: ints }) }),
    fc.record({ op: fc.constant('transpose'), attrs: fc.record({ perm: ints }) }),
    fc.record({ op: fc.constant('expand_dims'), attrs: fc.record({ axes: ints }) }),
    fc.record({ op: fc.constant('squeeze'), attrs: fc.record({ axes: ints }) }),
    fc.record({ op: fc.constant('split'), attrs: fc.record({ axis: fc.integer({ min: -5, max: 5 }), num_splits: fc.integer({ min: -1, max: 5 }), split_sizes: ints }, { requiredKeys: ['axis'] }) }),
    fc.record({ op: fc.constant('slice'), attrs: fc.record({ begin: ints, end: ints, strides: ints }, { requiredKeys: ['begin', 'end'] }) }),
    fc.record({ op: fc.constant('pad'), attrs: fc.record({ pad: ints, mode: fc.constantFrom('constant', 'reflect', 'replicate') }) }),
  );

  it('random attributes either work or raise a coded FastVlmError', () => {
    fc.assert(
      fc.property(arbX(0, 4, 3), arbCall, (x, { op, attrs }) => {
        const c = errorCode(() => run(op, { x }, attrs as Attrs));
        expect(c === 'ok' || c.startsWith('E_')).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('refuses outputs too large to materialize with E_INTERPRET', () => {
    expect(errorCode(() => run1('pad', { x: fillTensor('fp32', [1], 1) }, { pad: [2 ** 30, 0] }))).toBe('E_INTERPRET');
  });
});
