/**
 * FastVLM as a source of the pipeline: a preset, a configuration or a checkpoint directory,
 * resolved into one unit per part (`vision`: FastViTHD + projector; `llm`: Qwen2's embed,
 * embed_token, prefill and decode), with FastVLM's package metadata, image input and I/O policy.
 * @module
 */
import type { FloatDType, WeightStore } from '@fastvlm/graph';
import {
  type FastVlmConfig,
  MODEL_PARTS,
  type ModelPart,
  buildFastVlm,
  configFromCheckpoint,
  isBufferName,
  isCheckpointName,
  loadCheckpoint,
  resolveConfig,
  resolveShapes,
} from '@fastvlm/models';
import { FP32_OUTPUTS } from './io-precision.js';
import type { BuildContext, CompileUnit, ResolvedSource, UnitFacts } from './units.js';

/** A FastVLM to compile. */
export interface FastVlmSource {
  readonly kind: 'fastvlm';
  /**
   * A preset name (`fastvlm-0.5b`...) or a configuration. Omitted with a checkpoint, its
   * config.json says what the model is (`configFromCheckpoint` of @fastvlm/models); omitted
   * without one, `fastvlm-0.5b`.
   */
  readonly model?: string | FastVlmConfig;
  /** A Hugging Face checkpoint directory; absent: deterministic synthetic weights. */
  readonly checkpoint?: string;
  /** Parts to compile, in any order (default both; built in the order vision, llm). */
  readonly parts?: readonly ModelPart[];
  /** Seed of the synthetic weights (default 0; not used with a checkpoint). */
  readonly seed?: number;
  /** Image side (default: the configuration's, which a checkpoint's vision tower gives). */
  readonly resolution?: number;
  /** KV-cache length. */
  readonly contextLength?: number;
  /** Tokens per prefill call. */
  readonly prefillLength?: number;
}

function describePart(model: string, part: ModelPart, shapes: { resolution: number; contextLength: number; prefillLength: number }, precision: string): string {
  return part === 'vision'
    ? `FastVLM ${model} vision encoder (FastViTHD + mlp2x_gelu projector): ${shapes.resolution}x${shapes.resolution} image -> image features, ${precision}`
    : `FastVLM ${model} language model (Qwen2): embed (${shapes.prefillLength} tokens), embed_token (1 token), prefill (${shapes.prefillLength} tokens), decode (context ${shapes.contextLength}), ${precision}`;
}

/**
 * Resolves a FastVLM source for a build at `precision`: reads the checkpoint's configuration
 * when no model is named (the named one is checked against it otherwise) and opens its tensors
 * (lazily: nothing is read before a unit is built), then makes one unit per part. `onLoad` is
 * told before a checkpoint is opened.
 */
export function resolveFastVlm(src: FastVlmSource, precision: FloatDType, onLoad: (label: string, detail: string) => void): ResolvedSource {
  const notes: string[] = [];
  const parts = MODEL_PARTS.filter((p) => (src.parts ?? MODEL_PARTS).includes(p));
  let config = resolveConfig(src.model ?? (src.checkpoint !== undefined ? configFromCheckpointNoted(src.checkpoint, notes) : 'fastvlm-0.5b'));
  let weights: WeightStore | undefined;
  if (src.checkpoint !== undefined) {
    onLoad(config.name, `loading ${src.checkpoint}`);
    const loaded = loadCheckpoint(src.checkpoint, config, { dtype: precision, parts });
    config = loaded.config;
    weights = loaded.weights;
  }
  const shapeOpts = {
    ...(src.resolution !== undefined ? { resolution: src.resolution } : {}),
    ...(src.contextLength !== undefined ? { contextLength: src.contextLength } : {}),
    ...(src.prefillLength !== undefined ? { prefillLength: src.prefillLength } : {}),
  };
  const shapes = resolveShapes(config, shapeOpts);
  const seed = src.seed ?? 0;
  const weightsText = weights ? 'checkpoint' : `synthetic (seed ${seed})`;
  const name = config.name;
  const unit = (part: ModelPart): CompileUnit => ({
    task: `${name}-${part}`,
    part,
    buildDetail: `${precision}, ${weights ? 'checkpoint weights' : `synthetic weights, seed ${seed}`}`,
    buildsAtPrecision: true,
    build: (ctx: BuildContext) =>
      buildFastVlm(config, {
        ...shapeOpts,
        parts: [part],
        dtype: ctx.precision,
        seed,
        ...(weights ? { weights } : {}),
        // The network reads R, G, B: a BGR image input gets its channels reversed first.
        ...(ctx.imageInput === 'bgr' ? { imageChannels: 'bgr' as const } : {}),
      })[part]!,
    imageInputs: part === 'vision' ? ['images'] : [],
    defaultImageInput: part === 'vision' ? 'rgb' : 'tensor',
    inputs: {},
    fp32Outputs: FP32_OUTPUTS,
    isParameter: (w) => isCheckpointName(w) && !isBufferName(w),
    metadata: (facts: UnitFacts) => ({
      shortDescription: describePart(name, part, shapes, facts.precision),
      userDefined: {
        'fastvlm.model': name,
        'fastvlm.part': part,
        'fastvlm.functions': facts.functions.join(','),
        'fastvlm.resolution': String(shapes.resolution),
        'fastvlm.context_length': String(shapes.contextLength),
        'fastvlm.prefill_length': String(shapes.prefillLength),
        'fastvlm.precision': facts.precision,
        'fastvlm.passes': facts.passes,
        'fastvlm.compress': facts.compress,
        'fastvlm.weights': weightsText,
        ...(facts.imageInput !== undefined ? { 'fastvlm.image_input': facts.imageInput } : {}),
      },
    }),
  });
  return {
    name,
    notes,
    reportOptions: {
      parts,
      resolution: src.resolution ?? null,
      contextLength: src.contextLength ?? null,
      prefillLength: src.prefillLength ?? null,
      weights: weightsText,
    },
    units: parts.map(unit),
  };
}

/** The checkpoint's own configuration, with a note saying which preset (if any) it is. */
function configFromCheckpointNoted(dir: string, notes: string[]): FastVlmConfig {
  const found = configFromCheckpoint(dir);
  notes.push(
    found.preset !== undefined
      ? `${dir}: config.json (vision tower ${found.visionTower}) is the ${found.preset} preset`
      : `${dir}: config.json matches no preset; built from its own numbers as '${found.config.name}' (read: ${found.fields.join(', ')})`,
  );
  return found.config;
}
