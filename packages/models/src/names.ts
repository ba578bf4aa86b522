/**
 * Checkpoint tensor names (the Hugging Face layout of the released FastVLM checkpoints). The DSL
 * model names its parameters exactly so, which makes loading a checkpoint a lookup by name.
 * @module
 */
import type { VisionConfig } from './config.js';

/** Scope of every vision-tower tensor (without the trailing dot). */
export const VISION_SCOPE = 'model.vision_tower.vision_tower.model';
/** Prefix of every vision-tower tensor. */
export const VISION_PREFIX = `${VISION_SCOPE}.`;
/** Scope of the projector's tensors: `model.mm_projector.{0,2}.{weight,bias}`. */
export const PROJECTOR_SCOPE = 'model.mm_projector';
/** The unused CLIP head of the vision tower (`[outChannels, clipHeadDim]`), never built. */
export const CLIP_HEAD_NAME = `${VISION_PREFIX}head.proj`;
/** The LLM's token embedding table `[vocab, H]`. */
export const EMBED_NAME = 'model.embed_tokens.weight';
/** The LLM's output head `[vocab, H]` (absent when tied to the embedding). */
export const LM_HEAD_NAME = 'lm_head.weight';

/** The two compiled parts of FastVLM. */
export type ModelPart = 'vision' | 'llm';

/** The part a checkpoint tensor belongs to: the vision tower and projector, or the LLM. */
export function partOfTensor(name: string): ModelPart {
  return name.startsWith(VISION_PREFIX) || name.startsWith(`${PROJECTOR_SCOPE}.`) ? 'vision' : 'llm';
}

/** True for names of the checkpoint namespace (as opposed to derived tables such as RoPE). */
export function isCheckpointName(name: string): boolean {
  return name.startsWith('model.') || name === LM_HEAD_NAME;
}

/** True for BatchNorm statistics: checkpoint buffers, not parameters. */
export function isBufferName(name: string): boolean {
  return name.endsWith('.running_mean') || name.endsWith('.running_var') || name.endsWith('.num_batches_tracked');
}

/** Where each element of the encoder sits in `network`: index per stage, downsample and RepCPE. */
export interface NetworkLayout {
  /** `network.K` of stage i. */
  readonly stages: readonly number[];
  /** `network.K` of the downsampling before stage i (undefined for stage 0). */
  readonly downsamples: readonly (number | undefined)[];
  /** `network.K` of the RepCPE before attention stage i (undefined for RepMixer stages). */
  readonly cpes: readonly (number | undefined)[];
}

/**
 * The `network` indices in order: for each stage its downsampling (from stage 1 on), then a RepCPE
 * when it is an attention stage, then the stage. For FastViTHD: stages 0, 2, 4, 7, 10;
 * downsamples 1, 3, 5, 8; RepCPEs 6 and 9.
 */
export function networkLayout(v: Pick<VisionConfig, 'widths' | 'stageTypes'>): NetworkLayout {
  const stages: number[] = [];
  const downsamples: (number | undefined)[] = [];
  const cpes: (number | undefined)[] = [];
  let k = 0;
  v.widths.forEach((_, i) => {
    downsamples.push(i > 0 ? k++ : undefined);
    cpes.push(v.stageTypes[i] === 'attention' ? k++ : undefined);
    stages.push(k++);
  });
  return { stages, downsamples, cpes };
}
