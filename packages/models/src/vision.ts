/**
 * The FastViT family in inference (reparameterized) form, in the DSL: one trunk
 * ({@link fastVitTrunk}) serves FastViTHD (FastVLM's vision encoder, here with its `mlp2x_gelu`
 * projector), ml-fastvit's FastViT classifiers and MobileCLIP's MCi image encoders (the zoo);
 * an {@link FastVitArch} says how a variant differs. FastVLM's parameter names are the
 * checkpoint names (`model.vision_tower.vision_tower.model.network.0.0.token_mixer.reparam_conv.weight`, ...).
 * @module
 */
import { type StageType, type VisionConfig, VISION_NORM_EPS, seChannels } from './config.js';
import { type BuildCtx, type FloatT, batchNorm2d, conv, dim, gelu, linear, param } from './layers.js';
import { PROJECTOR_SCOPE, VISION_SCOPE, networkLayout } from './names.js';

/** A FastViT-family encoder: the stage plan of {@link VisionConfig} and how the variant's blocks differ. */
export interface FastVitArch {
  readonly widths: readonly number[];
  readonly depths: readonly number[];
  readonly mlpRatio: number;
  readonly stageTypes: readonly StageType[];
  readonly headDim: number;
  /** Output channels of `conv_exp` (a multiple of the last width). */
  readonly expChannels: number;
  /** Channels of the squeeze-excite bottleneck of `conv_exp`. */
  readonly expSeChannels: number;
  /** Norm of the attention blocks: the channel LayerNorm (FastViTHD, MCi3/4) or BatchNorm2d (FastViT, MCi0-2). */
  readonly attentionNorm: 'layer_norm' | 'batch_norm';
  /** GELU after the PatchEmbed's 7x7 grouped conv (MobileCLIP, FastViTHD); ml-fastvit's has none. */
  readonly patchEmbedGelu: boolean;
  /** Squeeze-excite ratio of the PatchEmbed's 7x7 conv before stage i (MCi0-2: 0.25 into stages 3 and 4), if any. */
  readonly patchEmbedSe?: readonly (number | undefined)[];
}

/** The trunk architecture of FastViTHD for a FastVLM vision config. */
export function fastVitHdArch(v: VisionConfig): FastVitArch {
  return { ...v, expChannels: v.outChannels, expSeChannels: seChannels(v), attentionNorm: 'layer_norm', patchEmbedGelu: true };
}

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
    y = batchNorm2d(c, y, 'conv.bn', VISION_NORM_EPS);
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
 * Attention block: `x + ls1 * mhsa(norm(x))`, then `x + ls2 * convffn(x)`; the norm is a layer norm
 * over the channel axis of NCHW with weight and bias (eps 1e-5), or BatchNorm2d.
 */
function attentionBlock(c: BuildCtx, x: FloatT<4>, ratio: number, headDim: number, norm: FastVitArch['attentionNorm']): FloatT<4> {
  const C = dim(x, 1);
  const n =
    norm === 'batch_norm'
      ? batchNorm2d(c, x, 'norm', VISION_NORM_EPS)
      : c.f.scope('norm', () => {
          const w = param(c, 'weight', [C], 'scale', C);
          const b = param(c, 'bias', [C], 'shift', C);
          return c.f.layerNorm(x, w, b, { axes: [1], epsilon: VISION_NORM_EPS });
        });
  const y = scaledResidual(c, x, mhsa(c, n, headDim), 'layer_scale_1');
  return scaledResidual(c, y, convFfn(c, y, ratio), 'layer_scale_2');
}

/**
 * Squeeze-excite (MobileOne's SEBlock, as in `conv_exp`): global average pool -> 1x1 conv C ->
 * `reduced` (bias) -> ReLU -> 1x1 conv back to C (bias) -> sigmoid -> per-channel scale of the input.
 */
export function squeezeExcite(c: BuildCtx, x: FloatT<4>, reduced: number, scope = 'se'): FloatT<4> {
  const C = dim(x, 1);
  return c.f.scope(scope, () => {
    const pooled = c.f.reduceMean(x, { axes: [2, 3], keep_dims: true }).asRank(4);
    const r = c.f.relu(conv(c, pooled, 'reduce', { out: reduced, kernel: 1 }));
    const s = c.f.sigmoid(conv(c, r, 'expand', { out: C, kernel: 1 }));
    return c.f.mul(x, s).asRank(4);
  });
}

