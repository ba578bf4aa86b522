/**
 * Reductions over a set of axes: reduce_mean, reduce_sum, reduce_max (MIL names and attributes).
 * @module
 */
import { FLOATS_INT32, isFloat } from '../dtype.js';
import { graphError } from '../errors.js';
import { type Tensor, allocData } from '../tensor.js';
import type { OpDef } from './def.js';
import { axisGroups, reducedShape, resolveAxes } from './kernels/axis-groups.js';
import { attrBool, attrOpt, inTensor, inType } from './util.js';

const FAMILY = 'reduce';

/** Accumulates per group in double precision; `finish` turns (accumulator, count) into the result. */
interface ReduceSpec {
  readonly name: string;
  readonly doc: string;
  readonly init: number;
  readonly step: (acc: number, v: number, int: boolean) => number;
  readonly finish: (acc: number, count: number, int: boolean) => number;
}

const REDUCE: readonly ReduceSpec[] = [
  {
    name: 'reduce_sum',
    doc: 'Sum over `axes`: `output = sum_{i in axes} x_i`. An empty slice sums to 0; int32 sums wrap modulo 2^32.',
    init: 0,
    // int32: add with wrap-around at every step so the result is the exact int32 sum.
    step: (acc, v, int) => (int ? (acc + v) | 0 : acc + v),
    finish: (acc) => acc,
  },
  {
    name: 'reduce_mean',
    doc: 'Mean over `axes`: `output = (sum_{i in axes} x_i) / N` with N the number of reduced elements. int32 truncates the exact mean toward zero. An empty slice gives NaN for floats and is an E_INTERPRET error for int32.',
    init: 0,
    step: (acc, v) => acc + v, // exact for int32 up to 2^53
    finish: (acc, count, int) => {
      if (!int) return acc / count;
      if (count === 0) throw graphError('E_INTERPRET', 'reduce_mean of an empty int32 slice has no value');
      return Math.trunc(acc / count);
    },
  },
  {
    name: 'reduce_max',
    doc: 'Maximum over `axes`: `output = max_{i in axes} x_i`; NaN anywhere in a slice gives NaN. An empty slice is an E_INTERPRET error (a maximum has no identity).',
    init: -Infinity,
    // Once acc is NaN, `v > acc` is false for every v, so NaN sticks.
    step: (acc, v) => (v > acc || Number.isNaN(v) ? v : acc),
    finish: (acc, count) => {
      if (count === 0) throw graphError('E_INTERPRET', 'reduce_max of an empty slice has no value');
      return acc;
    },
  },
];

function reduceKernel(s: ReduceSpec, x: Tensor, axesAttr: readonly number[] | undefined, keep: boolean): Tensor {
  const axes = resolveAxes(axesAttr, x.shape.length);
  const { groupOf, groups, groupSize } = axisGroups(x.shape, axes);
  const int = !isFloat(x.dtype);
  const acc = new Float64Array(groups).fill(s.init);
  for (let i = 0; i < x.data.length; i++) {
    const g = groupOf[i]!;
    acc[g] = s.step(acc[g]!, x.data[i]!, int);
  }
  const out = allocData(x.dtype, groups);
  for (let g = 0; g < groups; g++) out[g] = s.finish(acc[g]!, groupSize, int);
  return { dtype: x.dtype, shape: reducedShape(x.shape, axes, keep) as number[], data: out };
}

function reduceOp(s: ReduceSpec): OpDef {
  return {
    name: s.name,
    family: FAMILY,
    traits: { layout: 'axes', commutative: false },
    doc: `${s.doc} Without \`keep_dims\` the reduced axes are removed (reducing every axis gives a scalar); with it they stay as size 1. An empty \`axes\` list reduces nothing.`,
    inputs: [{ name: 'x', dtypes: FLOATS_INT32, doc: 'Input tensor.' }],
    attrs: [
      { name: 'axes', kind: 'ints', optional: true, doc: 'Axes to reduce (negative counts from the end, no repeats); absent means every axis.' },
      { name: 'keep_dims', kind: 'bool', default: false, doc: 'Keep reduced axes as size 1.' },
    ],
    outputs: [{ name: 'output', typing: 'dynamic' }],
    infer(inputs, attrs) {
      const x = inType(inputs, 'x');
      const axes = resolveAxes(attrOpt<readonly number[]>(attrs, 'axes'), x.shape.length);
      return [{ dtype: x.dtype, shape: reducedShape(x.shape, axes, attrBool(attrs, 'keep_dims')) }];
    },
    kernel(inputs, attrs) {
      return [reduceKernel(s, inTensor(inputs, 'x'), attrOpt<readonly number[]>(attrs, 'axes'), attrBool(attrs, 'keep_dims'))];
    },
  };
}

/** All reduction op definitions. */
export const reduceOps: OpDef[] = REDUCE.map(reduceOp);
