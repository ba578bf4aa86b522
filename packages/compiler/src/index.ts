/**
 * @fastvlm/compiler: the compile pipeline as a library. `compile(source, options)` takes a
 * Program built with the DSL, a FastVLM preset or checkpoint, or a lifted `.mlpackage`, and runs
 * the passes, weight compression, I/O precision, image inputs, lowering and the atomic write,
 * with typed progress events and a result holding the summary and the report.
 * ```ts
 * import { graph } from '@fastvlm/graph';
 * import { compile } from '@fastvlm/compiler';
 * const result = await compile({ kind: 'program', program: myProgram, name: 'my-model' }, { out: 'build', passes: 'ane' });
 * ```
 * @packageDocumentation
 */
export { CompilerErrorCodes, type CompilerErrorCode, calibrateError, optionError, sourceError } from './errors.js';
export { compile, type CompileOptions, type CompileResult, type PackageSummary, type CompressionSummary } from './pipeline.js';
export { COMPILE_PHASES, type CompilePhase, type CompileEvent, type PhaseEvent, type BytesEvent, type PackageEvent, type NoteEvent } from './events.js';
export { type CompileSource, type ProgramSource, type PackageSource, SOURCE_NAME_RE, resolveSource } from './source.js';
export { type ZooSource, resolveZoo } from './zoo.js';
export { type AnalyzeOptions, type FunctionAnalysis, type SourceAnalysis, analyze, checkDevice, mergeAnalyses, withMeasurement } from './analysis.js';
export { type AnalysisPageOptions, type CompilePageParts, analysisPage, writeAnalysisHtml } from './report-page.js';
export { type CalibrationRowSpec, CALIBRATION_ROWS, LM_HEAD_ROWS, calibrationCases, lmHeadProgram, rowProgram } from './calibration-rows.js';
export {
  type Calibration,
  type CalibrateMeasuredOptions,
  type MeasuredCalibration,
  type MeasuredOptions,
  type MeasuredRow,
  calibrateMeasured,
  calibrateReference,
  deviceOfChip,
  formatFit,
  readCostModel,
  readMeasurements,
  writeCostModel,
  zooModelOfPackage,
} from './calibrate.js';
export { type PrepareSettings, type PrepareHooks, type PreparedUnit, prepareUnit } from './prepare.js';
export { type FastVlmSource, resolveFastVlm } from './fastvlm.js';
export type { CompileUnit, ResolvedSource, UnitFacts, BuildContext } from './units.js';
export { genericMetadata } from './units.js';
export { type PassStepSpec, type PassesOption, type PassPlan, PRESET_NAMES, planPasses } from './passes.js';
export { type ImageInputMode, type ImageInputSpec, IMAGE_INPUT_MODES, IMAGE_SCALE, imageInputMode, imageInputOptions } from './image-input.js';
export {
  COMPRESS_MODES,
  COMPRESS_GROUPS,
  type CompressMode,
  type CompressRule,
  type CompressSpec,
  parseCompressSpec,
  matchesPattern,
  modeFor,
} from './compress-spec.js';
export { type CompressionReport, COMPRESS_CONSUMERS, COMPRESS_WEIGHT_THRESHOLD, LUT_GROUP_SIZE, INT4_BLOCK_SIZE, applyCompression, checkCompressTarget, precomputeCompression } from './compress.js';
export { FP32_OUTPUTS, type IoChange, type IoPrecisionPolicy, wantedIoDtype, applyIoPrecision } from './io-precision.js';
export { type FunctionStats, type FunctionReport, type LargestTensor, functionStats } from './stats.js';
export { type CompileReport, buildReport } from './report.js';
