/**
 * What the pipeline compiles: a source (a DSL Program, a FastVLM preset or checkpoint, a lifted
 * package) resolved into units, each one Program written as one package (or one package per
 * function where the target has no multifunction models).
 * @module
 */
import type { FloatDType, Program } from '@fastvlm/graph';
import type { InputOptions, MetadataOptions } from '@fastvlm/emit-coreml';

/** Facts of a compile that a unit may record in its packages' metadata. */
export interface UnitFacts {
  /** The functions of the package being written. */
  readonly functions: readonly string[];
  readonly precision: FloatDType;
  /** `none`, a preset name, or `custom` for a list of steps. */
  readonly passes: string;
  /** The compression setting as text, `none` without one. */
  readonly compress: string;
  /** `rgb`, `bgr` or `tensor` for units with image inputs; undefined otherwise. */
  readonly imageInput: string | undefined;
}

/**
 * One Program of a compile, with what the pipeline needs to know about it beyond its IR.
 * Sources produce units; the pipeline builds each unit when its turn comes (so the progress
 * of a long build shows before it starts).
 */
export interface CompileUnit {
  /** Base name of its package files and label of its progress, e.g. `fastvlm-0.5b-vision`. */
  readonly task: string;
  /** The part it is of its model: `vision`, `llm`, or the program's own name. */
  readonly part: string;
  /** Shown with the build phase, e.g. `fp16, synthetic weights, seed 0`. */
  readonly buildDetail: string;
  /**
   * Builds the program: at `precision` when the unit builds from a description, and for an
   * `imageInput` of `bgr` reading its image channels in that order (when the unit knows its
   * network's channel order).
   */
  build(ctx: BuildContext): Program | Promise<Program>;
  /**
   * True when {@link build} honours `precision`; false for a given Program, which the pipeline
   * converts with the `to-fp16` pass when fp16 is asked for.
   */
  readonly buildsAtPrecision: boolean;
  /**
   * fp32 function inputs that the `imageInput` option declares as Core ML images; `auto`: every
   * fp32 `[1, 3, H, W]` input of the built program.
   */
  readonly imageInputs: readonly string[] | 'auto';
  /** The image form used when the options do not say (`rgb` for FastVLM's vision part). */
  readonly defaultImageInput: 'rgb' | 'bgr' | 'tensor';
  /** Other lowering feature options, by input name. */
  readonly inputs: Readonly<Record<string, InputOptions>>;
  /** fp16 outputs made fp32 at the boundary. */
  readonly fp32Outputs: readonly string[];
  /** Package metadata for the functions of one package. */
  metadata(facts: UnitFacts): MetadataOptions;
  /** Whether a weight counts as a model parameter in the summary (default: every weight). */
  isParameter(weight: string): boolean;
}

/** What a unit's build is asked for. */
export interface BuildContext {
  readonly precision: FloatDType;
  readonly imageInput: 'rgb' | 'bgr' | 'tensor';
}

/** A source resolved into units. */
export interface ResolvedSource {
  /** The model's name, e.g. `fastvlm-0.5b`: the report file is `<name>-report.json`. */
  readonly name: string;
  readonly units: readonly CompileUnit[];
  /** Options of the source for the report (`parts`, `resolution`, `weights`...). */
  readonly reportOptions: Readonly<Record<string, unknown>>;
  /** Remarks made while resolving (e.g. the preset a checkpoint matched). */
  readonly notes: readonly string[];
}

/** Metadata of a unit that says nothing about itself: the compile facts as `fastvlm.*` keys. */
export function genericMetadata(facts: UnitFacts, extra: MetadataOptions = {}): MetadataOptions {
  return {
    ...extra,
    userDefined: {
      ...(extra.userDefined ?? {}),
      'fastvlm.functions': facts.functions.join(','),
      'fastvlm.precision': facts.precision,
      'fastvlm.passes': facts.passes,
      'fastvlm.compress': facts.compress,
      ...(facts.imageInput !== undefined ? { 'fastvlm.image_input': facts.imageInput } : {}),
    },
  };
}
