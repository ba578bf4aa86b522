/**
 * Activation ops: relu, gelu (three MIL modes), silu, sigmoid and a numerically stable softmax.
 * All take and return fp16 or fp32.
 * @module
 */
import { FLOATS } from '../dtype.js';
import type { Attrs } from '../ir/types.js';
import { allocData } from '../tensor.js';
import type { AttrSpec, OpDef } from './def.js';
import { axisGroups } from './kernels/axis-groups.js';
import { erf } from './kernels/erf.js';
import { attrInt, attrStr, axisOf, inTensor, inType } from './util.js';

const FAMILY = 'activation';

/** Logistic function, computed without overflow: exp is only taken of non-positive numbers. */
export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** The `mode` values of `gelu`, as MIL spells them. */
export const GELU_MODES = ['EXACT', 'TANH_APPROXIMATION', 'SIGMOID_APPROXIMATION'] as const;

function geluFn(mode: string): (v: number) => number {
  switch (mode) {
    case 'TANH_APPROXIMATION':
      return (v) => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
    case 'SIGMOID_APPROXIMATION':
      return (v) => v * sigmoid(1.702 * v);
    default:
      return (v) => 0.5 * v * (1 + erf(v / Math.SQRT2));
  }
}

interface PointwiseSpec {
  readonly name: string;
  readonly doc: string;
  readonly attrs?: readonly AttrSpec[];
  readonly make: (attrs: Attrs) => (v: number) => number;
}

const POINTWISE: readonly PointwiseSpec[] = [
  { name: 'relu', doc: 'Rectified linear unit: `output = max(x, 0)`; NaN stays NaN.', make: () => (v) => Math.max(v, 0) },
  {
    name: 'gelu',
    doc: 'Gaussian error linear unit. `EXACT`: `output = 0.5 x (1 + erf(x / sqrt(2)))`; `TANH_APPROXIMATION`: `output = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`; `SIGMOID_APPROXIMATION`: `output = x * sigmoid(1.702 x)`.',
    attrs: [{ name: 'mode', kind: 'string', default: 'EXACT', oneOf: GELU_MODES, doc: 'Which formula: the exact one or one of the two approximations.' }],
    make: (attrs) => geluFn(attrStr(attrs, 'mode')),
  },
  { name: 'silu', doc: 'Sigmoid linear unit (swish): `output = x * sigmoid(x) = x / (1 + e^-x)`.', make: () => (v) => v * sigmoid(v) },
  { name: 'sigmoid', doc: 'Logistic function: `output = 1 / (1 + e^-x)`, evaluated without overflow for large |x|.', make: () => sigmoid },
];

function pointwiseOp(s: PointwiseSpec): OpDef {
  return {
    name: s.name,
    family: FAMILY,
    traits: { layout: 'elementwise', commutative: false },
    doc: s.doc,
    inputs: [{ name: 'x', dtypes: FLOATS, doc: 'Input tensor.' }],
    attrs: s.attrs ?? [],
    outputs: [{ name: 'output', typing: 'same:x' }],
    infer(inputs) {
      const x = inType(inputs, 'x');
      return [{ dtype: x.dtype, shape: x.shape }];
    },
    kernel(inputs, attrs) {
      const x = inTensor(inputs, 'x');
      const f = s.make(attrs);
      const out = allocData(x.dtype, x.data.length);
      for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]!);
      return [{ dtype: x.dtype, shape: [...x.shape], data: out }];
    },
  };
}

const softmaxOp: OpDef = {
  name: 'softmax',
  family: FAMILY,
  traits: { layout: 'axes', commutative: false },
  doc: 'Softmax along `axis`: `output_i = e^(x_i - m) / sum_j e^(x_j - m)` where `m` is the maximum along the axis (subtracting it keeps every exponent <= 0, so nothing overflows). Each slice along `axis` sums to 1.',
  inputs: [{ name: 'x', dtypes: FLOATS, doc: 'Input tensor, rank >= 1.' }],
  attrs: [{ name: 'axis', kind: 'int', default: -1, doc: 'The axis to normalize over; negative counts from the end.' }],
  outputs: [{ name: 'output', typing: 'same:x' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    axisOf(attrInt(attrs, 'axis'), x.shape.length);
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  kernel(inputs, attrs) {
    const x = inTensor(inputs, 'x');
    const axis = axisOf(attrInt(attrs, 'axis'), x.shape.length);
    const { groupOf, groups } = axisGroups(x.shape, [axis]);
    const n = x.data.length;
    const max = new Float64Array(groups).fill(-Infinity);
    for (let i = 0; i < n; i++) {
      const g = groupOf[i]!;
      const v = x.data[i]!;
      if (v > max[g]! || Number.isNaN(v)) max[g] = v;
    }
    const e = new Float64Array(n);
    const sum = new Float64Array(groups);
    for (let i = 0; i < n; i++) {
      const g = groupOf[i]!;
      const v = Math.exp(x.data[i]! - max[g]!);
      e[i] = v;
      sum[g]! += v;
    }
    const out = allocData(x.dtype, n);
    for (let i = 0; i < n; i++) out[i] = e[i]! / sum[groupOf[i]!]!;
    return [{ dtype: x.dtype, shape: [...x.shape], data: out }];
  },
};

/** All activation op definitions. */
export const activationOps: OpDef[] = [...POINTWISE.map(pointwiseOp), softmaxOp];
