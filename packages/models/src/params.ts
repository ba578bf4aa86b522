/**
 * Parameter counts of FastVLM, computed from the parameters of the built graphs.
 * @module
 */
import { numel } from '@fastvlm/graph';
import { type FastVlmConfig, resolveConfig } from './config.js';
import { parameterManifest } from './build.js';
import { PROJECTOR_SCOPE, VISION_PREFIX } from './names.js';

/** Options of {@link countParameters}. */
export interface CountOptions {
  /**
   * Also count the vision tower's unused CLIP head `head.proj` (`[outChannels, clipHeadDim]`,
   * 2.36 M for FastViTHD), which the model never builds. Default false.
   */
  readonly withClipHead?: boolean;
}

/** Parameter counts by component. BatchNorm running statistics are buffers, not counted. */
export interface ParameterCounts {
  /** FastViTHD (with the CLIP head when asked). */
  readonly vision: number;
  /** The `mlp2x_gelu` projector. */
  readonly projector: number;
  /** The Qwen2 decoder, embedding and head included (the head once when tied). */
  readonly llm: number;
  /** Sum of the three. */
  readonly total: number;
  /** Elements of the BatchNorm running mean and variance. */
  readonly buffers: number;
}

/** Counts the parameters of `config` from the graph's parameters (see {@link CountOptions}). */
export function countParameters(config: string | FastVlmConfig, opts: CountOptions = {}): ParameterCounts {
  const cfg = resolveConfig(config);
  let vision = 0;
  let projector = 0;
  let llm = 0;
  let buffers = 0;
  for (const e of parameterManifest(cfg)) {
    const n = numel(e.shape);
    if (e.kind === 'buffer') buffers += n;
    else if (e.name.startsWith(VISION_PREFIX)) vision += n;
    else if (e.name.startsWith(`${PROJECTOR_SCOPE}.`)) projector += n;
    else llm += n;
  }
  if (opts.withClipHead) vision += cfg.vision.outChannels * cfg.vision.clipHeadDim;
  return { vision, projector, llm, total: vision + projector + llm, buffers };
}
