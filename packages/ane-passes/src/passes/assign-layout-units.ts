/**
 * Size-1 axes for `assign-layout`: which reshapes and transposes only add, drop or move them
 * (such ops cost nothing in a layout: same physical data), and which axes an op drops and adds,
 * the one computation both directions of the layout rules share.
 * @module
 */
import { type Dim, type Op, type Value, normAxis } from '@fastvlm/graph';
import { type Layout, squeezeLayout } from './layout.js';

/** Non-size-1 dims of a shape, in order (symbols count as non-1). */
function nonUnit(shape: readonly Dim[]): Dim[] {
  return shape.filter((d) => d !== 1);
}

/** Indices of the size-1 dims of a shape, ascending. */
function unitIndices(shape: readonly Dim[]): number[] {
  return shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
}

/** A reshape that only adds or removes size-1 axes. */
export function isUnitReshape(op: Op): boolean {
  const a = nonUnit((op.inputs.x as Value).type.shape);
  const b = nonUnit(op.outputs[0]!.type.shape);
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A transpose that keeps its non-size-1 axes in order: it only moves size-1 axes. */
export function isUnitTranspose(op: Op): boolean {
  const shape = (op.inputs.x as Value).type.shape;
  const perm = (op.attrs.perm as readonly number[]).map((p) => normAxis(p, shape.length)!);
  const moved = perm.filter((p) => shape[p] !== 1);
  return moved.every((p, i) => i === 0 || p > moved[i - 1]!);
}

/**
 * The size-1 axes a squeeze, expand_dims or unit reshape drops (input axes) and adds (output
 * axes), both ascending: squeeze and expand_dims name theirs, a reshape drops every size-1 axis
 * of its input and adds every one of its output.
 */
export function unitAxes(op: Op): { readonly dropped: number[]; readonly added: number[] } {
  const inShape = (op.inputs.x as Value).type.shape;
  const outShape = op.outputs[0]!.type.shape;
  const sorted = (xs: number[]): number[] => xs.sort((a, b) => a - b);
  if (op.kind === 'squeeze') {
    const given = op.attrs.axes as readonly number[] | undefined;
    return { dropped: sorted(given === undefined ? unitIndices(inShape) : given.map((a) => normAxis(a, inShape.length)!)), added: [] };
  }
  if (op.kind === 'expand_dims') return { dropped: [], added: sorted((op.attrs.axes as readonly number[]).map((a) => normAxis(a, outShape.length)!)) };
  return { dropped: unitIndices(inShape), added: unitIndices(outShape) };
}

/**
 * The layout after a unit transpose taken as a unit reshape: its size-1 axes become unit slots,
 * then fill the free unit slots in order (the other axes keep their physical places).
 */
export function regroupUnits(l: Layout, inShape: readonly Dim[], outShape: readonly Dim[]): Layout {
  let cur = squeezeLayout(l, unitIndices(inShape));
  for (const a of unitIndices(outShape)) {
    const shifted = cur.map((x0) => (x0 >= a ? x0 + 1 : x0));
    const slot = shifted.indexOf(-1);
    cur = shifted.map((x0, i) => (i === slot ? a : x0));
  }
  return cur;
}
