/**
 * @fastvlm/cli: the `fastvlm` command-line compiler, a thin shell over @fastvlm/compiler.
 * `main(argv, io)` runs it in process (the executable is `main.ts`); the pieces (argument
 * parsing, the commands, progress rendering, the report tables) are exported for embedding and
 * tests. Programs should call `compile` of @fastvlm/compiler directly.
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
export { COMPILE_SPEC, MODEL_NAMES, PASS_CHOICES, type CompileArgs, type ShapeFlags, compileArgsFromFlags, shapeFlags, flagOfOption } from './commands/compile-spec.js';
export { runCompile, formatCompileSummary } from './commands/compile.js';
export { loadModuleSource } from './module-source.js';
export { MEASURE_SPEC, runMeasure } from './commands/measure.js';
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
export { formatReport } from './report.js';
export { PHASES, type Phase, type ProgressMode, Progress } from './progress.js';
export { CLI_VERSION } from './version.js';
