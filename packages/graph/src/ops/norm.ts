/**
 * Normalization ops: batch_norm (inference form, channel axis 1), layer_norm over any set of
 * axes, and rms_norm. Statistics are computed in double precision.
 * @module
 */
import { FLOATS } from '../dtype.js';
import { graphError } from '../errors.js';
import type { TensorType } from '../ir/types.js';
import { type Shape, formatShape, shapeEq } from '../shape.js';
import { type Tensor, allocData } from '../tensor.js';
import type { OpDef } from './def.js';
import { axesOffsets, axisGroups, resolveAxes, shapeAtAxes } from './kernels/axis-groups.js';
import { expectSameDtype, nonNegativeAttr } from './kernels/infer-checks.js';
import { attrNum, attrOpt, inTensor, inType, optTensor, optType } from './util.js';

const FAMILY = 'norm';

/** Throws `E_SHAPE_MISMATCH` unless parameter `name` (when given) has shape `want`. */
function expectParamShape(name: string, t: TensorType | undefined, want: Shape, what: string): void {
  if (t !== undefined && !shapeEq(t.shape, want)) {
    throw graphError('E_SHAPE_MISMATCH', `input '${name}' has shape ${formatShape(t.shape)}; expected ${formatShape(want)} (${what})`);
  }
}

