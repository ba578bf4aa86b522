/**
 * The nn layers. Each takes the function (or scope) to build in, its input, and options; its
 * parameters get Hugging Face-style hierarchical names from the scope and the layer's `name`:
 * ```ts
 * f.scope('model.layers.0', (s) => {
 *   const h = nn.rmsNorm(s, x, { name: 'input_layernorm' });          // model.layers.0.input_layernorm.weight
 *   return nn.attention(s, h, { name: 'self_attn', numHeads: 14, numKvHeads: 2, qkvBias: true, rope: { theta: 1e6 }, mask: 'causal' });
 * });
 * ```
 * @module
 */
export { linear, type LinearOptions } from './linear.js';
export { conv2d, type Conv2dLayerOptions } from './conv.js';
export { layerNorm, rmsNorm, type LayerNormOptions, type RmsNormOptions } from './norm.js';
export { gatedMlp, type GatedMlpOptions } from './mlp.js';
export { attention, causalMask, type AttentionOptions, type AttentionRope } from './attention.js';
export { applyRotary, rotateHalf, rotaryTables, rotaryValues, type RotaryTableOptions } from './rope.js';
export type { FloatTensor } from './util.js';
