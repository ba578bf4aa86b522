/**
 * `nn.layerNorm` and `nn.rmsNorm` with Hugging Face parameter names (`weight`, `bias`).
 * @module
 */
import { show } from '../builder/show.js';
import type { FloatDType } from '../dtype.js';
import type { GraphFunction } from '../builder/graph-function.js';
import type { TensorHandle } from '../builder/handle.js';
import { normAxis } from '../shape.js';
import { expectFloat, inScope, optionError, staticDim } from './util.js';

/** Options of {@link layerNorm}. */
export interface LayerNormOptions {
  /** Sub-scope of the parameters (e.g. `'norm'`); absent: the current scope. */
  readonly name?: string;
  /** Axes to normalize over (default `[-1]`; `[1]` for the channels of NCHW). */
  readonly axes?: readonly number[];
  /** Added to the variance (default 1e-5). */
  readonly eps?: number;
  /** Whether the layer has `weight` and `bias` (default true). */
  readonly elementwiseAffine?: boolean;
  /** Whether the layer has a `bias` when affine (default true). */
  readonly bias?: boolean;
}

/** Normalized axes sorted ascending, validated (E_ATTR naming the layer). */
function normAxes(layer: string, f: GraphFunction, rank: number, axes: readonly number[]): number[] {
  if (!Array.isArray(axes) || axes.length === 0) optionError(layer, f, `axes must be a non-empty list of integers, got ${show(axes)}`);
  const out = axes.map((a) => {
    const n = Number.isInteger(a) ? normAxis(a, rank) : undefined;
    if (n === undefined) optionError(layer, f, `axis ${show(a)} is out of range for rank ${rank}`);
    return n;
  });
  if (new Set(out).size !== out.length) optionError(layer, f, `axes ${show(axes)} repeat an axis`);
  return out.sort((a, b) => a - b);
}

/**
 * Layer normalization over `axes` with `weight` (ones) and `bias` (zeros) shaped like the
 * normalized axes in increasing order, as the `layer_norm` op expects.
 */
export function layerNorm<D extends FloatDType, R extends number>(f: GraphFunction, x: TensorHandle<D, R>, opts: LayerNormOptions = {}): TensorHandle<D, R> {
  expectFloat('layerNorm', f, x);
  const axes = normAxes('layerNorm', f, x.rank, opts.axes ?? [-1]);
  const shape = axes.map((a) => staticDim('layerNorm', f, x, a, 'a normalized axis'));
  const eps = opts.eps ?? 1e-5;
  if (typeof eps !== 'number' || !(eps >= 0)) optionError('layerNorm', f, `eps must be a number >= 0, got ${show(eps)}`);
  return inScope(f, opts.name, () => {
    const affine = opts.elementwiseAffine ?? true;
    const w = affine ? f.param('weight', x.dtype, shape, { init: { kind: 'ones' } }) : undefined;
    const b = affine && (opts.bias ?? true) ? f.param('bias', x.dtype, shape, { init: { kind: 'zeros' } }) : undefined;
    return f.layerNorm(x, w, b, { axes, epsilon: eps });
  });
}

/** Options of {@link rmsNorm}. */
export interface RmsNormOptions {
  /** Sub-scope of the parameter (e.g. `'input_layernorm'`); absent: the current scope. */
  readonly name?: string;
  /** Added to the mean square (default 1e-6, as Qwen2). */
  readonly eps?: number;
  /** Axes to normalize over (default `[-1]`). */
  readonly axes?: readonly number[];
}

/** RMS normalization `x / sqrt(mean(x^2) + eps) * weight` with `weight` (ones) shaped like the normalized axes. */
export function rmsNorm<D extends FloatDType, R extends number>(f: GraphFunction, x: TensorHandle<D, R>, opts: RmsNormOptions = {}): TensorHandle<D, R> {
  expectFloat('rmsNorm', f, x);
  const given = opts.axes ?? [-1];
  const axes = normAxes('rmsNorm', f, x.rank, given);
  const shape = axes.map((a) => staticDim('rmsNorm', f, x, a, 'a normalized axis'));
  const eps = opts.eps ?? 1e-6;
  if (typeof eps !== 'number' || !(eps >= 0)) optionError('rmsNorm', f, `eps must be a number >= 0, got ${show(eps)}`);
  return inScope(f, opts.name, () => {
    const w = f.param('weight', x.dtype, shape, { init: { kind: 'ones' } });
    // The op takes the axes as given (its default [-1] stays implicit in the IR).
    return f.rmsNorm(x, w, { axes: [...given], epsilon: eps });
  });
}
