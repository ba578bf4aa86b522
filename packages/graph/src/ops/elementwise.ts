/**
 * elementwise ops. (Filled in by its owner.)
 * @module
 */
import type { OpDef } from './def.js';

export const elementwiseOps: OpDef[] = [];
