/**
 * Axis-set helpers shared by reductions, softmax and the norms: resolving an `axes` attribute
 * and mapping every element of a tensor to the group (the slice over the reduced axes) it
 * belongs to.
 * @module
 */
import { graphError } from '../../errors.js';
import type { Dim, Shape, StaticShape } from '../../shape.js';
import { stridesOf } from '../../shape.js';
import { stridedOffsets } from './broadcast-index.js';

/**
 * Normalizes an `axes` attribute against `rank`: negative axes count from the end; the result is
 * sorted ascending. `undefined` means every axis. Throws `E_ATTR` for an out-of-range or
 * repeated axis.
 */
export function resolveAxes(axes: readonly number[] | undefined, rank: number, what = 'axes'): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const seen = new Set<number>();
  for (const a of axes) {
    const n = a < 0 ? a + rank : a;
    if (!Number.isInteger(n) || n < 0 || n >= rank) {
      throw graphError('E_ATTR', `${what} [${axes.join(', ')}] has axis ${a}, out of range for rank ${rank} (expected -${rank}..${rank - 1})`);
    }
    if (seen.has(n)) throw graphError('E_ATTR', `${what} [${axes.join(', ')}] names axis ${n} more than once`);
    seen.add(n);
  }
  return [...seen].sort((p, q) => p - q);
}

/** `shape` with the given (normalized) axes set to 1 (`keep`) or removed. */
export function reducedShape(shape: Shape, axes: readonly number[], keep: boolean): Dim[] {
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

/** The dims of `shape` at the (sorted) `axes`: the shape of a per-axes parameter like `gamma`. */
export function shapeAtAxes(shape: Shape, axes: readonly number[]): Dim[] {
  return axes.map((a) => shape[a]!);
}

/** How the elements of a tensor split into groups over a set of reduced axes. */
export interface AxisGroups {
  /** For each element (row-major), the index of its group. */
  readonly groupOf: Uint32Array;
  /** Number of groups: the element count of the kept axes. */
  readonly groups: number;
  /** Elements per group: the element count of the reduced axes. */
  readonly groupSize: number;
}

/**
 * Groups the elements of a tensor of `shape` by their coordinates on the axes NOT in `axes`
 * (sorted, normalized). Group indices are row-major over the kept axes, so group `g` is element
 * `g` of the reduction's output.
 */
export function axisGroups(shape: StaticShape, axes: readonly number[]): AxisGroups {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const st = stridesOf(kept).map((s, i) => (axes.includes(i) ? 0 : s));
  let groups = 1;
  let groupSize = 1;
  shape.forEach((d, i) => {
    if (axes.includes(i)) groupSize *= d;
    else groups *= d;
  });
  return { groupOf: stridedOffsets(shape, st), groups, groupSize };
}

/**
 * For each element of a tensor of `shape`, the flat index of its coordinates on `axes` (sorted)
 * inside a tensor shaped {@link shapeAtAxes}: where a per-axes parameter (`gamma`) is read.
 */
export function axesOffsets(shape: StaticShape, axes: readonly number[]): Uint32Array {
  const st = new Array<number>(shape.length).fill(0);
  let acc = 1;
  for (let k = axes.length - 1; k >= 0; k--) {
    const a = axes[k]!;
    st[a] = acc;
    acc *= shape[a]!;
  }
  return stridedOffsets(shape, st);
}
