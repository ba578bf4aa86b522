/**
 * `nn.attention`: multi-head self-attention with grouped-query attention (GQA), rotary position
 * embedding and causal or additive masks, with Hugging Face Llama / Qwen2 parameter names
 * (`q_proj`, `k_proj`, `v_proj`, `o_proj`).
 * @module
 */
import { show } from '../builder/show.js';
import type { FloatDType } from '../dtype.js';
import type { Dim } from '../shape.js';
import type { GraphFunction } from '../builder/graph-function.js';
import { TensorHandle } from '../builder/handle.js';
import type { RankCheck } from '../builder/rank.js';
import { linear } from './linear.js';
import { applyRotary, rotaryTables } from './rope.js';
import { type FloatTensor, expectFloat, expectRank, inScope, inputError, optionError, positiveInt, staticDim } from './util.js';

/** Rotary embedding of {@link attention}: computed tables, or `cos`/`sin` given as tensors. */
export type AttentionRope =
  | {
      /** Base of the frequencies (default 10000; Qwen2 uses 1e6). */
      readonly theta?: number;
      /** Position of the first token (default 0). */
      readonly offset?: number;
    }
  | {
      /** `cos` table broadcasting against `[B, heads, S, headDim]`: `[S, headDim]`, `[B, S, headDim]` or `[B, 1, S, headDim]`. */
      readonly cos: FloatTensor;
      /** `sin` table, shaped like `cos`. */
      readonly sin: FloatTensor;
    };

/** Options of {@link attention}. */
export interface AttentionOptions {
  /** Sub-scope of the parameters (e.g. `'self_attn'`); absent: the current scope. */
  readonly name?: string;
  /** Query heads. */
  readonly numHeads: number;
  /** Key/value heads (default `numHeads`); must divide `numHeads`. Query head h uses KV head `h / (numHeads / numKvHeads)`. */
  readonly numKvHeads?: number;
  /** Head dimension (default hidden size / numHeads). */
  readonly headDim?: number;
  /** Whether q, k and v projections have biases (default false; Qwen2: true). */
  readonly qkvBias?: boolean;
  /** Whether the output projection has a bias (default false). */
  readonly outBias?: boolean;
  /** Rotary position embedding; absent: none. */
  readonly rope?: AttentionRope;
  /**
   * `'causal'`: token i attends to tokens j <= i (a `band_part` mask); a tensor: an additive mask
   * broadcasting against the scores `[B, heads, S, S]` (e.g. `[S, S]` or `[B, 1, S, S]`);
   * absent: no mask.
   */
  readonly mask?: 'causal' | FloatTensor;
  /** Value added at masked positions of the causal mask (default -1e4, ANE-safe in fp16). */
  readonly maskValue?: number;
  /** Sub-scope names of the projections (default `q_proj`, `k_proj`, `v_proj`, `o_proj`). */
  readonly projNames?: { readonly q?: string; readonly k?: string; readonly v?: string; readonly o?: string };
}

/**
 * An additive causal mask `[sq, skv]`: 0 where key j <= query i + (skv - sq), `maskValue`
 * elsewhere; built as `full - band_part(full, lower=-1, upper=skv-sq)` with `full` filled with
 * `maskValue`.
 */
export function causalMask<D extends FloatDType>(f: GraphFunction, sq: number, skv: number, dtype: D, maskValue = -1e4): TensorHandle<D, 2> {
  positiveInt('causalMask', f, 'sq', sq);
  positiveInt('causalMask', f, 'skv', skv);
  if (skv < sq) optionError('causalMask', f, `skv (${skv}) must be >= sq (${sq})`);
  const full = f.fill({ shape: [sq, skv], value: maskValue, dtype }).asRank(2);
  return f.sub(full, f.bandPart(full, { lower: -1, upper: skv - sq }));
}

/**
 * Self-attention over `x` `[B, S, hidden]`:
 * `o_proj(concat_h(softmax(q_h k_g^T / sqrt(headDim) + mask) v_g))` with `q = q_proj(x)` split
 * into `numHeads` heads, `k`, `v` into `numKvHeads` heads, RoPE applied to q and k, and query
 * head h reading KV group `g = h / (numHeads / numKvHeads)`. GQA is computed without copying
 * K and V: queries are grouped `[B, kvHeads, groups, S, d]` against keys `[B, kvHeads, 1, S, d]`
 * with batch-broadcasting matmuls. Returns `[B, S, hidden]`.
 */
