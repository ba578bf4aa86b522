/**
 * compressed-constant ops. (Filled in by its owner.)
 * @module
 */
import type { OpDef } from './def.js';

export const compressedOps: OpDef[] = [];
