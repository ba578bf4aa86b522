/**
 * Rotary position embedding (RoPE) in the `rotate_half` convention of Hugging Face Llama and
 * Qwen2: the head dimension is split in two halves, and
 * `rope(x) = x * cos + rotate_half(x) * sin` with `rotate_half([x1, x2]) = [-x2, x1]`,
 * `cos[p, i] = cos(p * theta^(-2 (i mod d/2) / d))` (likewise `sin`).
 * @module
 */
import { show } from '../builder/show.js';
import type { FloatDType } from '../dtype.js';
import type { GraphFunction } from '../builder/graph-function.js';
import type { TensorHandle } from '../builder/handle.js';
import { optionError, positiveInt } from './util.js';

/** Options of {@link rotaryTables}. */
export interface RotaryTableOptions {
  /** Number of positions (rows). */
  readonly seqLen: number;
  /** Head dimension (columns), even. */
  readonly headDim: number;
  /** Base of the frequencies (default 10000; Qwen2 uses 1e6). */
  readonly theta?: number;
  /** Position of the first row (default 0), e.g. the cache length when decoding. */
  readonly offset?: number;
  /** Element type of the tables (default fp32). */
  readonly dtype?: FloatDType;
}

/**
 * The angle table computed as Hugging Face does in fp32: `inv_freq[j] = 1 / theta^(2j/d)`,
 * `angle[p, j] = p * inv_freq[j]`, rounded to fp32 at each step, then `cos`/`sin`.
 */
export function rotaryValues(seqLen: number, headDim: number, theta: number, offset: number, fn: (a: number) => number): Float64Array {
  const half = headDim / 2;
  const inv = new Float64Array(half);
  for (let j = 0; j < half; j++) inv[j] = Math.fround(1 / Math.fround(theta ** Math.fround((2 * j) / headDim)));
  const out = new Float64Array(seqLen * headDim);
  for (let p = 0; p < seqLen; p++) {
    for (let j = 0; j < half; j++) {
      const v = Math.fround(fn(Math.fround(Math.fround(p + offset) * inv[j]!)));
      out[p * headDim + j] = v;
      out[p * headDim + half + j] = v;
    }
  }
  return out;
}

/**
 * The `cos` and `sin` tables `[seqLen, headDim]`, kept as computed constants in the weight store
 * under names like `rope.cos.d64.s128.o0.t1000000` (shared by every layer and function that
 * asks for the same table).
 */
export function rotaryTables<D extends FloatDType = 'fp32'>(f: GraphFunction, opts: RotaryTableOptions & { readonly dtype?: D }): { cos: TensorHandle<D, 2>; sin: TensorHandle<D, 2> } {
  const s = positiveInt('rotaryTables', f, 'seqLen', opts.seqLen);
  const d = positiveInt('rotaryTables', f, 'headDim', opts.headDim);
  if (d % 2 !== 0) optionError('rotaryTables', f, `headDim must be even, got ${d}`);
  const theta = opts.theta ?? 10000;
  if (typeof theta !== 'number' || !Number.isFinite(theta) || theta <= 1) optionError('rotaryTables', f, `theta must be a finite number > 1, got ${show(theta)}`);
  const offset = opts.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) optionError('rotaryTables', f, `offset must be a non-negative integer, got ${show(offset)}`);
  const dtype = (opts.dtype ?? 'fp32') as D;
  const tag = `d${d}.s${s}.o${offset}.t${theta}.${dtype}`;
  return {
    cos: f.storedConstant(`rope.cos.${tag}`, dtype, [s, d], () => rotaryValues(s, d, theta, offset, Math.cos)),
    sin: f.storedConstant(`rope.sin.${tag}`, dtype, [s, d], () => rotaryValues(s, d, theta, offset, Math.sin)),
  };
}

/** `rotate_half(x) = concat([-x2, x1], -1)` where `x1`, `x2` are the halves of the last axis. */
export function rotateHalf<D extends FloatDType, R extends number>(f: GraphFunction, x: TensorHandle<D, R>): TensorHandle<D, R> {
  const [x1, x2] = f.split(x, { axis: -1, num_splits: 2 });
  return f.concat([f.neg(x2!), x1!], { axis: -1 });
}

/**
 * Applies RoPE to `x` `[..., S, headDim]`: `x * cos + rotate_half(x) * sin`, where `cos` and
 * `sin` broadcast against `x` (e.g. `[S, headDim]` or `[B, 1, S, headDim]`).
 */
export function applyRotary<D extends FloatDType, R extends number>(f: GraphFunction, x: TensorHandle<D, R>, cos: TensorHandle<FloatDType>, sin: TensorHandle<FloatDType>): TensorHandle<D, R> {
  return f.add(f.mul(x, cos), f.mul(rotateHalf(f, x), sin)).asRank(x.rank);
}
