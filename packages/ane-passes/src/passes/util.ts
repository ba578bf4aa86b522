/**
 * Helpers shared by the built-in passes.
 * @module
 */
import { type Dim, type Op, type Program, type Shape, type Value, shapeEq } from '@fastvlm/graph';
import type { Match } from '../rewrite/match.js';
import type { RewriteBuilder } from '../rewrite/builder.js';
import { FunctionEditor } from '../ir/editor.js';

/** Runs `f` on an editor of every function, committing each. */
export function editFunctions(program: Program, f: (editor: FunctionEditor) => void): void {
  for (const fn of program.functions.values()) {
    const editor = new FunctionEditor(program, fn);
    try {
      f(editor);
    } finally {
      editor.commit();
    }
  }
}

/** True when `perm` is 0, 1, ..., n-1. */
export function isIdentityPerm(perm: readonly number[]): boolean {
  return perm.every((p, i) => p === i);
}

/** The inverse permutation: inv[perm[i]] = i. */
export function invertPerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/**
 * The single permutation equal to transposing by `first` then by `second`
 * (`transpose(transpose(x, first), second) = transpose(x, c)` with `c[i] = first[second[i]]`).
 */
export function composePerms(first: readonly number[], second: readonly number[]): number[] {
  return second.map((s) => first[s]!);
}

/** Normalizes a transpose's perm attribute (negative entries allowed by some producers). */
export function permOf(op: Op): number[] {
  const perm = op.attrs.perm as readonly number[];
  const r = perm.length;
  return perm.map((p) => (p < 0 ? p + r : p));
}

/** True when every dim is a number. */
export function allStatic(s: Shape): s is readonly number[] {
  return s.every((d) => typeof d === 'number');
}

/** True when the value's type equals the op's single output type. */
export function keepsType(op: Op, v: Value): boolean {
  const o = op.outputs[0]!;
  return o.type.dtype === v.type.dtype && shapeEq(o.type.shape, v.type.shape);
}

/** Every symbolic dim of `shape` also occurs in `from` (so a reshape may name it). */
export function symbolsCovered(shape: readonly Dim[], from: readonly Dim[]): boolean {
  return shape.every((d) => typeof d === 'number' || from.includes(d));
}

/** Product of static dims (NaN when any is symbolic). */
export function staticNumel(shape: readonly Dim[]): number {
  let n = 1;
  for (const d of shape) n *= typeof d === 'number' ? d : Number.NaN;
  return n;
}

/**
 * `x` as the replacement of a matched chain that computes x itself. When the chain's result is
 * a function output that x cannot take the name of (x is a function input or another output),
 * a single same-shape reshape stands in, so the chain still shrinks to one op.
 */
export function passthrough(m: Match, b: RewriteBuilder, x: Value): Value {
  const out = m.root.outputs[0]!;
  const ed = m.editor;
  if (ed.isOutput(out) && (ed.isFunctionInput(x) || ed.isOutput(x))) return b.op('reshape', { x }, { shape: [...x.type.shape] }, 'reshape');
  return x;
}
