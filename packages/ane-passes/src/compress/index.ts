/**
 * Weight compression: the `palettize-weights` and `quantize-weights` passes, their algorithms
 * (exact 1-D k-means, coremltools-exact linear quantization), lazily computed compressed
 * weights, and a worker pool that precomputes the expensive parts on several cores.
 * @module
 */
export { CompressErrorCodes, type CompressErrorCode, compressError } from './errors.js';
export { kmeans1d, KMeansWorkspace, type KMeans1dResult } from './kmeans1d.js';
export {
  palettize,
  palettizeGroups,
  assignPalette,
  groupCount,
  PaletteWorkspace,
  PALETTE_NBITS,
  type PaletteNbits,
  type PaletteMode,
  type PaletteParams,
  type PaletteResult,
  type PaletteWork,
} from './palettize.js';
export { quantizeLinear, quantRange, QUANT_DTYPES, type QuantDType, type QuantParams, type QuantResult, type QuantOutputs } from './linear.js';
export { readWeightValues, weightValuesOf, type WeightValues } from './values.js';
export { packBits } from './pack.js';
export {
  type PalettizeSettings,
  type QuantizeSettings,
  type CompressionRules,
  parseRules,
  resolveSettings,
  globToRegExp,
  PALETTIZE_KEYS,
  QUANTIZE_KEYS,
  checkPalettizeSettings,
  checkQuantizeSettings,
  type KeyParser,
} from './settings.js';
export { COMPRESSED_OPS, DEFAULT_WEIGHT_CONSUMERS, findCandidates, type Candidate } from './candidates.js';
export { PaletteJob, QuantJob, type PaletteSolver } from './jobs.js';
export { palettizeWeights, palettizeProgram, palettizeRulesFromOptions, type PalettizeProgramOptions } from './palettize-pass.js';
export type { CompressionSummary } from './select.js';
export { quantizeWeights, quantizeProgram, quantizeRulesFromOptions, type QuantizeProgramOptions, type QuantForm } from './quantize-pass.js';
export { CompressPool, CompressScheduler, withCompressWorkers, precomputePalettes, type QuantOutput, type ScheduledJob, type WorkerOptions, type Task as CompressTask, type PaletteTask, type QuantTask, type Status as CompressStatus, type AttachableJob as CompressibleJob } from './workers.js';
export { SharedBufferPool } from './buffers.js';
