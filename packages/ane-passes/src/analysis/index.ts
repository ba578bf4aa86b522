/**
 * The ANE analysis: a rule checker (rules as data), compute-unit placement with segments, and a
 * latency cost model on device profiles whose parameters live in one data file with provenance.
 * It reads the IR only, so it judges DSL programs, lifted .mlpackage files and imported models.
 * ```ts
 * import { analyzeProgram, formatAnalysis } from '@fastvlm/ane-passes';
 * const report = analyzeProgram(program, { device: 'a17pro' });
 * console.log(formatAnalysis(report));
 * ```
 * @module
 */
export { ANE_RULES, type AneRule, type AneRuleId, type Severity, type FallbackUnit, type RuleScope, aneRule, renderRulesDoc } from './rules.js';
export {
  COST_MODEL,
  FITTED_PARAMETERS,
  PRIOR_PARAMETERS,
  type CostModelData,
  type CostParameters,
  type DeviceEntry,
  type DeviceModel,
  type FittedName,
  type FittedParameter,
  type PriorName,
  type Provenanced,
  costParameters,
  describeDevices,
  deviceIds,
  deviceModel,
  resolveDeviceId,
  validateCostModel,
} from './devices.js';
export { type CostFamily, type OpCost, type FunctionFacts, costedKinds, functionFacts, hasCostClass, opCost, paddedBytes, denseBytes } from './op-model.js';
export { NO_ANE_KINDS, STATE_KINDS, LIVE_OPERAND_BYTES, channelAxis, isNativeEinsum } from './check.js';
export { type FunctionPlan, type PlannedOp, type PlannedSegment, planFunction, scopeOf } from './placement.js';
export { type OpTime, type FunctionTime, opTime, functionTime, functionSeconds } from './cost.js';
export {
  DEFAULT_DEVICE,
  WEIGHT_FILE_WARN_BYTES,
  WEIGHT_FILE_MAX_BYTES,
  type AnalyzeOptions,
  analyzeProgram,
  functionReport,
  planProgram,
  programWeightBytes,
} from './analyze.js';
export {
  FIT_DIGITS,
  type CalibrationCase,
  type CalibrationRow,
  type FitOptions,
  type FitResult,
  calibrationTable,
  fitCostModel,
  fittedParameters,
  renderCostModel,
  roundSignificant,
  spearman,
  withFit,
} from './calibrate.js';
export { type FormatAnalysisOptions, formatAnalysis, formatFunction, groupFindings, scopePattern } from './format.js';
export { type AnalysisReport, type ComputeUnit, type Finding, type FunctionReport, type OpReport, type Placement, type SegmentReport, LATENCY_TOTAL_NOTE } from './types.js';
