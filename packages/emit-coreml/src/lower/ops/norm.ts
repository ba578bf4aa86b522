/**
 * Normalizations. `batch_norm` and `layer_norm` map to the MIL ops when their parameters are
 * constants (MIL requires that), and otherwise decompose into reductions and elementwise ops.
 * `rms_norm` has no MIL op and always decomposes:
 * `mul(x, x) -> reduce_mean(axes, keep_dims) -> add(epsilon) -> rsqrt -> mul(x, .) [-> mul(gamma)]`.
 * @module
 */
import { type TensorType, tensor } from '@fastvlm/graph';
import type { LoweringContext, MilVal, OutSlot } from '../context.js';
import { epsilonDtype } from './elementwise.js';
import type { LoweringTable } from './types.js';

/** Normalized axes, non-negative and increasing (absent = every axis). */
export function resolvedAxes(axes: readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  return [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

/**
 * Makes a parameter shaped like `x` at `axes` broadcastable against `x`: reshaped to x's dims at
 * `axes` and 1 elsewhere (leading 1s dropped), unless it already has that shape.
 */
function alignParam(cx: LoweringContext, p: MilVal, x: TensorType, axes: readonly number[], what: string): MilVal {
  const full = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
  let lead = 0;
  while (lead < full.length - 1 && full[lead] === 1) lead++;
  const target = full.slice(lead);
  if (target.length === p.type.shape.length && target.every((d, i) => d === p.type.shape[i])) return p;
  const shape = cx.staticShape({ dtype: p.type.dtype, shape: target }, `${what} broadcast shape`);
  return cx.emit1('reshape', { x: p, shape: cx.int32s(`${what}_shape`, shape) }, cx.temp(`${what}_b`, { dtype: p.type.dtype, shape }));
}

/** Emits a chain of binary ops where only the last writes the op's output slot. */
class Chain {
  private steps: { mil: string; y: MilVal | ((x: MilVal) => Record<string, MilVal>); suffix: string }[] = [];
  constructor(private readonly cx: LoweringContext) {}

  then(mil: string, y: MilVal | ((x: MilVal) => Record<string, MilVal>), suffix: string): this {
    this.steps.push({ mil, y, suffix });
    return this;
  }

  run(x: MilVal, type: TensorType): MilVal {
    let cur = x;
    this.steps.forEach((s, i) => {
      const slot: OutSlot = i === this.steps.length - 1 ? this.cx.out() : this.cx.temp(s.suffix, type);
      const inputs = typeof s.y === 'function' ? s.y(cur) : { x: cur, y: s.y };
      cur = this.cx.emit1(s.mil, inputs, slot);
    });
    return cur;
  }
}

const batchNorm = (cx: LoweringContext): void => {
  const x = cx.input('x');
  const params = { mean: cx.input('mean'), variance: cx.input('variance'), gamma: cx.optInput('gamma'), beta: cx.optInput('beta') };
  const eps = cx.attr<number>('epsilon');
  if (Object.values(params).every((p) => p === undefined || p.isConst)) {
    cx.emit1('batch_norm', { x, ...params, epsilon: cx.scalar('epsilon', x.type.dtype, eps) }, cx.out());
    return;
  }
  // Computed statistics: (x - mean) * rsqrt(variance + eps) * gamma + beta, per channel (axis 1).
  const axes = [1];
  const p = (v: MilVal, what: string): MilVal => alignParam(cx, v, x.type, axes, what);
  const type = x.type;
  const centered = cx.emit1('sub', { x, y: p(params.mean, 'mean') }, cx.temp('centered', type));
  const variance = p(params.variance, 'variance');
  const inv = cx.emit1('rsqrt', { x: variance, epsilon: cx.scalar('epsilon', epsilonDtype(cx, x), eps) }, cx.temp('inv_std', variance.type));
  const chain = new Chain(cx).then('mul', inv, 'normalized');
  if (params.gamma) chain.then('mul', p(params.gamma, 'gamma'), 'scaled');
  if (params.beta) chain.then('add', p(params.beta, 'beta'), 'shifted');
  chain.run(centered, type);
};

const layerNorm = (cx: LoweringContext): void => {
  const x = cx.input('x');
  const gamma = cx.optInput('gamma');
  const beta = cx.optInput('beta');
  const axes = resolvedAxes(cx.optAttr<readonly number[]>('axes'), x.type.shape.length);
  const eps = cx.attr<number>('epsilon');
  if ((gamma === undefined || gamma.isConst) && (beta === undefined || beta.isConst)) {
    // The IR's axes as written (negative ones included), so a lifted program emits the same MIL.
    const given = cx.optAttr<readonly number[]>('axes') ?? axes;
    cx.emit1('layer_norm', { x, axes: cx.int32s('axes', given), gamma, beta, epsilon: cx.scalar('epsilon', x.type.dtype, eps) }, cx.out());
    return;
  }
  const type = x.type;
  const statType: TensorType = { dtype: type.dtype, shape: type.shape.map((d, i) => (axes.includes(i) ? 1 : d)) };
  const axesC = cx.int32s('axes', axes);
  const keep = cx.bool('keep_dims', true);
  const mean = cx.emit1('reduce_mean', { x, axes: axesC, keep_dims: keep }, cx.temp('mean', statType));
  const centered = cx.emit1('sub', { x, y: mean }, cx.temp('centered', type));
  const sq = cx.emit1('mul', { x: centered, y: centered }, cx.temp('sq', type));
  const variance = cx.emit1('reduce_mean', { x: sq, axes: axesC, keep_dims: keep }, cx.temp('variance', statType));
  const inv = cx.emit1('rsqrt', { x: variance, epsilon: cx.scalar('epsilon', epsilonDtype(cx, x), eps) }, cx.temp('inv_std', statType));
  const chain = new Chain(cx).then('mul', inv, 'normalized');
  if (gamma) chain.then('mul', alignParam(cx, gamma, type, axes, 'gamma'), 'scaled');
  if (beta) chain.then('add', alignParam(cx, beta, type, axes, 'beta'), 'shifted');
  chain.run(centered, type);
};

const rmsNorm = (cx: LoweringContext): void => {
  const x = cx.input('x');
  const gamma = cx.optInput('gamma');
  const type = x.type;
  const axes = resolvedAxes(cx.attr<readonly number[]>('axes'), type.shape.length);
  const statType: TensorType = { dtype: type.dtype, shape: type.shape.map((d, i) => (axes.includes(i) ? 1 : d)) };
  const sq = cx.emit1('mul', { x, y: x }, cx.temp('sq', type));
  const ms = cx.emit1('reduce_mean', { x: sq, axes: cx.int32s('axes', axes), keep_dims: cx.bool('keep_dims', true) }, cx.temp('mean_sq', statType));
  const shifted = cx.emit1('add', { x: ms, y: cx.constant('epsilon', tensor(type.dtype, [], [cx.attr<number>('epsilon')])) }, cx.temp('mean_sq_eps', statType));
  // epsilon already added: rsqrt's own epsilon (default 1e-12) is set to 0.
  const inv = cx.emit1('rsqrt', { x: shifted, epsilon: cx.scalar('rsqrt_epsilon', epsilonDtype(cx, x), 0) }, cx.temp('inv_rms', statType));
  const chain = new Chain(cx).then('mul', (cur) => ({ x, y: cur }), 'normalized');
  if (gamma) chain.then('mul', alignParam(cx, gamma, type, axes, 'gamma'), 'scaled');
  chain.run(inv, type);
};

export const normLowerings: LoweringTable = {
  batch_norm: batchNorm,
  layer_norm: layerNorm,
  rms_norm: rmsNorm,
};
