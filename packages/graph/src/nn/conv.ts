/**
 * `nn.conv2d`: a 2-D convolution layer with PyTorch parameter names.
 * @module
 */
import { show } from '../builder/show.js';
import type { FloatDType } from '../dtype.js';
import type { GraphFunction } from '../builder/graph-function.js';
import type { TensorHandle } from '../builder/handle.js';
import type { RankCheck } from '../builder/rank.js';
import { expectFloat, expectRank, inScope, optionError, positiveInt, staticDim } from './util.js';

/** Options of {@link conv2d}. */
export interface Conv2dLayerOptions {
  /** Sub-scope of the parameters (e.g. `'stem.0'`); absent: the current scope. */
  readonly name?: string;
  /** Output channels. */
  readonly outChannels: number;
  /** Kernel size: one number for square kernels, or `[kH, kW]`. */
  readonly kernelSize: number | readonly [number, number];
  /** Input channels; default: the static dim 1 of `x`. */
  readonly inChannels?: number;
  /** Channel groups (default 1; `inChannels` for depthwise). */
  readonly groups?: number;
  /** Strides `[sH, sW]` (default `[1, 1]`). */
  readonly strides?: readonly number[];
  /** Padding mode (default `'valid'`). */
  readonly pad_type?: 'valid' | 'same' | 'same_lower' | 'custom';
  /** `[top, bottom, left, right]` for `pad_type: 'custom'`. */
  readonly pad?: readonly number[];
  /** Dilations `[dH, dW]` (default `[1, 1]`). */
  readonly dilations?: readonly number[];
  /** Whether the layer has a bias `[out]` (default true, as PyTorch's `nn.Conv2d`). */
  readonly bias?: boolean;
}

/**
 * Convolution of NCHW `x` with parameters `weight` `[out, in/groups, kH, kW]` and (when `bias`)
 * `bias` `[out]` in the layer's scope, in `x`'s dtype.
 */
export function conv2d<D extends FloatDType, R extends number>(f: GraphFunction, x: TensorHandle<D, R> & RankCheck<R, 4, 'nn.conv2d', 'x'>, opts: Conv2dLayerOptions): TensorHandle<D, 4> {
  expectFloat('conv2d', f, x);
  expectRank('conv2d', f, x, 4);
  if (opts === null || typeof opts !== 'object') optionError('conv2d', f, 'options must be an object');
  const out = positiveInt('conv2d', f, 'outChannels', opts.outChannels);
  const groups = opts.groups === undefined ? 1 : positiveInt('conv2d', f, 'groups', opts.groups);
  const inC = opts.inChannels !== undefined ? positiveInt('conv2d', f, 'inChannels', opts.inChannels) : staticDim('conv2d', f, x, 1, 'the input channels');
  const ks = opts.kernelSize;
  const [kh, kw] = typeof ks === 'number' ? [ks, ks] : Array.isArray(ks) && ks.length === 2 ? ks : optionError('conv2d', f, `kernelSize must be a number or [kH, kW], got ${show(ks)}`);
  positiveInt('conv2d', f, 'kernelSize', kh);
  positiveInt('conv2d', f, 'kernelSize', kw);
  if (inC % groups !== 0 || out % groups !== 0) optionError('conv2d', f, `groups ${groups} must divide both inChannels ${inC} and outChannels ${out}`);
  return inScope(f, opts.name, () => {
    const w = f.param('weight', x.dtype, [out, inC / groups, kh, kw]);
    const b = (opts.bias ?? true) ? f.param('bias', x.dtype, [out], { init: { std: 1 / Math.sqrt((inC / groups) * kh * kw) } }) : undefined;
    return f.conv2d(x as TensorHandle<D, 4>, w, b, { strides: opts.strides, pad_type: opts.pad_type, pad: opts.pad, dilations: opts.dilations, groups: opts.groups });
  });
}