const batchNormOp: OpDef = {
  name: 'batch_norm',
  family: FAMILY,
  traits: { layout: 'fixed', commutative: false },
  doc: 'Batch normalization with fixed statistics over channel axis 1 of `x` [N, C, *D]: `output = (x - mean[c]) / sqrt(variance[c] + epsilon) * gamma[c] + beta[c]`, with gamma 1 and beta 0 when omitted.',
  inputs: [
    { name: 'x', dtypes: FLOATS, doc: 'Input [N, C, *D], rank 3 to 5.' },
    { name: 'mean', dtypes: FLOATS, rank: 1, doc: 'Per-channel mean [C].' },
    { name: 'variance', dtypes: FLOATS, rank: 1, doc: 'Per-channel variance [C].' },
    { name: 'gamma', dtypes: FLOATS, rank: 1, optional: true, doc: 'Per-channel scale [C] (default 1).' },
    { name: 'beta', dtypes: FLOATS, rank: 1, optional: true, doc: 'Per-channel offset [C] (default 0).' },
  ],
  attrs: [{ name: 'epsilon', kind: 'float', default: 1e-5, doc: 'Added to the variance.' }],
  outputs: [{ name: 'output', typing: 'same:x' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    const params = ['mean', 'variance', 'gamma', 'beta'] as const;
    const types = params.map((p) => [p, p === 'mean' || p === 'variance' ? inType(inputs, p) : optType(inputs, p)] as const);
    const dtype = expectSameDtype([['x', x], ...types]);
    if (x.shape.length < 3 || x.shape.length > 5) {
      throw graphError('E_RANK', `input 'x' has rank ${x.shape.length} (${formatShape(x.shape)}); expected rank 3 to 5 ([N, C, *D])`);
    }
    const c = x.shape[1]!;
    for (const [p, t] of types) expectParamShape(p, t, [c], `one value per channel of x ${formatShape(x.shape)}`);
    nonNegativeAttr(attrNum(attrs, 'epsilon'), 'epsilon');
    return [{ dtype, shape: x.shape }];
  },
  kernel(inputs, attrs) {
    const x = inTensor(inputs, 'x');
    const mean = inTensor(inputs, 'mean').data;
    const variance = inTensor(inputs, 'variance').data;
    const gamma = optTensor(inputs, 'gamma')?.data;
    const beta = optTensor(inputs, 'beta')?.data;
    const eps = attrNum(attrs, 'epsilon');
    const c = x.shape[1]!;
    let inner = 1;
    for (let k = 2; k < x.shape.length; k++) inner *= x.shape[k]!;
    const out = allocData(x.dtype, x.data.length);
    for (let i = 0; i < out.length; i++) {
      const ch = Math.floor(i / inner) % c;
      const norm = (x.data[i]! - mean[ch]!) / Math.sqrt(variance[ch]! + eps);
      out[i] = norm * (gamma ? gamma[ch]! : 1) + (beta ? beta[ch]! : 0);
    }
    return [{ dtype: x.dtype, shape: [...x.shape], data: out }];
  },
};

/** Resolves the normalized axes of layer_norm / rms_norm; an empty set is rejected. */
function normAxes(op: string, x: TensorType, axes: readonly number[] | undefined): number[] {
  const r = resolveAxes(axes, x.shape.length);
  if (r.length === 0) {
    if (x.shape.length === 0) throw graphError('E_RANK', `${op} needs an input of rank >= 1, got a scalar`);
    throw graphError('E_ATTR', `${op} attribute 'axes' is empty; it must name at least one axis`);
  }
  return r;
}

/**
 * Shared kernel of layer_norm (centered) and rms_norm (not centered): per group over `axes`,
 * `output = (x - m) / sqrt(v + eps) * gamma + beta` where for layer_norm m is the mean and v
 * the (biased) variance, and for rms_norm m = 0 and v = mean(x^2).
 */
function normalizeKernel(x: Tensor, axes: readonly number[], center: boolean, eps: number, gamma: Tensor | undefined, beta: Tensor | undefined): Tensor {
  const { groupOf, groups, groupSize } = axisGroups(x.shape, axes);
  const n = x.data.length;
  const mean = new Float64Array(groups);
  if (center) {
    for (let i = 0; i < n; i++) mean[groupOf[i]!]! += x.data[i]!;
    for (let g = 0; g < groups; g++) mean[g]! /= groupSize;
  }
  // Second pass on centered values: avoids the cancellation of E[x^2] - E[x]^2.
  const scale = new Float64Array(groups);
  for (let i = 0; i < n; i++) {
    const g = groupOf[i]!;
    const d = x.data[i]! - mean[g]!;
    scale[g]! += d * d;
  }
  for (let g = 0; g < groups; g++) scale[g] = 1 / Math.sqrt(scale[g]! / groupSize + eps);
  const at = gamma || beta ? axesOffsets(x.shape, axes) : undefined;
  const out = allocData(x.dtype, n);
  for (let i = 0; i < n; i++) {
    const g = groupOf[i]!;
    let v = (x.data[i]! - mean[g]!) * scale[g]!;
    if (at) {
      const p = at[i]!;
      if (gamma) v *= gamma.data[p]!;
      if (beta) v += beta.data[p]!;
    }
    out[i] = v;
  }
  return { dtype: x.dtype, shape: [...x.shape], data: out };
}

const layerNormOp: OpDef = {
  name: 'layer_norm',
  family: FAMILY,
  traits: { layout: 'axes', commutative: false },
  doc: 'Layer normalization over `axes` (any set, default all): `output = (x - mean) / sqrt(var + epsilon) * gamma + beta`, where mean and the biased variance are taken over the normalized axes. `gamma` and `beta` have the shape of `x` restricted to the normalized axes in increasing axis order (MIL\'s rule); omitted, they are 1 and 0.',
  inputs: [
    { name: 'x', dtypes: FLOATS, doc: 'Input tensor, rank >= 1.' },
    { name: 'gamma', dtypes: FLOATS, optional: true, doc: 'Scale, shaped like the normalized axes (default 1).' },
    { name: 'beta', dtypes: FLOATS, optional: true, doc: 'Offset, shaped like the normalized axes (default 0).' },
  ],
  attrs: [
    { name: 'axes', kind: 'ints', optional: true, doc: 'Axes to normalize over (negative counts from the end, no repeats); absent means every axis.' },
    { name: 'epsilon', kind: 'float', default: 1e-5, doc: 'Added to the variance.' },
  ],
  outputs: [{ name: 'output', typing: 'same:x' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    const gamma = optType(inputs, 'gamma');
    const beta = optType(inputs, 'beta');
    const dtype = expectSameDtype([['x', x], ['gamma', gamma], ['beta', beta]]);
    const axes = normAxes('layer_norm', x, attrOpt<readonly number[]>(attrs, 'axes'));
    const want = shapeAtAxes(x.shape, axes);
    expectParamShape('gamma', gamma, want, `x ${formatShape(x.shape)} at axes [${axes.join(', ')}]`);
    expectParamShape('beta', beta, want, `x ${formatShape(x.shape)} at axes [${axes.join(', ')}]`);
    nonNegativeAttr(attrNum(attrs, 'epsilon'), 'epsilon');
    return [{ dtype, shape: x.shape }];
  },
  kernel(inputs, attrs) {
    const x = inTensor(inputs, 'x');
    const axes = resolveAxes(attrOpt<readonly number[]>(attrs, 'axes'), x.shape.length);
    return [normalizeKernel(x, axes, true, attrNum(attrs, 'epsilon'), optTensor(inputs, 'gamma'), optTensor(inputs, 'beta'))];
  },
};

const rmsNormOp: OpDef = {
  name: 'rms_norm',
  family: FAMILY,
  traits: { layout: 'axes', commutative: false },
  doc: 'Root-mean-square normalization over `axes` (default the last): `output = x / sqrt(mean(x^2) + epsilon) * gamma`, the mean taken over the normalized axes. `gamma` has the shape of `x` restricted to those axes in increasing order; omitted, it is 1. Not a MIL op: lowering decomposes it.',
  inputs: [
    { name: 'x', dtypes: FLOATS, doc: 'Input tensor, rank >= 1.' },
    { name: 'gamma', dtypes: FLOATS, optional: true, doc: 'Scale, shaped like the normalized axes (default 1).' },
  ],
  attrs: [
    { name: 'axes', kind: 'ints', default: [-1], doc: 'Axes to normalize over (negative counts from the end, no repeats).' },
    { name: 'epsilon', kind: 'float', default: 1e-6, doc: 'Added to the mean square.' },
  ],
  outputs: [{ name: 'output', typing: 'same:x' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    const gamma = optType(inputs, 'gamma');
    const dtype = expectSameDtype([['x', x], ['gamma', gamma]]);
    const axes = normAxes('rms_norm', x, attrOpt<readonly number[]>(attrs, 'axes'));
    expectParamShape('gamma', gamma, shapeAtAxes(x.shape, axes), `x ${formatShape(x.shape)} at axes [${axes.join(', ')}]`);
    nonNegativeAttr(attrNum(attrs, 'epsilon'), 'epsilon');
    return [{ dtype, shape: x.shape }];
  },
  kernel(inputs, attrs) {
    const x = inTensor(inputs, 'x');
    const axes = resolveAxes(attrOpt<readonly number[]>(attrs, 'axes'), x.shape.length);
    return [normalizeKernel(x, axes, false, attrNum(attrs, 'epsilon'), optTensor(inputs, 'gamma'), undefined)];
  },
};

/** All normalization op definitions. */
export const normOps: OpDef[] = [batchNormOp, layerNormOp, rmsNormOp];
