/**
 * Image inputs: an fp32 `[1, 3, R, R]` input declared as a Core ML image, so an app passes a
 * CVPixelBuffer and Core ML converts it on the device (to R, G, B or B, G, R channel planes,
 * then `x * scale + bias`). FastVLM's own normalization is `x / 255` (mean 0, std 1).
 * @module
 */
import type { InputOptions } from '@fastvlm/emit-coreml';
import { optionError } from './errors.js';

/** How image inputs are declared: as RGB or BGR images, or kept as fp32 tensors. */
export type ImageInputMode = 'rgb' | 'bgr' | 'tensor';

/** The forms of {@link ImageInputMode}, in help order. */
export const IMAGE_INPUT_MODES: readonly ImageInputMode[] = ['rgb', 'bgr', 'tensor'];

/** An image input with its own normalization (for networks other than FastVLM). */
export interface ImageInputSpec {
  readonly layout: 'rgb' | 'bgr';
  /** Multiplies each 0..255 pixel value (default 1/255). */
  readonly scale?: number;
  /** Added after scaling: one value, or one per channel in the layout's order (default 0). */
  readonly bias?: number | readonly number[];
}

/** FastVLM's pixel scale: pixels / 255, no mean or std. */
export const IMAGE_SCALE = 1 / 255;

/** The mode of an `imageInput` option, checked. */
export function imageInputMode(option: ImageInputMode | ImageInputSpec | undefined, fallback: ImageInputMode): ImageInputMode {
  if (option === undefined) return fallback;
  const mode = typeof option === 'string' ? option : option?.layout;
  if (!(IMAGE_INPUT_MODES as readonly unknown[]).includes(mode) || (typeof option === 'object' && mode === 'tensor')) {
    throw optionError('imageInput', `expected ${IMAGE_INPUT_MODES.join(', ')} or { layout: 'rgb' | 'bgr', scale?, bias? }, found ${JSON.stringify(option)}`, { found: String(mode) });
  }
  return mode as ImageInputMode;
}

/** The lowering options declaring `names` as images in `mode` (none for `tensor`). */
export function imageInputOptions(names: readonly string[], option: ImageInputMode | ImageInputSpec | undefined, fallback: ImageInputMode): Record<string, InputOptions> {
  const mode = imageInputMode(option, fallback);
  if (mode === 'tensor') return {};
  const spec = typeof option === 'object' ? option : undefined;
  const out: Record<string, InputOptions> = {};
  for (const name of names) {
    out[name] = { image: { colorLayout: mode === 'rgb' ? 'RGB' : 'BGR', scale: spec?.scale ?? IMAGE_SCALE, bias: spec?.bias ?? 0 } };
  }
  return out;
}
