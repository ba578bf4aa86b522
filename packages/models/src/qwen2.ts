/**
 * The Qwen2 decoder in the DSL, as four static-shaped functions sharing one set of weights:
 * `embed` (S token ids -> embeddings), `embed_token` (one token id -> the embedding `decode`
 * takes), `prefill` (S embeddings -> last logits and a KV cache of C positions) and `decode` (one
 * embedding at a position, the cache -> logits and the updated cache). Grouped-query attention, RoPE, RMSNorm, SwiGLU, q/k/v biases, optional tied head.
 * @module
 */
import { type FloatDType, type TensorHandle, type WeightStore, computedSource, nn, tensor } from '@fastvlm/graph';
import type { LlmConfig } from './config.js';
import { type BuildCtx, type FloatT, linear, param } from './layers.js';
import { EMBED_NAME, LM_HEAD_NAME } from './names.js';

/** Additive mask value of hidden positions: exp underflows to 0 in fp32, and it fits fp16. */
export const MASK_VALUE = -1e4;

/** Names of the LLM functions' inputs and outputs. */
export const LLM_IO = {
  embed: { inputs: ['input_ids'], outputs: ['embeddings'] },
  embed_token: { inputs: ['input_id'], outputs: ['embedding'] },
  prefill: { inputs: ['embeddings'], outputs: ['logits', 'key_cache', 'value_cache'] },
  decode: { inputs: ['embedding', 'position', 'key_cache', 'value_cache'], outputs: ['logits', 'key_cache_out', 'value_cache_out'] },
} as const;

/** What the LLM builders need beyond {@link BuildCtx}: the store, to register RoPE tables. */
export interface LlmCtx extends BuildCtx {
  readonly weights: WeightStore;
}

/**
 * The RoPE tables `[rows, headDim]` (Hugging Face `rotate_half` convention), kept in the store as
 * derived constants under `rope.{cos,sin}.d{headDim}.s{rows}.o0.t{theta}.{dtype}` (the names
 * `nn.rotaryTables` uses), registered before use so a build that forbids missing weights works.
 */
function ropeTables(c: LlmCtx, rows: number, headDim: number, theta: number): { cos: FloatT<2>; sin: FloatT<2> } {
  const tag = `d${headDim}.s${rows}.o0.t${theta}.${c.dtype}`;
  const table = (kind: 'cos' | 'sin'): FloatT<2> => {
    const name = `rope.${kind}.${tag}`;
    const values = (): ArrayLike<number> => nn.rotaryValues(rows, headDim, theta, 0, kind === 'cos' ? Math.cos : Math.sin);
    if (!c.weights.has(name)) {
      c.weights.add(name, computedSource(c.dtype, [rows, headDim], () => tensor(c.dtype, [rows, headDim], values()), { describe: `RoPE ${kind} table`, cache: true }));
    }
    return c.f.storedConstant(name, c.dtype, [rows, headDim], values);
  };
  return { cos: table('cos'), sin: table('sin') };
}

/** RMSNorm with its `weight` under scope `name`. */
function rmsNorm<R extends number>(c: BuildCtx, x: FloatT<R>, name: string, eps: number): FloatT<R> {
  const H = x.shape[x.shape.length - 1] as number;
  return c.f.scope(name, () => c.f.rmsNorm(x, param(c, 'weight', [H], 'scale', H), { axes: [-1], epsilon: eps }));
}

/** SwiGLU MLP: `down(silu(gate(x)) * up(x))`, no biases. */
function mlp(c: BuildCtx, x: FloatT<3>, l: LlmConfig): FloatT<3> {
  return c.f.scope('mlp', () => {
    const g = linear(c, x, 'gate_proj', l.intermediateSize, false);
    const u = linear(c, x, 'up_proj', l.intermediateSize, false);
    return linear(c, c.f.mul(c.f.silu(g), u).asRank(3), 'down_proj', l.hiddenSize, false);
  });
}

/** Projects `h` `[1, T, H]` to heads `[n, T, headDim]` through `name` (with bias). */
function heads(c: BuildCtx, h: FloatT<3>, name: string, n: number, l: LlmConfig): FloatT<3> {
  const T = h.shape[1] as number;
  const p = linear(c, h, name, n * l.headDim, true);
  return c.f.transpose(c.f.reshape(p, { shape: [T, n, l.headDim] }).asRank(3), { perm: [1, 0, 2] });
}

/**
 * Grouped-query attention of queries `q` `[nH, T, d]` (RoPE applied) over keys and values
 * `[nKv, K, d]` with an additive mask broadcasting against `[nKv, rep, T, K]`; query head h reads
 * KV head `h / rep`. Returns `[1, T, nH * d]`.
 */
