/**
 * OPT-1.3B (Hugging Face `OPTForCausalLM`, parameter names included) as one decode step with a
 * KV cache passed in: the next token after a context of C cached positions.
 * @module
 */
import { type BuildCtx, type FloatT, linear } from '../layers.js';
import { embedding, layerNormLast } from './blocks.js';

/** OPT-1.3B: 24 layers, hidden 2048, 32 heads, FFN 8192 (ReLU), learned positions (offset 2), vocabulary 50272, head tied to the embedding. */
export const OPT_1_3B = { layers: 24, hidden: 2048, heads: 32, ffn: 8192, vocab: 50272, positions: 2048 } as const;
/** OPT's learned positions start at row 2 of `embed_positions`. */
const POSITION_OFFSET = 2;

/**
 * One decode step: `input_id` int32 `[1, 1]` at `position` int32 `[1]` (0-based, = C for the
 * token after C cached ones), `key_cache` / `value_cache` `[layers, heads, C, 64]` -> `logits`
 * `[1, vocab]` and the new token's `new_keys` / `new_values` `[layers, heads, 1, 64]`.
 */
export function buildOptDecode(c: BuildCtx, C: number): void {
  const f = c.f;
  const o = OPT_1_3B;
  const d = o.hidden / o.heads;
  const id = f.input('input_id', 'int32', [1, 1]);
  const position = f.input('position', 'int32', [1]);
  const keyCache = f.input('key_cache', c.dtype, [o.layers, o.heads, C, d]);
  const valueCache = f.input('value_cache', c.dtype, [o.layers, o.heads, C, d]);
  let x: FloatT<3> = f.scope('model.decoder', () => {
    const tokens = embedding(c, id, 'embed_tokens.weight', o.vocab, o.hidden);
    const table = c.f.param('embed_positions.weight', c.dtype, [o.positions + POSITION_OFFSET, o.hidden], { init: { kind: 'normal', std: 0.02 } });
    const rows = f.slice(table, { begin: [POSITION_OFFSET, 0], end: [o.positions + POSITION_OFFSET, o.hidden] });
    const pos = f.reshape(f.gather(rows, position, { axis: 0 }), { shape: [1, 1, o.hidden] });
    return f.add(tokens, pos).asRank(3);
  });
  const keys: FloatT<4>[] = [];
  const values: FloatT<4>[] = [];
  const heads = (t: FloatT<3>): FloatT<3> => f.reshape(t, { shape: [o.heads, 1, d] }).asRank(3);
  const cached = (cache: FloatT<4>, i: number): FloatT<3> => f.reshape(f.slice(cache, { begin: [i, 0, 0, 0], end: [i + 1, o.heads, C, d] }), { shape: [o.heads, C, d] }).asRank(3);
  for (let i = 0; i < o.layers; i++) {
    x = f.scope(`model.decoder.layers.${i}`, () => {
      const h = layerNormLast(c, x, 'self_attn_layer_norm', 1e-5);
      const attn = f.scope('self_attn', () => {
        // OPT scales the projected queries (bias included) by head_dim^-0.5.
        const q = f.mul(heads(linear(c, h, 'q_proj', o.hidden, true)), f.scalar(1 / Math.sqrt(d), c.dtype)).asRank(3);
        const k = heads(linear(c, h, 'k_proj', o.hidden, true));
        const v = heads(linear(c, h, 'v_proj', o.hidden, true));
        keys.push(f.expandDims(k, { axes: [0] }).asRank(4));
        values.push(f.expandDims(v, { axes: [0] }).asRank(4));
        const kAll = f.concat([cached(keyCache, i), k], { axis: 1 }).asRank(3); // [heads, C + 1, d]
        const vAll = f.concat([cached(valueCache, i), v], { axis: 1 }).asRank(3);
        const p = f.softmax(f.matmul(q, kAll, { transpose_y: true }), { axis: -1 });
        const ctx = f.reshape(f.matmul(p, vAll), { shape: [1, 1, o.hidden] }).asRank(3);
        return linear(c, ctx, 'out_proj', o.hidden, true);
      });
      const y = f.add(x, attn).asRank(3);
      const m = linear(c, f.relu(linear(c, layerNormLast(c, y, 'final_layer_norm', 1e-5), 'fc1', o.ffn, true)), 'fc2', o.hidden, true);
      return f.add(y, m).asRank(3);
    });
  }
  const last = f.reshape(layerNormLast(c, x, 'model.decoder.final_layer_norm', 1e-5), { shape: [1, o.hidden] }).asRank(2);
  // The LM head is tied to the token embedding.
  const head = c.f.param('model.decoder.embed_tokens.weight', c.dtype, [o.vocab, o.hidden], { init: { kind: 'normal', std: 1 / Math.sqrt(o.hidden) } });
  f.output({ logits: f.linear(last, head), new_keys: f.concat(keys, { axis: 0 }), new_values: f.concat(values, { axis: 0 }) });
}
