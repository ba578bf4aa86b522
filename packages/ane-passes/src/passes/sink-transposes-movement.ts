/**
 * The data-movement patterns of `sink-transposes`: a transpose moves below pad, slice,
 * expand_dims, squeeze, reshapes that only add or drop size-1 axes, and concat (when every
 * input is transposed by the same perm). The op is rewritten for the untransposed operand
 * (amounts, bounds and axes permuted) and one transpose follows it.
 * @module
 */
import type { Dim, Op, Value } from '@fastvlm/graph';
import type { RewriteBuilder } from '../rewrite/builder.js';
import { type Match, type RewritePattern, capture, op, pattern } from '../rewrite/index.js';
import { invertPerm, isIdentityPerm, passthrough, permOf } from './util.js';

const transposeOf = (name: string, as: string) => op('transpose', { x: capture(name) }, { as, singleUse: true });

/** `a + rank` for a negative axis. */
const normAxis = (a: number, rank: number): number => (a < 0 ? a + rank : a);

/** `transpose(r, perm)`, or `r` itself when `perm` is the identity. */
function transposed(b: RewriteBuilder, r: Value, perm: readonly number[]): Value {
  return isIdentityPerm(perm) ? r : b.op('transpose', { x: r }, { perm: [...perm] }, 'transpose');
}

/**
 * The perm that follows `expand_dims(a, axes)` when `perm` followed `a`: the new unit axes stay
 * in place, the other axes are permuted as before (renumbered around the unit axes).
 */
function expandPerm(perm: readonly number[], axes: readonly number[]): number[] {
  const rank = perm.length + axes.length;
  const unit = new Set(axes);
  const kept: number[] = [];
  for (let j = 0; j < rank; j++) if (!unit.has(j)) kept.push(j);
  const out = Array.from({ length: rank }, (_, j) => j);
  perm.forEach((p, i) => (out[kept[i]!] = kept[p]!));
  return out;
}

/**
 * The axes of `a` and the perm that follows `squeeze(a, ...)` when `perm` followed `a` and the
 * axes `drop` (of the transposed value) are squeezed.
 */
function squeezePerm(perm: readonly number[], drop: ReadonlySet<number>): { axes: number[]; perm: number[] } {
  const axes = [...drop].map((i) => perm[i]!).sort((x, y) => x - y);
  const gone = new Set(axes);
  const rankOf = new Map<number, number>();
  for (let j = 0, r = 0; j < perm.length; j++) if (!gone.has(j)) rankOf.set(j, r++);
  const out: number[] = [];
  perm.forEach((p, i) => {
    if (!drop.has(i)) out.push(rankOf.get(p)!);
  });
  return { axes, perm: out };
}

/** The dims of `s` other than 1 (symbols are never 1). */
const nonUnit = (s: readonly Dim[]): Dim[] => s.filter((d) => d !== 1);

/**
 * For `reshape(transpose(a, perm))` to shape `to`, where the reshape only adds or drops size-1
 * axes: the shape `a` is reshaped to (the size-1 axes of `to` in place, the other dims of `a`
 * in their order) and the perm that follows it.
 */
function unitReshapePlan(aShape: readonly Dim[], perm: readonly number[], to: readonly Dim[]): { shape: Dim[]; perm: number[] } {
  const aAxes = aShape.flatMap((d, j) => (d === 1 ? [] : [j]));
  const rankInA = new Map(aAxes.map((j, r) => [j, r] as const));
  // The non-unit axes of the transposed value, in order, as ranks among a's non-unit axes.
  const order = perm.filter((p) => aShape[p] !== 1).map((p) => rankInA.get(p)!);
  const slots = to.flatMap((d, j) => (d === 1 ? [] : [j]));
  const shape: Dim[] = to.map(() => 1);
  slots.forEach((j, r) => (shape[j] = aShape[aAxes[r]!]!));
  const out = to.map((_, j) => j);
  slots.forEach((j, k) => (out[j] = slots[order[k]!]!));
  return { shape, perm: out };
}

const sameDims = (x: readonly Dim[], y: readonly Dim[]): boolean => x.length === y.length && x.every((d, i) => d === y[i]);

/** True when every use of `v` is in `root` and `v` is not a function output. */
function onlyFeeds(m: Match, v: Value, root: Op): boolean {
  if (m.editor.isOutput(v)) return false;
  const users = m.editor.users(v);
  return users.length === 1 && users[0] === root;
}

/** The transposes feeding every input of a concat, when they all have the same perm. */
function concatTransposes(m: Match): Op[] | undefined {
  const values = m.root.inputs['values'] as readonly Value[];
  const ops: Op[] = [];
  for (const v of values) {
    const t = v.producer;
    if (t?.kind !== 'transpose' || !onlyFeeds(m, v, m.root)) return undefined;
    ops.push(t);
  }
  const perm = permOf(ops[0]!).join();
  return ops.every((t) => permOf(t).join() === perm) ? ops : undefined;
}

