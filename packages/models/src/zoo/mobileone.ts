/**
 * MobileOne S0 ... S4 (apple/ml-mobileone `mobileone.py`) in inference form: every block is one
 * reparameterized conv with bias, optional squeeze-excite, then ReLU.
 * @module
 */
import { type BuildCtx, type FloatT, conv, linear } from '../layers.js';
import { squeezeExcite } from '../vision.js';
import { globalPool, imageInput } from './blocks.js';

/** A MobileOne variant: stem width, the four stage widths, and the blocks that carry squeeze-excite. */
export interface MobileOneArch {
  readonly stem: number;
  readonly widths: readonly [number, number, number, number];
  /** Per stage, how many of its last blocks have squeeze-excite (S4: 5 in stage 3, all of stage 4). */
  readonly seBlocks?: readonly [number, number, number, number];
}

/** Blocks per stage (all variants). */
export const MOBILEONE_DEPTHS = [2, 8, 10, 1] as const;
/** Squeeze-excite reduction of MobileOne-S4. */
const SE_RATIO = 0.0625;

/** The variants (stage widths from the paper's width multipliers). */
export const MOBILEONE_ARCHS: Readonly<Record<'s0' | 's1' | 's2' | 's3' | 's4', MobileOneArch>> = {
  s0: { stem: 48, widths: [48, 128, 256, 1024] },
  s1: { stem: 64, widths: [96, 192, 512, 1280] },
  s2: { stem: 64, widths: [96, 256, 640, 2048] },
  s3: { stem: 64, widths: [128, 320, 768, 2048] },
  s4: { stem: 64, widths: [192, 448, 896, 2048], seBlocks: [0, 0, 5, 1] },
};

/** One MobileOne block (`name.reparam_conv`, then `name.se`, then ReLU). */
function block(c: BuildCtx, x: FloatT<4>, name: string, out: number, kernel: number, stride: number, groups: number, se: boolean): FloatT<4> {
  const y = conv(c, x, `${name}.reparam_conv`, { out, kernel, stride, groups });
  return c.f.relu(se ? squeezeExcite(c, y, Math.floor(out * SE_RATIO), `${name}.se`) : y);
}

/** MobileOne classifier: `images` -> `logits` `[1, classes]`. */
export function buildMobileOne(c: BuildCtx, a: MobileOneArch, resolution: number, classes = 1000): void {
  let x = block(c, imageInput(c, resolution, resolution), 'stage0', a.stem, 3, 2, 1, false);
  a.widths.forEach((w, s) => {
    const n = MOBILEONE_DEPTHS[s]!;
    const withSe = a.seBlocks?.[s] ?? 0;
    for (let j = 0; j < n; j++) {
      const se = j >= n - withSe;
      const cin = x.shape[1] as number;
      // Depthwise 3x3 (stride 2 in the first block of a stage), then pointwise 1x1; each a module of stageN.
      x = block(c, x, `stage${s + 1}.${2 * j}`, cin, 3, j === 0 ? 2 : 1, cin, se);
      x = block(c, x, `stage${s + 1}.${2 * j + 1}`, w, 1, 1, 1, se);
    }
  });
  c.f.output({ logits: linear(c, globalPool(c, x), 'linear', classes, true) });
}