/**
 * The FastViT trunk on `images` `[1, 3, R, R]`, in the current scope: the stem, the stages with
 * their PatchEmbed downsamplings and RepCPEs, and `conv_exp` (3x3 conv with groups = last width,
 * squeeze-excite, GELU). Returns `[1, expChannels, R/s, R/s]` with s the total stride.
 */
export function fastVitTrunk(c: BuildCtx, images: FloatT<4>, a: FastVitArch): FloatT<4> {
  const f = c.f;
  const layout = networkLayout(a);
  const w0 = a.widths[0]!;
  // Stem (patch_embed): 3x3 s2 conv, 3x3 s2 depthwise conv, 1x1 conv, each with GELU.
  let x = convAct(c, images, 'patch_embed.0.reparam_conv', w0, 3, 2, 1);
  x = convAct(c, x, 'patch_embed.1.reparam_conv', w0, 3, 2, w0);
  x = convAct(c, x, 'patch_embed.2.reparam_conv', w0, 1, 1, 1);
  a.widths.forEach((w, i) => {
    const down = layout.downsamples[i];
    if (down !== undefined) {
      // PatchEmbed: 7x7 s2 conv with groups = C_in (C_in -> w) (+ squeeze-excite, GELU), then a 1x1 conv, GELU.
      const cin = a.widths[i - 1]!;
      const name = `network.${down}.proj.0.lkb_reparam`;
      const se = a.patchEmbedSe?.[i];
      if (se === undefined) x = a.patchEmbedGelu ? convAct(c, x, name, w, 7, 2, cin) : conv(c, x, name, { out: w, kernel: 7, stride: 2, groups: cin });
      else {
        const y = squeezeExcite(c, conv(c, x, name, { out: w, kernel: 7, stride: 2, groups: cin }), Math.floor(w * se), `network.${down}.proj.0.se`);
        x = a.patchEmbedGelu ? gelu(c, y) : y;
      }
      x = convAct(c, x, `network.${down}.proj.1.reparam_conv`, w, 1, 1, 1);
    }
    const cpe = layout.cpes[i];
    // RepCPE: a 7x7 depthwise conv with bias, the identity folded in.
    if (cpe !== undefined) x = conv(c, x, `network.${cpe}.reparam_conv`, { out: w, kernel: 7, groups: w });
    const attention = a.stageTypes[i] === 'attention';
    for (let j = 0; j < a.depths[i]!; j++) {
      x = f.scope(`network.${layout.stages[i]!}.${j}`, () => (attention ? attentionBlock(c, x, a.mlpRatio, a.headDim, a.attentionNorm) : repMixerBlock(c, x, a.mlpRatio)));
    }
  });
  // conv_exp: 3x3 conv last -> expChannels with groups = last width, squeeze-excite, GELU.
  const last = a.widths[a.widths.length - 1]!;
  return f.scope('conv_exp', () => gelu(c, squeezeExcite(c, conv(c, x, 'reparam_conv', { out: a.expChannels, kernel: 3, groups: last }), a.expSeChannels)));
}

/**
 * The FastViTHD encoder on `images` `[1, 3, R, R]`: returns the image embeddings as tokens
 * `[1, (R/64)^2, outChannels]` (before the projector).
 */
export function fastVitHd(c: BuildCtx, images: FloatT<4>, v: VisionConfig): FloatT<3> {
  const f = c.f;
  return f.scope(VISION_SCOPE, () => {
    const x = fastVitTrunk(c, images, fastVitHdArch(v));
    const n = dim(x, 2) * dim(x, 3);
    return f.transpose(f.reshape(x, { shape: [1, v.outChannels, n] }).asRank(3), { perm: [0, 2, 1] });
  });
}

/** The `mlp2x_gelu` projector: Linear(outChannels -> H) -> GELU -> Linear(H -> H), both with bias. */
export function projector(c: BuildCtx, features: FloatT<3>, hidden: number): FloatT<3> {
  return c.f.scope(PROJECTOR_SCOPE, () => linear(c, gelu(c, linear(c, features, '0', hidden, true)), '2', hidden, true));
}