/** The patterns of `sink-transposes` for data-movement ops. */
export const SINK_MOVEMENT_PATTERNS: readonly RewritePattern[] = [
  pattern({
    name: 'pad-of-transpose',
    root: op('pad', { x: transposeOf('a', 't') }),
    rewrite: (m, b) => {
      const perm = permOf(m.op('t'));
      const rank = perm.length;
      const pad = m.root.attrs['pad'] as readonly number[];
      const k = pad.length / 2;
      // [before, after] of every axis of the transposed value, then of `a`: axis perm[i] of a is axis i.
      const amounts = Array.from({ length: rank }, (_, i) => (i < rank - k ? [0, 0] : [pad[2 * (i - rank + k)]!, pad[2 * (i - rank + k) + 1]!]));
      const moved: number[][] = new Array<number[]>(rank);
      perm.forEach((p, i) => (moved[p] = amounts[i]!));
      // Leading unpadded axes are left out, as MIL writes pads (one pair at least).
      let first = 0;
      while (first < rank - 1 && moved[first]![0] === 0 && moved[first]![1] === 0) first++;
      const r = b.op('pad', { x: m.value('a') }, { ...m.root.attrs, pad: moved.slice(first).flat() }, 'pad');
      return transposed(b, r, perm);
    },
  }),
  pattern({
    name: 'slice-of-transpose',
    root: op('slice', { x: transposeOf('a', 't') }),
    rewrite: (m, b) => {
      const perm = permOf(m.op('t'));
      const inv = invertPerm(perm);
      const attrs = m.root.attrs;
      const permute = (name: string): number[] | undefined => {
        const v = attrs[name] as readonly number[] | undefined;
        return v === undefined ? undefined : inv.map((i) => v[i]!);
      };
      const strides = permute('strides');
      const r = b.op('slice', { x: m.value('a') }, { begin: permute('begin')!, end: permute('end')!, ...(strides ? { strides } : {}) }, 'slice');
      return transposed(b, r, perm);
    },
  }),
  pattern({
    name: 'expand_dims-of-transpose',
    root: op('expand_dims', { x: transposeOf('a', 't') }),
    rewrite: (m, b) => {
      const perm = permOf(m.op('t'));
      const rank = m.root.outputs[0]!.type.shape.length;
      const axes = (m.root.attrs['axes'] as readonly number[]).map((a) => normAxis(a, rank)).sort((x, y) => x - y);
      const r = b.op('expand_dims', { x: m.value('a') }, { axes }, 'expand_dims');
      return transposed(b, r, expandPerm(perm, axes));
    },
  }),
  pattern({
    name: 'squeeze-of-transpose',
    root: op('squeeze', { x: transposeOf('a', 't') }),
    rewrite: (m, b) => {
      const perm = permOf(m.op('t'));
      const shape = m.value('a').type.shape;
      const given = m.root.attrs['axes'] as readonly number[] | undefined;
      // Without axes squeeze drops every size-1 axis of the transposed value.
      const drop = new Set(given ? given.map((a) => normAxis(a, perm.length)) : perm.flatMap((p, i) => (shape[p] === 1 ? [i] : [])));
      if (drop.size === 0) return null;
      const plan = squeezePerm(perm, drop);
      const r = b.op('squeeze', { x: m.value('a') }, { axes: plan.axes }, 'squeeze');
      return transposed(b, r, plan.perm);
    },
  }),
  pattern({
    name: 'unit-reshape-of-transpose',
    root: op('reshape', { x: transposeOf('a', 't') }),
    where: (m) => sameDims(nonUnit(m.op('t').outputs[0]!.type.shape), nonUnit(m.root.outputs[0]!.type.shape)),
    rewrite: (m, b) => {
      const a = m.value('a');
      const plan = unitReshapePlan(a.type.shape, permOf(m.op('t')), m.root.outputs[0]!.type.shape);
      const r = sameDims(plan.shape, a.type.shape) ? a : b.op('reshape', { x: a }, { shape: plan.shape }, 'reshape');
      return isIdentityPerm(plan.perm) ? passthrough(m, b, r) : transposed(b, r, plan.perm);
    },
  }),
  pattern({
    name: 'concat-of-transposes',
    root: op('concat'),
    where: (m) => concatTransposes(m) !== undefined,
    rewrite: (m, b) => {
      const ts = concatTransposes(m)!;
      const perm = permOf(ts[0]!);
      const axis = perm[normAxis(m.root.attrs['axis'] as number, perm.length)]!;
      const r = b.op('concat', { values: ts.map((t) => t.inputs['x'] as Value) }, { axis }, 'concat');
      return transposed(b, r, perm);
    },
  }),
];
