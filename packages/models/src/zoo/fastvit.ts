/**
 * ml-fastvit's FastViT classifiers (T8 ... MA36) and MobileCLIP's MCi image encoders (MCi0 ...
 * MCi4), on the FastViT trunk of `vision.ts` that FastViTHD uses (MCi3 is FastViTHD).
 * @module
 */
import { CONFIGS, SE_RATIO } from '../config.js';
import { type BuildCtx, type FloatT, linear, param } from '../layers.js';
import { type FastVitArch, fastVitHdArch, fastVitTrunk } from '../vision.js';
import { globalPool, imageInput } from './blocks.js';

const R: 'repmixer' = 'repmixer';
const A: 'attention' = 'attention';

/** A FastViT-family trunk with `conv_exp` = 2 x the last width and its SE at 0.0625. */
function arch(widths: readonly number[], depths: readonly number[], mlpRatio: number, stageTypes: FastVitArch['stageTypes'], extra: Pick<FastVitArch, 'attentionNorm' | 'patchEmbedGelu'> & Partial<FastVitArch>): FastVitArch {
  const exp = 2 * widths[widths.length - 1]!;
  return { widths, depths, mlpRatio, stageTypes, headDim: 32, expChannels: exp, expSeChannels: Math.floor(exp * SE_RATIO), ...extra };
}

// ml-fastvit: BatchNorm2d in the attention blocks, no activation after the PatchEmbed's 7x7 conv.
const FASTVIT = { attentionNorm: 'batch_norm', patchEmbedGelu: false } as const;
const W64 = [64, 128, 256, 512] as const;

/** The FastViT variants (ml-fastvit `models/fastvit.py`, inference form). */
export const FASTVIT_ARCHS: Readonly<Record<'t8' | 't12' | 's12' | 'sa12' | 'sa24' | 'sa36' | 'ma36', FastVitArch>> = {
  t8: arch([48, 96, 192, 384], [2, 2, 4, 2], 3, [R, R, R, R], FASTVIT),
  t12: arch(W64, [2, 2, 6, 2], 3, [R, R, R, R], FASTVIT),
  s12: arch(W64, [2, 2, 6, 2], 4, [R, R, R, R], FASTVIT),
  sa12: arch(W64, [2, 2, 6, 2], 4, [R, R, R, A], FASTVIT),
  sa24: arch(W64, [4, 4, 12, 4], 4, [R, R, R, A], FASTVIT),
  sa36: arch(W64, [6, 6, 18, 6], 4, [R, R, R, A], FASTVIT),
  ma36: arch([76, 152, 304, 608], [6, 6, 18, 6], 4, [R, R, R, A], FASTVIT),
};

// MCi0-2: GELU in the PatchEmbeds, squeeze-excite (0.25) in those into stages 3 and 4, BatchNorm attention.
const MCI_SMALL = { attentionNorm: 'batch_norm', patchEmbedGelu: true, patchEmbedSe: [undefined, undefined, 0.25, 0.25] } as const;

/** The MobileCLIP image encoders and the width of the embedding they project to. */
export const MCI_ARCHS: Readonly<Record<'mci0' | 'mci1' | 'mci2' | 'mci3' | 'mci4', { readonly arch: FastVitArch; readonly embedDim: number }>> = {
  mci0: { arch: arch(W64, [2, 6, 10, 2], 3, [R, R, R, A], MCI_SMALL), embedDim: 512 },
  mci1: { arch: arch(W64, [4, 12, 20, 4], 3, [R, R, R, A], MCI_SMALL), embedDim: 512 },
  mci2: { arch: arch([80, 160, 320, 640], [4, 12, 24, 4], 3, [R, R, R, A], MCI_SMALL), embedDim: 512 },
  // MCi3 is FastViTHD itself: the same architecture object FastVLM builds, with its CLIP head.
  mci3: { arch: fastVitHdArch(CONFIGS['fastvlm-0.5b'].vision), embedDim: CONFIGS['fastvlm-0.5b'].vision.clipHeadDim },
  mci4: { arch: arch([128, 256, 512, 1024, 2048], [2, 12, 24, 4, 4], 4, [R, R, R, A, A], { attentionNorm: 'layer_norm', patchEmbedGelu: true }), embedDim: 768 },
};

/** FastViT classifier: trunk, global average pool, `head` Linear(2C -> classes). `images` -> `logits` `[1, classes]`. */
export function buildFastVitClassifier(c: BuildCtx, a: FastVitArch, resolution: number, classes = 1000): void {
  const x = fastVitTrunk(c, imageInput(c, resolution, resolution), a);
  c.f.output({ logits: linear(c, globalPool(c, x), 'head', classes, true) });
}

/** MCi image encoder: trunk, global average pool, projection `head.proj` `[2C, embedDim]`. `images` -> `image_embeds` `[1, embedDim]`. */
export function buildMci(c: BuildCtx, a: FastVitArch, embedDim: number, resolution: number): void {
  const x = fastVitTrunk(c, imageInput(c, resolution, resolution), a);
  const pooled: FloatT<2> = globalPool(c, x);
  const proj = c.f.scope('head', () => param(c, 'proj', [a.expChannels, embedDim], 'weight', a.expChannels));
  c.f.output({ image_embeds: c.f.matmul(pooled, proj).asRank(2) });
}
