/**
 * `nn.gatedMlp`: the SiLU-gated feed-forward block of Llama / Qwen2 (SwiGLU).
 * @module
 */
import type { FloatDType } from '../dtype.js';
import type { GraphFunction } from '../builder/graph-function.js';
import type { TensorHandle } from '../builder/handle.js';
import { linear } from './linear.js';
import { expectFloat, inScope, positiveInt, staticDim } from './util.js';

/** Options of {@link gatedMlp}. */
export interface GatedMlpOptions {
  /** Sub-scope of the parameters (e.g. `'mlp'`); absent: the current scope. */
  readonly name?: string;
  /** Width of the gate and up projections. */
  readonly intermediateSize: number;
  /** Output width of `down_proj`; default: the static last dim of `x`. */
  readonly hiddenSize?: number;
  /** Whether the projections have biases (default false, as Qwen2 and Llama). */
  readonly bias?: boolean;
  /** Sub-scope names of the projections (default `gate_proj`, `up_proj`, `down_proj`). */
  readonly names?: { readonly gate?: string; readonly up?: string; readonly down?: string };
}

/** `down(silu(gate(x)) * up(x))` with Hugging Face parameter names. */
export function gatedMlp<D extends FloatDType, R extends number>(f: GraphFunction, x: TensorHandle<D, R>, opts: GatedMlpOptions): TensorHandle<D, R> {
  expectFloat('gatedMlp', f, x);
  const inter = positiveInt('gatedMlp', f, 'intermediateSize', opts.intermediateSize);
  const inF = staticDim('gatedMlp', f, x, -1, 'the hidden size');
  const hidden = opts.hiddenSize !== undefined ? positiveInt('gatedMlp', f, 'hiddenSize', opts.hiddenSize) : inF;
  const bias = opts.bias ?? false;
  return inScope(f, opts.name, () => {
    const gate = linear(f, x, { name: opts.names?.gate ?? 'gate_proj', outFeatures: inter, bias });
    const up = linear(f, x, { name: opts.names?.up ?? 'up_proj', outFeatures: inter, bias });
    const h = f.mul(f.silu(gate), up) as TensorHandle<D, R>;
    return linear(f, h, { name: opts.names?.down ?? 'down_proj', outFeatures: hidden, bias });
  });
}