function gqa(c: BuildCtx, q: FloatT<3>, k: FloatT<3>, v: FloatT<3>, mask: FloatT, l: LlmConfig): FloatT<3> {
  const f = c.f;
  const T = q.shape[1] as number;
  const K = k.shape[1] as number;
  const nKv = l.numKeyValueHeads;
  const rep = l.numAttentionHeads / nKv;
  const d = l.headDim;
  // Heads h = g * rep + r are contiguous per KV group, so a reshape groups them without copies.
  const qs = f.reshape(f.mul(q, f.scalar(1 / Math.sqrt(d), c.dtype)), { shape: [nKv, rep * T, d] }).asRank(3);
  const scores = f.reshape(f.matmul(qs, k, { transpose_y: true }), { shape: [nKv, rep, T, K] }).asRank(4);
  const probs = f.softmax(f.add(scores, mask).asRank(4), { axis: -1 });
  const ctx = f.matmul(f.reshape(probs, { shape: [nKv, rep * T, K] }), v).asRank(3); // [nKv, rep*T, d]
  const perToken = f.transpose(f.reshape(ctx, { shape: [l.numAttentionHeads, T, d] }).asRank(3), { perm: [1, 0, 2] });
  return f.reshape(perToken, { shape: [1, T, l.numAttentionHeads * d] }).asRank(3);
}

/** The output head on the final hidden state `[1, H]`: the embedding table when tied, else `lm_head`. */
function logits(c: BuildCtx, x: FloatT<2>, l: LlmConfig): FloatT<2> {
  const last = rmsNorm(c, x, 'model.norm', l.rmsNormEps);
  const H = l.hiddenSize;
  const head = c.f.param(l.tieWordEmbeddings ? EMBED_NAME : LM_HEAD_NAME, c.dtype, [l.vocabSize, H], { init: { kind: 'normal', std: 1 / Math.sqrt(H) } });
  return c.f.linear(last, head);
}

/** Stacks per-layer caches `[nKv, C, d]` into `[layers, nKv, C, d]`. */
function stack(c: BuildCtx, layers: readonly FloatT<3>[]): FloatT<4> {
  return c.f.concat(layers.map((t) => c.f.expandDims(t, { axes: [0] }).asRank(4)), { axis: 0 });
}

/** Gathers the rows of `model.embed_tokens.weight` for `ids` int32 `[1, T]`: `[1, T, H]`. */
function embedRows(c: BuildCtx, l: LlmConfig, ids: TensorHandle<'int32', 2>): FloatT<3> {
  const table = c.f.param(EMBED_NAME, c.dtype, [l.vocabSize, l.hiddenSize], { init: { kind: 'normal', std: 1 / Math.sqrt(l.hiddenSize) } });
  return c.f.gather(table, ids, { axis: 0 }).asRank(3);
}

/** `embed`: `input_ids` int32 `[1, S]` -> `embeddings` `[1, S, H]`, a gather of `model.embed_tokens.weight`. */
export function buildEmbed(c: BuildCtx, l: LlmConfig, S: number): void {
  c.f.output({ embeddings: embedRows(c, l, c.f.input('input_ids', 'int32', [1, S])) });
}

/**
 * `embed_token`: `input_id` int32 `[1, 1]` -> `embedding` `[1, 1, H]`, the input of `decode`
 * (so a generation step needs no padding to S tokens). The same gather of the same
 * `model.embed_tokens.weight` as `embed`: in one program the table is one weight.
 */
export function buildEmbedToken(c: BuildCtx, l: LlmConfig): void {
  c.f.output({ embedding: embedRows(c, l, c.f.input('input_id', 'int32', [1, 1])) });
}

/**
 * `prefill`: `embeddings` `[1, S, H]` (positions 0..S-1, causal) -> `logits` `[1, vocab]` of
 * position S-1, and `key_cache` / `value_cache` `[layers, nKv, C, d]` holding the keys (after
 * RoPE) and values of positions 0..S-1, zero at positions >= S.
 */
