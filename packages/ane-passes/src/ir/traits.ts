/**
 * The op traits passes read (declared once, in each op's definition: see `OpTraits` in
 * @fastvlm/graph and docs/ops.md), so no pass keeps a kind list of its own. An op kind that is
 * not registered (a pattern naming a kind no program can hold) has no traits: every check is
 * false for it.
 * @module
 */
import { type LayoutTrait, allOps, getOp, hasOp } from '@fastvlm/graph';

/** The layout trait of `kind`, or undefined for an unregistered kind. */
export function layoutTrait(kind: string): LayoutTrait | undefined {
  return hasOp(kind) ? getOp(kind).traits.layout : undefined;
}

/** True when `op(x, y) = op(y, x)` for `kind`. */
export function isCommutative(kind: string): boolean {
  return hasOp(kind) && getOp(kind).traits.commutative;
}

/** True for ops that only move data: a permutation of axes or a re-view of the same elements. */
export function isDataMovement(kind: string): boolean {
  const l = layoutTrait(kind);
  return l === 'reshape' || l === 'permute';
}

/**
 * The registered elementwise ops whose tensor inputs are exactly `inputs` (in order), sorted by
 * name: `['x']` gives the unary ones (relu, exp, cast...), `['x', 'y']` the binary ones.
 */
export function elementwiseKinds(inputs: readonly string[]): string[] {
  return allOps()
    .filter((d) => d.traits.layout === 'elementwise' && d.inputs.length === inputs.length && d.inputs.every((s, i) => s.name === inputs[i]))
    .map((d) => d.name);
}
