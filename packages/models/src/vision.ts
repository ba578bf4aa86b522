/**
 * FastViTHD in inference (reparameterized) form, and the `mlp2x_gelu` projector, in the DSL.
 * Parameter names are the checkpoint names (`model.vision_tower.vision_tower.model.network.0.0.
 * token_mixer.reparam_conv.weight`, ...).
 * @module
 */
import { type VisionConfig, VISION_NORM_EPS, seChannels } from './config.js';
import { type BuildCtx, type FloatT, conv, dim, gelu, linear, param } from './layers.js';
import { PROJECTOR_SCOPE, VISION_SCOPE, networkLayout } from './names.js';

/** Conv unit: conv with bias, then exact GELU (stem, PatchEmbed parts). */
function convAct(c: BuildCtx, x: FloatT<4>, name: string, out: number, kernel: number, stride: number, groups: number): FloatT<4> {
  return gelu(c, conv(c, x, name, { out, kernel, stride, groups }));
}

/**
 * ConvFFN: 7x7 depthwise conv (no bias) -> BatchNorm (kept as batch_norm) -> 1x1 conv C -> rC ->
 * GELU -> 1x1 conv rC -> C.
 */
function convFfn(c: BuildCtx, x: FloatT<4>, ratio: number): FloatT<4> {
  const C = dim(x, 1);
  return c.f.scope('convffn', () => {
    let y = conv(c, x, 'conv.conv', { out: C, kernel: 7, groups: C, bias: false });
    y = c.f.scope('conv.bn', () => {
      const mean = param(c, 'running_mean', [C], 'bn_mean', C);
      const variance = param(c, 'running_var', [C], 'bn_var', C);
      const gamma = param(c, 'weight', [C], 'scale', C);
      const beta = param(c, 'bias', [C], 'shift', C);
      return c.f.batchNorm(y, mean, variance, gamma, beta, { epsilon: VISION_NORM_EPS });
    });
    y = gelu(c, conv(c, y, 'fc1', { out: C * ratio, kernel: 1 }));
    return conv(c, y, 'fc2', { out: C, kernel: 1 });
  });
}

/** `x + ls * branch`, with `ls` a per-channel layer scale `[C, 1, 1]` named `name`. */
function scaledResidual(c: BuildCtx, x: FloatT<4>, branch: FloatT<4>, name: string): FloatT<4> {
  const C = dim(x, 1);
  const ls = param(c, name, [C, 1, 1], 'layer_scale', C);
  return c.f.add(x, c.f.mul(ls, branch)).asRank(4);
}

/** RepMixer block: `x = reparam_conv(x)` (3x3 depthwise, identity folded in), then `x + ls * convffn(x)`. */
function repMixerBlock(c: BuildCtx, x: FloatT<4>, ratio: number): FloatT<4> {
  const C = dim(x, 1);
  const m = conv(c, x, 'token_mixer.reparam_conv', { out: C, kernel: 3, groups: C });
  return scaledResidual(c, m, convFfn(c, m, ratio), 'layer_scale');
}

/**
 * Multi-head self-attention over the H*W tokens of NCHW `x`: qkv = Linear(C, 3C, no bias) read
 * as (3, heads, headDim), softmax(q k^T / sqrt(headDim)) v, proj = Linear(C, C) with bias.
 */
function mhsa(c: BuildCtx, x: FloatT<4>, headDim: number): FloatT<4> {
  const f = c.f;
  const [C, H, W] = [dim(x, 1), dim(x, 2), dim(x, 3)];
  const N = H * W;
  const heads = C / headDim;
  return f.scope('token_mixer', () => {
    const tokens = f.transpose(f.reshape(x, { shape: [1, C, N] }).asRank(3), { perm: [0, 2, 1] }); // [1, N, C]
    const qkv = linear(c, tokens, 'qkv', 3 * C, false); // [1, N, 3C], channels ordered (3, heads, d)
    const split = f.transpose(f.reshape(qkv, { shape: [N, 3 * heads, headDim] }).asRank(3), { perm: [1, 0, 2] }); // [3*heads, N, d]
    const [q, k, v] = f.split(split, { axis: 0, num_splits: 3 }) as [FloatT<3>, FloatT<3>, FloatT<3>]; // [heads, N, d] each
    const scores = f.matmul(f.mul(q, f.scalar(1 / Math.sqrt(headDim), c.dtype)), k, { transpose_y: true }).asRank(3);
    const ctx = f.matmul(f.softmax(scores, { axis: -1 }), v).asRank(3); // [heads, N, d]
    const merged = f.reshape(f.transpose(ctx, { perm: [1, 0, 2] }), { shape: [1, N, C] }).asRank(3);
    const out = linear(c, merged, 'proj', C, true); // [1, N, C]
    return f.reshape(f.transpose(out, { perm: [0, 2, 1] }), { shape: [1, C, H, W] }).asRank(4);
  });
}

