/**
 * Transformer encoders in the (B, S, C) layout of their PyTorch sources: MobileCLIP's text
 * encoder (a pre-norm CLIP text transformer, OpenCLIP parameter names, a causal -inf mask as
 * PyTorch builds it) and DistilBERT (Hugging Face `DistilBertModel`, post-norm).
 * @module
 */
import { type BuildCtx, type FloatT, gelu, linear, param } from '../layers.js';
import { embedding, layerNormLast, multiHeadAttention } from './blocks.js';

/** A CLIP-style text transformer. */
export interface TextEncoderArch {
  readonly layers: number;
  readonly width: number;
  readonly heads: number;
  readonly vocab: number;
  /** Width of the joint embedding the final projection maps to. */
  readonly embedDim: number;
  /** Positions of the positional embedding (77 in CLIP). */
  readonly contextLength: number;
}

/** The two MobileCLIP text encoders of the zoo. */
export const TEXT_ARCHS: Readonly<Record<'text512' | 'text768', TextEncoderArch>> = {
  text512: { layers: 12, width: 512, heads: 8, vocab: 49408, embedDim: 512, contextLength: 77 },
  text768: { layers: 12, width: 768, heads: 12, vocab: 49408, embedDim: 768, contextLength: 77 },
};

/**
 * The causal mask `[S, S]` as PyTorch builds it: -inf above the diagonal, 0 on and below
 * (`select(band < 0.5, -inf, 0)`; a difference of -inf fills would give NaN on the band). Every op
 * is on constants, so it is evaluated when the model loads.
 */
function negInfCausalMask(c: BuildCtx, S: number): FloatT<2> {
  const f = c.f;
  const lower = f.bandPart(f.fill({ shape: [S, S], value: 1, dtype: c.dtype }), { lower: -1, upper: 0 });
  const above = f.less(lower, f.scalar(0.5, c.dtype));
  return f.select(above, f.fill({ shape: [S, S], value: Number.NEGATIVE_INFINITY, dtype: c.dtype }), f.fill({ shape: [S, S], value: 0, dtype: c.dtype })).asRank(2);
}

/**
 * The text encoder on `input_ids` int32 `[1, S]`: token embedding + positional embedding, pre-norm
 * blocks (`x + attn(ln_1(x))`, `x + mlp(ln_2(x))` with a GELU MLP of ratio 4), `ln_final`, then
 * `text_projection`. Returns `text_embeds` `[1, S, embedDim]` for every token (CLIP reads the row of
 * the end-of-text token; picking it is left to the caller, which keeps a gather out of the graph).
 */
export function buildTextEncoder(c: BuildCtx, a: TextEncoderArch, S: number): void {
  const f = c.f;
  const C = a.width;
  const ids = f.input('input_ids', 'int32', [1, S]);
  const table = param(c, 'positional_embedding', [a.contextLength, C], 'embedding', C);
  const pos = S === a.contextLength ? table : f.slice(table, { begin: [0, 0], end: [S, C] });
  let x: FloatT<3> = f.add(embedding(c, ids, 'token_embedding.weight', a.vocab, C), pos).asRank(3);
  const mask = negInfCausalMask(c, S);
  for (let i = 0; i < a.layers; i++) {
    x = f.scope(`transformer.resblocks.${i}`, () => {
      const h = layerNormLast(c, x, 'ln_1', 1e-5);
      const attn = f.scope('attn', () => multiHeadAttention(c, h, { heads: a.heads, mask, names: { packed: 'in_proj', out: 'out_proj' } }));
      const y = f.add(x, attn).asRank(3);
      const m = f.scope('mlp', () => linear(c, gelu(c, linear(c, layerNormLast(c, y, 'ln_2', 1e-5), 'c_fc', 4 * C, true)), 'c_proj', C, true));
      return f.add(y, m).asRank(3);
    });
  }
  const proj = param(c, 'text_projection', [C, a.embedDim], 'weight', C);
  f.output({ text_embeds: f.matmul(layerNormLast(c, x, 'ln_final', 1e-5), proj).asRank(3) });
}

/** DistilBERT base: 6 layers, hidden 768, 12 heads, FFN 3072, vocabulary 30522, 512 positions. */
export const DISTILBERT = { layers: 6, hidden: 768, heads: 12, ffn: 3072, vocab: 30522, positions: 512 } as const;

/**
 * DistilBERT on `input_ids` int32 `[1, S]` (every position attended): word + position
 * embeddings, LayerNorm, then per layer `sa_layer_norm(x + attention(x))` and
 * `output_layer_norm(x + lin2(gelu(lin1(x))))`. Returns `last_hidden_state` `[1, S, 768]`.
 */
export function buildDistilBert(c: BuildCtx, S: number): void {
  const f = c.f;
  const d = DISTILBERT;
  const ids = f.input('input_ids', 'int32', [1, S]);
  let x = f.scope('embeddings', () => {
    const words = embedding(c, ids, 'word_embeddings.weight', d.vocab, d.hidden);
    const table = c.f.param('position_embeddings.weight', c.dtype, [d.positions, d.hidden], { init: { kind: 'normal', std: 0.02 } });
    // Positions 0..S-1: rows of the table, a slice known when the model loads.
    const positions = f.slice(table, { begin: [0, 0], end: [S, d.hidden] });
    return layerNormLast(c, f.add(words, positions).asRank(3), 'LayerNorm', 1e-12);
  });
  for (let i = 0; i < d.layers; i++) {
    x = f.scope(`transformer.layer.${i}`, () => {
      const attn = f.scope('attention', () => multiHeadAttention(c, x, { heads: d.heads, names: { q: 'q_lin', k: 'k_lin', v: 'v_lin', out: 'out_lin' } }));
      const h = layerNormLast(c, f.add(x, attn).asRank(3), 'sa_layer_norm', 1e-12);
      const ffn = f.scope('ffn', () => linear(c, gelu(c, linear(c, h, 'lin1', d.ffn, true)), 'lin2', d.hidden, true));
      return layerNormLast(c, f.add(h, ffn).asRank(3), 'output_layer_norm', 1e-12);
    });
  }
  f.output({ last_hidden_state: x });
}
