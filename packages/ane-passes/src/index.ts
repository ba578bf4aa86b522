/**
 * @fastvlm/ane-passes: the pass API, the PassManager, declarative rewrites and the passes
 * that shape a FastVLM program for the Apple Neural Engine.
 * @packageDocumentation
 */
export { PassErrorCodes, type PassErrorCode, type PassErrorOptions, passError } from './errors.js';
export * from './options.js';
export { type Pass, type AnyPass, type PassContext, definePass, PASS_NAME_RE } from './pass.js';
export { PassRegistry } from './registry.js';
export {
  PassManager,
  type PassManagerOptions,
  type RunOptions,
  type PipelineResult,
  type PipelineStep,
  type PassStats,
  runPass,
  formatStats,
  isolateProgram,
} from './manager.js';
export { type NumericCheckOptions, type Tolerance, DEFAULT_TOLERANCE, seededInputs } from './numeric.js';
export { PRESETS, type PresetName, type PresetDefinition } from './presets.js';
export { BUILTIN_PASSES, type BuiltinPassName, type BuiltinPassOptions, builtinRegistry } from './builtins.js';
export * from './rewrite/index.js';
export { FunctionEditor, sameType, type CreateOptions, type ReplaceResult } from './ir/editor.js';
export { constInfo, isConst, readConst, splatOf, addComputedWeight, constReader, type ConstInfo } from './ir/consts.js';
export { type Derivation, type DerivationParam, derivationKey, addDerivedWeight, findDerivedWeight, deriveConst } from './ir/derive.js';
export { foldConstants } from './passes/fold-constants.js';
export { eliminateDeadCode } from './passes/eliminate-dead-code.js';
export { eliminateCommonSubexpressions } from './passes/eliminate-common-subexpressions.js';
export { removeNoops } from './passes/remove-noops.js';
export { cancelTransposes } from './passes/cancel-transposes.js';
export { cancelReshapes } from './passes/cancel-reshapes.js';
export { foldLayoutChains, foldLayoutSteps, type LayoutStep, type ChainFold } from './passes/fold-layout-chains.js';
export { sinkTransposes } from './passes/sink-transposes.js';
export { fuseBatchnormIntoConv } from './passes/fuse-batchnorm-into-conv.js';
export { fuseConvBias } from './passes/fuse-conv-bias.js';
export { fuseGelu } from './passes/fuse-gelu.js';
export { fuseSilu } from './passes/fuse-silu.js';
export { fuseLayerNorm } from './passes/fuse-layer-norm.js';
export { linearToConv } from './passes/linear-to-conv.js';
export { assignLayout } from './passes/assign-layout.js';
export { type Layout, type LayoutTarget, targetLayout } from './passes/layout.js';
export { splitWideOps, chunkSizes, type SplitWideOptions } from './passes/split-wide-ops.js';
export { chunkAttention } from './passes/chunk-attention.js';
export { rmsNormForAne } from './passes/rms-norm-for-ane.js';
export { toFp16 } from './passes/to-fp16.js';
export * from './compress/index.js';
export * from './measure/index.js';
export * from './analysis/index.js';