export function attention<D extends FloatDType, R extends number>(f: GraphFunction, x: TensorHandle<D, R> & RankCheck<R, 3, 'nn.attention', 'x'>, opts: AttentionOptions): TensorHandle<D, 3> {
  const L = 'attention';
  expectFloat(L, f, x);
  expectRank(L, f, x, 3);
  if (opts === null || typeof opts !== 'object') optionError(L, f, 'options must be an object');
  const [B, S] = x.shape as readonly [Dim, Dim, Dim];
  const hidden = staticDim(L, f, x, 2, 'the hidden size');
  const nH = positiveInt(L, f, 'numHeads', opts.numHeads);
  const nKv = opts.numKvHeads === undefined ? nH : positiveInt(L, f, 'numKvHeads', opts.numKvHeads);
  if (nH % nKv !== 0) optionError(L, f, `numKvHeads ${nKv} must divide numHeads ${nH}`);
  if (opts.headDim === undefined && hidden % nH !== 0) optionError(L, f, `hidden size ${hidden} is not a multiple of numHeads ${nH}; give headDim`);
  const hd = opts.headDim === undefined ? hidden / nH : positiveInt(L, f, 'headDim', opts.headDim);
  const rep = nH / nKv;
  const maskValue = opts.maskValue ?? -1e4;
  if (typeof maskValue !== 'number' || Number.isNaN(maskValue)) optionError(L, f, `maskValue must be a number, got ${show(maskValue)}`);
  const names = opts.projNames ?? {};
  const dtype = x.dtype as D;
  const xx = x as TensorHandle<D, 3>;

  return inScope(f, opts.name, () => {
    const qkvBias = opts.qkvBias ?? false;
    const q = linear(f, xx, { name: names.q ?? 'q_proj', outFeatures: nH * hd, bias: qkvBias });
    const k = linear(f, xx, { name: names.k ?? 'k_proj', outFeatures: nKv * hd, bias: qkvBias });
    const v = linear(f, xx, { name: names.v ?? 'v_proj', outFeatures: nKv * hd, bias: qkvBias });
    // [B, S, n*d] -> [B, n, S, d]
    const heads = (t: TensorHandle<D, 3>, n: number): TensorHandle<D, 4> => f.transpose(f.reshape(t, { shape: [B, S, n, hd] }).asRank(4), { perm: [0, 2, 1, 3] });
    let qh = heads(q, nH);
    let kh = heads(k, nKv);
    const vh = heads(v, nKv);

    const rope = opts.rope;
    if (rope !== undefined) {
      let cos: FloatTensor, sin: FloatTensor;
      if ('cos' in rope || 'sin' in rope) {
        const r = rope as { cos?: unknown; sin?: unknown };
        if (!isHandle(r.cos) || !isHandle(r.sin)) optionError(L, f, 'rope needs both cos and sin tensors');
        [cos, sin] = [r.cos as FloatTensor, r.sin as FloatTensor];
        // [B, S, d] (the Hugging Face position_embeddings form) broadcasts after a head axis.
        if (cos.rank === 3) cos = f.expandDims(cos, { axes: [1] });
        if (sin.rank === 3) sin = f.expandDims(sin, { axes: [1] });
      } else {
        if (typeof S !== 'number') inputError(L, f, 'E_SHAPE_INVALID', `computed rotary tables need a static sequence length, got '${S}'; pass rope.cos and rope.sin instead`);
        const t = rotaryTables(f, { seqLen: S, headDim: hd, dtype, ...(rope.theta !== undefined ? { theta: rope.theta } : {}), ...(rope.offset !== undefined ? { offset: rope.offset } : {}) });
        [cos, sin] = [t.cos, t.sin];
      }
      qh = applyRotary(f, qh, cos, sin);
      kh = applyRotary(f, kh, cos, sin);
    }

    const scaled = f.mul(qh, f.scalar(1 / Math.sqrt(hd), dtype)).asRank(4);
    // Scores [B, nH, S, S]; with GQA through [B, nKv, rep, S, S].
    let scores: TensorHandle<D, 4>;
    const k5 = rep === 1 ? kh : f.expandDims(kh, { axes: [2] });
    const v5 = rep === 1 ? vh : f.expandDims(vh, { axes: [2] });
    if (rep === 1) scores = f.matmul(scaled, kh, { transpose_y: true }).asRank(4);
    else {
      const q5 = f.reshape(scaled, { shape: [B, nKv, rep, S, hd] });
      scores = f.reshape(f.matmul(q5, k5, { transpose_y: true }), { shape: [B, nH, S, S] }).asRank(4);
    }

    const mask = opts.mask;
    if (mask === 'causal') {
      if (typeof S !== 'number') inputError(L, f, 'E_SHAPE_INVALID', `a causal mask needs a static sequence length, got '${S}'; pass an additive mask tensor instead`);
      scores = f.add(scores, causalMask(f, S, S, dtype, maskValue)).asRank(4);
    } else if (mask !== undefined) {
      if (!isHandle(mask)) optionError(L, f, `mask must be 'causal' or a tensor, got ${show(mask)}`);
      scores = f.add(scores, mask).asRank(4);
    }
    const probs = f.softmax(scores, { axis: -1 });

    let ctx: TensorHandle<D, 4>;
    if (rep === 1) ctx = f.matmul(probs, vh).asRank(4);
    else {
      const p5 = f.reshape(probs, { shape: [B, nKv, rep, S, S] });
      ctx = f.reshape(f.matmul(p5, v5), { shape: [B, nH, S, hd] }).asRank(4);
    }
    // [B, nH, S, d] -> [B, S, nH*d]
    const merged = f.reshape(f.transpose(ctx, { perm: [0, 2, 1, 3] }), { shape: [B, S, nH * hd] }).asRank(3);
    return linear(f, merged, { name: names.o ?? 'o_proj', outFeatures: hidden, bias: opts.outBias ?? false });
  });
}

function isHandle(x: unknown): x is FloatTensor {
  return x instanceof TensorHandle;
}
