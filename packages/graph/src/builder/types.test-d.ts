import { describe, expectTypeOf, it } from 'vitest';
import type { DType } from '../dtype.js';
import { graph, type MaxRank, type TensorHandle } from './index.js';

const f = graph().function('main');
const x = f.input('x', 'fp32', [1, 3, 224, 224]);
const v = f.input('v', 'fp32', [224]);
const h = f.input('h', 'fp16', [2, 8]);
const i = f.input('i', 'int32', [4, 4]);
const s = f.input('s', 'fp32', [1, 'seq', 8]);
const dyn = f.input('d', 'fp32', [1, 2] as number[]);

describe('handle types', () => {
  it('inputs carry dtype and the rank of the shape literal', () => {
    expectTypeOf(x).toEqualTypeOf<TensorHandle<'fp32', 4>>();
    expectTypeOf(h).toEqualTypeOf<TensorHandle<'fp16', 2>>();
    expectTypeOf(s).toEqualTypeOf<TensorHandle<'fp32', 3>>();
    expectTypeOf(dyn).toEqualTypeOf<TensorHandle<'fp32', number>>();
    expectTypeOf(x.dtype).toEqualTypeOf<'fp32'>();
    expectTypeOf(x.rank).toEqualTypeOf<4>();
  });

  it('parameters, constants and scalars carry dtype and rank', () => {
    expectTypeOf(f.param('w', 'fp16', [8, 3, 3, 3])).toEqualTypeOf<TensorHandle<'fp16', 4>>();
    expectTypeOf(f.constant('int32', [2], [1, 2])).toEqualTypeOf<TensorHandle<'int32', 1>>();
    expectTypeOf(f.scalar(1)).toEqualTypeOf<TensorHandle<'fp32', 0>>();
    expectTypeOf(f.scalar(1, 'fp16')).toEqualTypeOf<TensorHandle<'fp16', 0>>();
  });

  it('same-as-input ops keep dtype and rank', () => {
    expectTypeOf(f.relu(x)).toEqualTypeOf<TensorHandle<'fp32', 4>>();
    expectTypeOf(f.softmax(h, { axis: -1 })).toEqualTypeOf<TensorHandle<'fp16', 2>>();
    expectTypeOf(f.neg(i)).toEqualTypeOf<TensorHandle<'int32', 2>>();
  });

  it('binary broadcast ops give the larger literal rank, number when unknown', () => {
    expectTypeOf(f.add(x, v)).toEqualTypeOf<TensorHandle<'fp32', 4>>();
    expectTypeOf(f.mul(v, x)).toEqualTypeOf<TensorHandle<'fp32', 4>>();
    expectTypeOf(f.sub(v, f.scalar(1))).toEqualTypeOf<TensorHandle<'fp32', 1>>();
    expectTypeOf(f.add(x, dyn)).toEqualTypeOf<TensorHandle<'fp32', number>>();
    const cond = f.input('cond', 'bool', [2, 224]);
    expectTypeOf(f.select(cond, v, v)).toEqualTypeOf<TensorHandle<'fp32', 2>>();
    expectTypeOf(f.less(x, v)).toEqualTypeOf<TensorHandle<'bool', 4>>();
  });

  it('rank:N, attr-dtype and dynamic typings', () => {
    const w = f.param('cw', 'fp32', [8, 3, 3, 3]);
    expectTypeOf(f.conv2d(x, w)).toEqualTypeOf<TensorHandle<'fp32', 4>>();
    expectTypeOf(f.cast(x, { dtype: 'fp16' })).toEqualTypeOf<TensorHandle<'fp16', 4>>();
    expectTypeOf(f.reshape(x, { shape: [3, -1] })).toEqualTypeOf<TensorHandle<'fp32', number>>();
    expectTypeOf(f.reshape(x, { shape: [3, -1] }).asRank(2)).toEqualTypeOf<TensorHandle<'fp32', 2>>();
  });

  it('multi-output ops return arrays of handles', () => {
    expectTypeOf(f.split(h, { axis: 1, num_splits: 2 })).toEqualTypeOf<TensorHandle<'fp16', 2>[]>();
  });

  it('MaxRank computes with literals and degrades to number', () => {
    expectTypeOf<MaxRank<2, 5>>().toEqualTypeOf<5>();
    expectTypeOf<MaxRank<5, 2>>().toEqualTypeOf<5>();
    expectTypeOf<MaxRank<0, 0>>().toEqualTypeOf<0>();
    expectTypeOf<MaxRank<number, 2>>().toEqualTypeOf<number>();
    expectTypeOf<MaxRank<40, 2>>().toEqualTypeOf<number>();
  });

  it('a handle of a narrower type is accepted where a wider one is expected', () => {
    const take = (t: TensorHandle<DType, number>): TensorHandle<DType, number> => t;
    expectTypeOf(take(x)).toEqualTypeOf<TensorHandle<DType, number>>();
  });
});

describe('compile errors', () => {
  it('rejects an int32 tensor in softmax', () => {
    // @ts-expect-error softmax accepts fp16 and fp32 only
    f.softmax(i);
  });

  it('rejects unknown attribute names', () => {
    // @ts-expect-error `axes` is not an attribute of softmax
    f.softmax(x, { axes: [1] });
    // @ts-expect-error `stride` (singular) is not an attribute of conv2d
    f.conv2d(x, f.param('cw2', 'fp32', [8, 3, 3, 3]), undefined, { stride: [2, 2] });
  });

  it('rejects option literals outside the allowed set', () => {
    // @ts-expect-error pad_type is one of valid, same, same_lower, custom
    f.conv2d(x, f.param('cw3', 'fp32', [8, 3, 3, 3]), undefined, { pad_type: 'full' });
    // @ts-expect-error gelu mode is one of EXACT, TANH_APPROXIMATION, SIGMOID_APPROXIMATION
    f.gelu(x, { mode: 'tanh' });
  });

  it('rejects missing required attributes and wrong attribute kinds', () => {
    // @ts-expect-error transpose needs perm
    f.transpose(x, {});
    // @ts-expect-error axis is an int, not a string
    f.softmax(x, { axis: 'last' });
  });

  it('rejects a literal rank the op cannot take', () => {
    // @ts-expect-error conv2d needs a rank-4 input
    f.conv2d(h, f.param('cw4', 'fp16', [8, 3, 3, 3]));
  });

  it('rejects a bool input to arithmetic and a float input where bool is needed', () => {
    const b = f.less(x, v);
    // @ts-expect-error add accepts fp16, fp32, int32
    f.add(b, b);
    // @ts-expect-error select's cond must be bool
    f.select(x, x, x);
  });
});