export function buildPrefill(c: LlmCtx, l: LlmConfig, S: number, C: number): void {
  const f = c.f;
  let x: FloatT<3> = f.input('embeddings', c.dtype, [1, S, l.hiddenSize]);
  const { cos, sin } = ropeTables(c, S, l.headDim, l.ropeTheta);
  const mask = nn.causalMask(f, S, S, c.dtype, MASK_VALUE);
  const keys: FloatT<3>[] = [];
  const values: FloatT<3>[] = [];
  const toCache = (t: FloatT<3>): FloatT<3> => (C > S ? f.pad(t, { pad: [0, C - S, 0, 0] }) : t);
  for (let i = 0; i < l.numHiddenLayers; i++) {
    x = f.scope(`model.layers.${i}`, () => {
      const h = rmsNorm(c, x, 'input_layernorm', l.rmsNormEps);
      const o = f.scope('self_attn', () => {
        const q = nn.applyRotary(f, heads(c, h, 'q_proj', l.numAttentionHeads, l), cos, sin);
        const k = nn.applyRotary(f, heads(c, h, 'k_proj', l.numKeyValueHeads, l), cos, sin);
        const v = heads(c, h, 'v_proj', l.numKeyValueHeads, l);
        keys.push(toCache(k));
        values.push(toCache(v));
        return linear(c, gqa(c, q, k, v, mask, l), 'o_proj', l.hiddenSize, false);
      });
      const y = f.add(x, o).asRank(3);
      return f.add(y, mlp(c, rmsNorm(c, y, 'post_attention_layernorm', l.rmsNormEps), l)).asRank(3);
    });
  }
  const last = f.reshape(f.slice(x, { begin: [0, S - 1, 0], end: [1, S, l.hiddenSize] }), { shape: [1, l.hiddenSize] }).asRank(2);
  f.output({ logits: logits(c, last, l), key_cache: stack(c, keys), value_cache: stack(c, values) });
}

/**
 * `decode`: `embedding` `[1, 1, H]` of the token at `position` (int32 `[1]`, < C) with the caches
 * of positions < position -> `logits` `[1, vocab]` and `key_cache_out` / `value_cache_out`: the
 * caches with the new key and value written at `position` (a one-hot `select`); attention sees
 * positions <= position through a mask built from `range` and `less_equal`.
 */
export function buildDecode(c: LlmCtx, l: LlmConfig, C: number): void {
  const f = c.f;
  const nKv = l.numKeyValueHeads;
  const d = l.headDim;
  const cacheShape = [l.numHiddenLayers, nKv, C, d] as const;
  let x: FloatT<3> = f.input('embedding', c.dtype, [1, 1, l.hiddenSize]);
  const position = f.input('position', 'int32', [1]);
  const keyCache = f.input('key_cache', c.dtype, cacheShape);
  const valueCache = f.input('value_cache', c.dtype, cacheShape);
  const tables = ropeTables(c, C, d, l.ropeTheta);
  const cos = f.gather(tables.cos, position, { axis: 0 }).asRank(2); // [1, d]
  const sin = f.gather(tables.sin, position, { axis: 0 }).asRank(2);
  const slots = f.range({ start: 0, end: C, step: 1, dtype: 'int32' }).asRank(1); // [C]
  const write = f.reshape(f.equal(slots, position), { shape: [C, 1] }); // one-hot column of the new slot
  // Additive mask [C]: (visible - 1) * 1e4 is 0 at positions <= position and MASK_VALUE after.
  const visible = f.cast(f.lessEqual(slots, position), { dtype: c.dtype });
  const mask = f.mul(f.sub(visible, f.scalar(1, c.dtype)), f.scalar(-MASK_VALUE, c.dtype));
  const layerOf = (cache: TensorHandle<FloatDType, 4>, i: number): FloatT<3> =>
    f.reshape(f.slice(cache, { begin: [i, 0, 0, 0], end: [i + 1, nKv, C, d] }), { shape: [nKv, C, d] }).asRank(3);
  const keys: FloatT<3>[] = [];
  const values: FloatT<3>[] = [];
  for (let i = 0; i < l.numHiddenLayers; i++) {
    x = f.scope(`model.layers.${i}`, () => {
      const h = rmsNorm(c, x, 'input_layernorm', l.rmsNormEps);
      const o = f.scope('self_attn', () => {
        const q = nn.applyRotary(f, heads(c, h, 'q_proj', l.numAttentionHeads, l), cos, sin); // [nH, 1, d]
        const kNew = nn.applyRotary(f, heads(c, h, 'k_proj', nKv, l), cos, sin); // [nKv, 1, d]
        const vNew = heads(c, h, 'v_proj', nKv, l);
        const k = f.select(write, kNew, layerOf(keyCache, i)).asRank(3); // [nKv, C, d]
        const v = f.select(write, vNew, layerOf(valueCache, i)).asRank(3);
        keys.push(k);
        values.push(v);
        return linear(c, gqa(c, q, k, v, mask, l), 'o_proj', l.hiddenSize, false);
      });
      const y = f.add(x, o).asRank(3);
      return f.add(y, mlp(c, rmsNorm(c, y, 'post_attention_layernorm', l.rmsNormEps), l)).asRank(3);
    });
  }
  const last = f.reshape(x, { shape: [1, l.hiddenSize] }).asRank(2);
  f.output({ logits: logits(c, last, l), key_cache_out: stack(c, keys), value_cache_out: stack(c, values) });
}
