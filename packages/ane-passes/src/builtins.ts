/**
 * The built-in passes, by name, and the registry holding them.
 * @module
 */
import type { PartialOptionsOf } from './options.js';
import { assignLayout } from './passes/assign-layout.js';
import { cancelReshapes } from './passes/cancel-reshapes.js';
import { cancelTransposes } from './passes/cancel-transposes.js';
import { chunkAttention } from './passes/chunk-attention.js';
import { eliminateCommonSubexpressions } from './passes/eliminate-common-subexpressions.js';
import { eliminateDeadCode } from './passes/eliminate-dead-code.js';
import { foldLayoutChains } from './passes/fold-layout-chains.js';
import { foldConstants } from './passes/fold-constants.js';
import { fuseBatchnormIntoConv } from './passes/fuse-batchnorm-into-conv.js';
import { fuseConvBias } from './passes/fuse-conv-bias.js';
import { fuseGelu } from './passes/fuse-gelu.js';
import { fuseLayerNorm } from './passes/fuse-layer-norm.js';
import { fuseSilu } from './passes/fuse-silu.js';
import { linearToConv } from './passes/linear-to-conv.js';
import { removeNoops } from './passes/remove-noops.js';
import { rmsNormForAne } from './passes/rms-norm-for-ane.js';
import { sinkTransposes } from './passes/sink-transposes.js';
import { splitWideOps } from './passes/split-wide-ops.js';
import { toFp16 } from './passes/to-fp16.js';
import { palettizeWeights } from './compress/palettize-pass.js';
import { quantizeWeights } from './compress/quantize-pass.js';
import type { AnyPass } from './pass.js';
import { PassRegistry } from './registry.js';

/** Every built-in pass by name. */
export const BUILTIN_PASSES = {
  'fold-constants': foldConstants,
  'eliminate-dead-code': eliminateDeadCode,
  'eliminate-common-subexpressions': eliminateCommonSubexpressions,
  'remove-noops': removeNoops,
  'cancel-transposes': cancelTransposes,
  'cancel-reshapes': cancelReshapes,
  'fold-layout-chains': foldLayoutChains,
  'sink-transposes': sinkTransposes,
  'fuse-batchnorm-into-conv': fuseBatchnormIntoConv,
  'fuse-conv-bias': fuseConvBias,
  'fuse-gelu': fuseGelu,
  'fuse-silu': fuseSilu,
  'fuse-layer-norm': fuseLayerNorm,
  'linear-to-conv': linearToConv,
  'assign-layout': assignLayout,
  'split-wide-ops': splitWideOps,
  'chunk-attention': chunkAttention,
  'rms-norm-for-ane': rmsNormForAne,
  'to-fp16': toFp16,
  'palettize-weights': palettizeWeights,
  'quantize-weights': quantizeWeights,
} as const;

/** The name of a built-in pass. */
export type BuiltinPassName = keyof typeof BUILTIN_PASSES;

/** The options a caller may give a built-in pass. */
export type BuiltinPassOptions<N extends BuiltinPassName> = PartialOptionsOf<(typeof BUILTIN_PASSES)[N]['options']>;

/** The registry of built-in passes (PassManager's default). Extend a clone for custom passes. */
export const builtinRegistry: PassRegistry = new PassRegistry(Object.values(BUILTIN_PASSES) as AnyPass[]);
