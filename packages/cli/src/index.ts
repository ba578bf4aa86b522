/**
 * @fastvlm/cli: the `fastvlm` command-line compiler. `main(argv, io)` runs it in process (the
 * executable is `main.ts`); the pieces (argument parsing, compile and inspect, the report
 * statistics, the I/O precision policy) are exported for embedding and tests.
 * @packageDocumentation
 */
export { main, mainHelp, COMMANDS, EXIT } from './cli.js';
export { CliErrorCodes, type CliErrorCode, cliError, usageError, isUsageError, describeCliError } from './errors.js';
export { type CliIo, type CapturedIo, processIo, captureIo } from './io.js';
export {
  type FlagKind,
  type FlagSpec,
  type FlagValue,
  type PositionalSpec,
  type CommandSpec,
  type ParsedArgs,
  COMMON_FLAGS,
  Flags,
  parseCommandLine,
  commandHelp,
  parseIntFlag,
} from './args.js';
export { COMPILE_SPEC, MODEL_NAMES, PASS_CHOICES, type CompileOptions, type ShapeFlags, compileOptionsFromFlags, shapeFlags } from './commands/compile-spec.js';
export { type PackageSummary, type CompileResult, runCompile, formatCompileSummary } from './commands/compile.js';
export {
  INSPECT_SPEC,
  type FeatureInfo,
  type PackageFunctionInfo,
  type PackageInfo,
  type SignatureInfo,
  type ModelInfo,
  type InspectModelOptions,
  inspectPackage,
  inspectModel,
  formatPackageInfo,
  formatModelInfo,
  runInspect,
} from './commands/inspect.js';
export { type FunctionStats, type FunctionReport, type LargestTensor, functionStats, formatReport } from './report.js';
export { FP32_OUTPUTS, type IoChange, wantedIoDtype, applyIoPrecision } from './io-precision.js';
export {
  COMPRESS_MODES,
  COMPRESS_GROUPS,
  type CompressMode,
  type CompressRule,
  type CompressSpec,
  parseCompressSpec,
  matchesPattern,
  modeFor,
} from './compress.js';
export { type CompressionReport, COMPRESS_CONSUMERS, COMPRESS_WEIGHT_THRESHOLD, LUT_GROUP_SIZE, INT4_BLOCK_SIZE, applyCompression, checkCompressTarget, precomputeCompression } from './compress-apply.js';
export { PHASES, type Phase, type ProgressMode, Progress } from './progress.js';
export { CLI_VERSION } from './version.js';
