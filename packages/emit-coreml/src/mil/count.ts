/**
 * Counting the operations of an ML program, the one way `compile` and `inspect` report them:
 * per function, the block of its opset (the specialization Core ML runs), with the ops of nested
 * blocks (control-flow bodies) counted too.
 * @module
 */
import type { CoreMLModel } from '../proto/model-types.js';
import type { MilBlock, MilFunction } from '../proto/mil-types.js';

/** An op without a `type` counts as this. */
const UNTYPED = '?';

function addBlock(block: MilBlock | undefined, counts: Map<string, number>): void {
  for (const op of block?.operations ?? []) {
    const type = op.type ?? UNTYPED;
    counts.set(type, (counts.get(type) ?? 0) + 1);
    for (const nested of op.blocks ?? []) addBlock(nested, counts);
  }
}

/** Op counts by type of `block` and its nested blocks, in type order. */
export function countMilOps(block: MilBlock | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  addBlock(block, counts);
  return new Map([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Op counts by type of a function: its opset's block, nested blocks included (empty without one). */
export function milFunctionOpCounts(fn: MilFunction): Map<string, number> {
  return countMilOps(fn.opset !== undefined ? fn.blockSpecializations?.[fn.opset] : undefined);
}

/** Operations of a model's ML program, over all functions (see {@link milFunctionOpCounts}). */
export interface MilOpTotals {
  /** Operations other than `const`. */
  readonly ops: number;
  /** `const` operations. */
  readonly consts: number;
}

/** The op totals of every function of `model` (zero for a model without an ML program). */
export function milOpTotals(model: CoreMLModel): MilOpTotals {
  let ops = 0;
  let consts = 0;
  for (const fn of Object.values(model.mlProgram?.functions ?? {})) {
    for (const [type, n] of milFunctionOpCounts(fn)) {
      if (type === 'const') consts += n;
      else ops += n;
    }
  }
  return { ops, consts };
}
