/**
 * @fastvlm/models: FastVLM (the FastViTHD vision encoder, the `mlp2x_gelu` projector and the
 * Qwen2 decoder) authored in the @fastvlm/graph DSL, with presets, parameter counts, checkpoint
 * loading and synthetic weights.
 * ```ts
 * import { buildFastVlm } from '@fastvlm/models';
 * const { vision, llm } = buildFastVlm('fastvlm-0.5b', { resolution: 1024, contextLength: 1024, prefillLength: 512 });
 * ```
 * @packageDocumentation
 */
export * from './errors.js';
export * from './config.js';
export * from './names.js';
export { type ParamRole, paramInit } from './layers.js';
export { MASK_VALUE, LLM_IO } from './qwen2.js';
export {
  MODEL_PARTS,
  type BuildOptions,
  type BuildShapes,
  type FastVlmPrograms,
  type ManifestEntry,
  buildFastVlm,
  checkWeights,
  parameterManifest,
  programTensors,
  resolveShapes,
  syntheticWeights,
} from './build.js';
export { type CountOptions, type ParameterCounts, countParameters } from './params.js';
export { type FastVitArch, fastVitHdArch, fastVitTrunk } from './vision.js';
export * from './zoo/index.js';
export { type LoadCheckpointOptions, type LoadedCheckpoint, type CheckpointConfig, CHECKPOINT_CONFIG_FIELDS, configFromCheckpoint, loadCheckpoint } from './checkpoint.js';