/**
 * Attention block: `x + ls1 * mhsa(layer_norm_C(x))`, then `x + ls2 * convffn(x)`; the norm is over
 * the channel axis of NCHW with weight and bias (eps 1e-5).
 */
function attentionBlock(c: BuildCtx, x: FloatT<4>, ratio: number, headDim: number): FloatT<4> {
  const C = dim(x, 1);
  const n = c.f.scope('norm', () => {
    const w = param(c, 'weight', [C], 'scale', C);
    const b = param(c, 'bias', [C], 'shift', C);
    return c.f.layerNorm(x, w, b, { axes: [1], epsilon: VISION_NORM_EPS });
  });
  const y = scaledResidual(c, x, mhsa(c, n, headDim), 'layer_scale_1');
  return scaledResidual(c, y, convFfn(c, y, ratio), 'layer_scale_2');
}

/**
 * Squeeze-excite of `conv_exp`: global average pool -> 1x1 conv C -> C/16 (bias) -> ReLU -> 1x1 conv
 * back to C (bias) -> sigmoid -> per-channel scale of the input.
 */
function squeezeExcite(c: BuildCtx, x: FloatT<4>, reduced: number): FloatT<4> {
  const C = dim(x, 1);
  return c.f.scope('se', () => {
    const pooled = c.f.reduceMean(x, { axes: [2, 3], keep_dims: true }).asRank(4);
    const r = c.f.relu(conv(c, pooled, 'reduce', { out: reduced, kernel: 1 }));
    const s = c.f.sigmoid(conv(c, r, 'expand', { out: C, kernel: 1 }));
    return c.f.mul(x, s).asRank(4);
  });
}

/**
 * The FastViTHD encoder on `images` `[1, 3, R, R]`: returns the image embeddings as tokens
 * `[1, (R/64)^2, outChannels]` (before the projector).
 */
export function fastVitHd(c: BuildCtx, images: FloatT<4>, v: VisionConfig): FloatT<3> {
  const f = c.f;
  const layout = networkLayout(v);
  return f.scope(VISION_SCOPE, () => {
    const w0 = v.widths[0]!;
    // Stem (patch_embed): 3x3 s2 conv, 3x3 s2 depthwise conv, 1x1 conv, each with GELU.
    let x = convAct(c, images, 'patch_embed.0.reparam_conv', w0, 3, 2, 1);
    x = convAct(c, x, 'patch_embed.1.reparam_conv', w0, 3, 2, w0);
    x = convAct(c, x, 'patch_embed.2.reparam_conv', w0, 1, 1, 1);
    v.widths.forEach((w, i) => {
      const down = layout.downsamples[i];
      if (down !== undefined) {
        // PatchEmbed: 7x7 s2 conv with groups = C_in (C_in -> w), then a 1x1 conv, GELU after each.
        const cin = v.widths[i - 1]!;
        x = convAct(c, x, `network.${down}.proj.0.lkb_reparam`, w, 7, 2, cin);
        x = convAct(c, x, `network.${down}.proj.1.reparam_conv`, w, 1, 1, 1);
      }
      const cpe = layout.cpes[i];
      // RepCPE: a 7x7 depthwise conv with bias, the identity folded in.
      if (cpe !== undefined) x = conv(c, x, `network.${cpe}.reparam_conv`, { out: w, kernel: 7, groups: w });
      const attention = v.stageTypes[i] === 'attention';
      for (let j = 0; j < v.depths[i]!; j++) {
        x = f.scope(`network.${layout.stages[i]!}.${j}`, () => (attention ? attentionBlock(c, x, v.mlpRatio, v.headDim) : repMixerBlock(c, x, v.mlpRatio)));
      }
    });
    // conv_exp: 3x3 conv last -> outChannels with groups = last width, squeeze-excite, GELU.
    const last = v.widths[v.widths.length - 1]!;
    x = f.scope('conv_exp', () => gelu(c, squeezeExcite(c, conv(c, x, 'reparam_conv', { out: v.outChannels, kernel: 3, groups: last }), seChannels(v))));
    const n = dim(x, 2) * dim(x, 3);
    return f.transpose(f.reshape(x, { shape: [1, v.outChannels, n] }).asRank(3), { perm: [0, 2, 1] });
  });
}

/** The `mlp2x_gelu` projector: Linear(outChannels -> H) -> GELU -> Linear(H -> H), both with bias. */
export function projector(c: BuildCtx, features: FloatT<3>, hidden: number): FloatT<3> {
  return c.f.scope(PROJECTOR_SCOPE, () => linear(c, gelu(c, linear(c, features, '0', hidden, true)), '2', hidden, true));
}
