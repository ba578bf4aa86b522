/**
 * Options of the lowering: target, which functions, per-input feature options (images,
 * enumerated shapes) and model metadata.
 * @module
 */
import type { Target } from './target.js';

/** Pixel layouts of an image input (Core ML's `ImageFeatureType.ColorSpace`). */
export type ColorLayout = 'RGB' | 'BGR' | 'GRAYSCALE' | 'GRAYSCALE_FLOAT16';

/**
 * Declares a function input an image, as coremltools' `ImageType` does for ML programs: the
 * model takes a pixel buffer, Core ML converts it to the input tensor `[1, C, H, W]` (C = 3 for
 * RGB/BGR, 1 for grayscale), and the program starts with `x * scale + bias`.
 */
export interface ImageInputOptions {
  readonly colorLayout: ColorLayout;
  /** Multiplies every pixel (default 1). */
  readonly scale?: number;
  /** Added after scaling: one value per channel (RGB/BGR) or one value (grayscale). Default 0. */
  readonly bias?: number | readonly number[];
  /** Width in pixels; must equal the input's last dimension when given. */
  readonly width?: number;
  /** Height in pixels; must equal the input's third dimension when given. */
  readonly height?: number;
}

/** Feature options of one function input, keyed by input name in {@link LowerOptions.inputs}. */
export interface InputOptions {
  /** Make the input an image. */
  readonly image?: ImageInputOptions;
  /**
   * The shapes the input may take (ArrayFeatureType.enumeratedShapes); the first is the
   * default. The input must have symbolic dimensions where the shapes differ.
   */
  readonly enumeratedShapes?: readonly (readonly number[])[];
  /** Shown in Xcode's model viewer. */
  readonly shortDescription?: string;
}

/** Human-readable model metadata. */
export interface MetadataOptions {
  readonly author?: string;
  readonly license?: string;
  /** Model version string. */
  readonly version?: string;
  readonly shortDescription?: string;
  /** Extra string key-value pairs (`com.github.fastvlm.*` keys are reserved). */
  readonly userDefined?: Readonly<Record<string, string>>;
}

/** Options of {@link lowerProgram}. */
export interface LowerOptions {
  /** Deployment target, default `ios18`. */
  readonly target?: Target;
  /**
   * The functions to emit, in order (default: all, in program order). More than one needs
   * ios18 (a multifunction model).
   */
  readonly functions?: readonly string[];
  /** The default function of a multifunction model (default: the first emitted). */
  readonly defaultFunction?: string;
  /** Per-input feature options, by input name (applies to every emitted function with that input). */
  readonly inputs?: Readonly<Record<string, InputOptions>>;
  readonly metadata?: MetadataOptions;
  /** Run the IR verifier first (default true). */
  readonly verify?: boolean;
}
