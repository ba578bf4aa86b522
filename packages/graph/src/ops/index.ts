/**
 * Registers every built-in op. Importing this module (the package entry does) fills the
 * registry; each family file holds the definitions of one group of ops.
 * @module
 */
import { constOp } from './const.js';
import { activationOps } from './activation.js';
import { convOps } from './conv.js';
import { elementwiseOps } from './elementwise.js';
import { generateOps } from './generate.js';
import { linalgOps } from './linalg.js';
import { normOps } from './norm.js';
import { reduceOps } from './reduce.js';
import { registerOps } from './registry.js';
import { shapeOpsOps } from './shape-ops.js';
import { compressedOps } from './compressed.js';

registerOps(constOp, ...elementwiseOps, ...activationOps, ...linalgOps, ...convOps, ...normOps, ...reduceOps, ...shapeOpsOps, ...generateOps, ...compressedOps);

export { allOps, getOp, hasOp, registerOps } from './registry.js';
export type * from './def.js';
export { LAYOUT_TRAITS } from './def.js';
export { checkOp, resolveAttrs, describeInputs, fmtType } from './validate.js';
