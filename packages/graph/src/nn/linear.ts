/**
 * `nn.linear`: a fully connected layer with Hugging Face / PyTorch parameter names.
 * @module
 */
import type { FloatDType } from '../dtype.js';
import type { GraphFunction } from '../builder/graph-function.js';
import type { TensorHandle } from '../builder/handle.js';
import { expectFloat, inScope, optionError, positiveInt, staticDim } from './util.js';

/** Options of {@link linear}. */
export interface LinearOptions {
  /** Sub-scope of the parameters (e.g. `'q_proj'`); absent: the current scope. */
  readonly name?: string;
  /** Output features (rows of the weight). */
  readonly outFeatures: number;
  /** Input features; default: the static last dim of `x`. */
  readonly inFeatures?: number;
  /** Whether the layer has a bias `[out]` (default true, as PyTorch's `nn.Linear`). */
  readonly bias?: boolean;
}

/**
 * `y = x W^T + b` over the last axis of `x`, with parameters `weight` `[out, in]` and (when
 * `bias`) `bias` `[out]` in the layer's scope, in `x`'s dtype. Uses the `linear` op for rank
 * 1-3 inputs and `matmul` + `add` above.
 */
export function linear<D extends FloatDType, R extends number>(f: GraphFunction, x: TensorHandle<D, R>, opts: LinearOptions): TensorHandle<D, R> {
  expectFloat('linear', f, x);
  if (opts === null || typeof opts !== 'object') optionError('linear', f, 'options must be an object');
  const out = positiveInt('linear', f, 'outFeatures', opts.outFeatures);
  if (x.rank < 1) optionError('linear', f, `input %${x.name} must have rank >= 1`);
  const inF = opts.inFeatures !== undefined ? positiveInt('linear', f, 'inFeatures', opts.inFeatures) : staticDim('linear', f, x, -1, 'the input features');
  return inScope(f, opts.name, () => {
    const w = f.param('weight', x.dtype, [out, inF]);
    const b = (opts.bias ?? true) ? f.param('bias', x.dtype, [out], { init: { std: 1 / Math.sqrt(inF) } }) : undefined;
    if (x.rank <= 3) return f.linear(x, w, b);
    const y = f.matmul(x, w, { transpose_y: true }).asRank(x.rank);
    return b ? (f.add(y, b) as TensorHandle<D, R>) : y;
  });
}
