/**
 * Every op mapping, by IR op kind: one small table per op family.
 * @module
 */
import { activationLowerings } from './activation.js';
import { compressedLowerings } from './compressed.js';
import { constLowerings } from './const.js';
import { convLowerings } from './conv.js';
import { elementwiseLowerings } from './elementwise.js';
import { generateLowerings } from './generate.js';
import { linalgLowerings } from './linalg.js';
import { normLowerings } from './norm.js';
import { reduceLowerings } from './reduce.js';
import { shapeLowerings } from './shape.js';
import type { LoweringTable } from './types.js';

/** IR op kind -> its MIL lowering. */
export const LOWERINGS: LoweringTable = {
  ...constLowerings,
  ...elementwiseLowerings,
  ...activationLowerings,
  ...reduceLowerings,
  ...normLowerings,
  ...linalgLowerings,
  ...convLowerings,
  ...shapeLowerings,
  ...generateLowerings,
  ...compressedLowerings,
};

/** True when `kind` has a lowering. */
export function hasLowering(kind: string): boolean {
  return Object.prototype.hasOwnProperty.call(LOWERINGS, kind);
}

export type { LoweringTable, OpLowering } from './types.js';
