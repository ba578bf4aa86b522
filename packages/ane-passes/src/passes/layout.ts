/**
 * Layouts for `assign-layout`: where each logical axis of a value lives physically.
 *
 * A layout of a value of logical rank r lists, for each physical axis, the logical axis stored
 * there, or -1 for an extra axis of size 1. `[0, 2, -1, 1]` stores a (B, S, C) tensor as
 * (B, C, 1, S). Every logical axis appears exactly once.
 * @module
 */
import type { Dim } from '@fastvlm/graph';

/** A layout (see the module doc). */
export type Layout = readonly number[];

/** The layout targets `assign-layout` knows. */
export type LayoutTarget = 'ane' | 'nhwc';

/** The logical layout of rank r: [0, 1, ..., r-1]. */
export function identityLayout(r: number): Layout {
  return [...Array(r).keys()];
}

/** A stable string key of a layout. */
export function layoutKey(l: Layout): string {
  return l.join(',');
}

/** True when `l` is the logical layout. */
export function isIdentity(l: Layout): boolean {
  return l.every((a, i) => a === i);
}

/**
 * The preferred layout of the target for a logical rank:
 * - `ane`: rank 3 (B, S, C) -> (B, C, 1, S); other ranks (4-D NCHW included) stay as they are;
 * - `nhwc`: rank 4 (N, C, H, W) -> (N, H, W, C); other ranks stay.
 */
export function targetLayout(target: LayoutTarget, r: number): Layout {
  if (target === 'ane' && r === 3) return [0, 2, -1, 1];
  if (target === 'nhwc' && r === 4) return [0, 2, 3, 1];
  return identityLayout(r);
}

/** The physical shape of a logical shape in a layout. */
export function physicalShape(l: Layout, shape: readonly Dim[]): Dim[] {
  return l.map((a) => (a < 0 ? 1 : shape[a]!));
}

/** Physical position of logical axis a. */
export function position(l: Layout, a: number): number {
  return l.indexOf(a);
}

/** The layout after `transpose(x, perm)` when the physical data is unchanged. */
export function transposeLayout(l: Layout, perm: readonly number[]): Layout {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return l.map((a) => (a < 0 ? a : inv[a]!));
}

/** The layout after removing logical axes `axes` (they become unit slots). */
export function squeezeLayout(l: Layout, axes: readonly number[]): Layout {
  const gone = new Set(axes);
  return l.map((a) => (a < 0 || gone.has(a) ? -1 : a - axes.filter((x) => x < a).length));
}

/** The layout after removing logical axes `axes` together with their physical axes (reductions). */
export function dropLayout(l: Layout, axes: readonly number[]): Layout {
  const gone = new Set(axes);
  return l.filter((a) => !gone.has(a)).map((a) => (a < 0 ? a : a - axes.filter((x) => x < a).length));
}
