/**
 * `einsum` lowering. Core ML's MIL `einsum` runs exactly one form (up to renaming the letters):
 * rank 4 `nchw,nwhu->nchu` or rank 3 `chw,whr->chr`, with size-1 broadcasting only on n and h.
 * Apple's attention product `bchq,bkhc->bkhq` is that form with the operands swapped, so both
 * operand orders are tried. Every other equation becomes: reduce_sum of letters only one operand
 * has, transposes to [batch, free, contracted] / [batch, contracted, free], reshapes merging each
 * group, one batched matmul, and a reshape + transpose to the output order.
 * @module
 */
import type { Dim, TensorType } from '@fastvlm/graph';
import type { LoweringContext, MilVal, OutSlot } from '../context.js';

/** A parsed equation: letters of the two operands and of the output. */
export interface Equation {
  readonly a: string;
  readonly b: string;
  readonly out: string;
}

/** Splits `A,B->C` (the IR validated it already). */
export function parseEquation(eq: string): Equation {
  const [lhs = '', out = ''] = eq.replace(/\s+/g, '').split('->');
  const [a = '', b = ''] = lhs.split(',');
  return { a, b, out };
}

/** Renumbers letters by first appearance, as coremltools' `parse_einsum_equation` does. */
function numbering(e: Equation): [number[], number[], number[]] {
  const ids = new Map<string, number>();
  const id = (c: string): number => {
    let v = ids.get(c);
    if (v === undefined) ids.set(c, (v = ids.size));
    return v;
  };
  const a = [...e.a].map(id), b = [...e.b].map(id), o = [...e.out].map(id);
  return [a, b, o];
}

function same(x: readonly number[], y: readonly number[]): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** True when `e` (operands in this order) is the form MIL `einsum` accepts, shapes included. */
export function isNativeForm(e: Equation, xs: readonly Dim[], ys: readonly Dim[]): boolean {
  const [a, b, o] = numbering(e);
  const rank4 = same(a, [0, 1, 2, 3]) && same(b, [0, 3, 2, 4]) && same(o, [0, 1, 2, 4]);
  const rank3 = same(a, [0, 1, 2]) && same(b, [2, 1, 3]) && same(o, [0, 1, 3]);
  if (!rank4 && !rank3) return false;
  const r = xs.length;
  if (ys.length !== r) return false;
  // The contracted size must match exactly; n and h may broadcast from 1.
  if (xs[r - 1] !== ys[r - 3]) return false;
  const bc = (p: Dim, q: Dim): boolean => p === q || p === 1 || q === 1;
  if (!bc(xs[r - 2]!, ys[r - 2]!)) return false;
  if (r === 4 && !bc(xs[0]!, ys[0]!)) return false;
  return true;
}

/** The MIL einsum operands and equation when the op can run natively, else undefined. */
export function nativeEinsum(e: Equation, xs: readonly Dim[], ys: readonly Dim[]): { swap: boolean; equation: string } | undefined {
  if (isNativeForm(e, xs, ys)) return { swap: false, equation: `${e.a},${e.b}->${e.out}` };
  const swapped = { a: e.b, b: e.a, out: e.out };
  if (isNativeForm(swapped, ys, xs)) return { swap: true, equation: `${swapped.a},${swapped.b}->${e.out}` };
  return undefined;
}

function prod(ds: readonly Dim[]): Dim {
  if (ds.length === 1) return ds[0]!;
  let n = 1;
  for (const d of ds) {
    if (typeof d !== 'number') return 'sym';
    n *= d;
  }
  return n;
}

function bcast(p: Dim, q: Dim): Dim {
  return p === 1 ? q : p;
}

/** Lowers the IR `einsum` op. */
export function lowerEinsum(cx: LoweringContext): void {
  const [x, y] = cx.inputList('values') as [MilVal, MilVal];
  const e = parseEquation(cx.attr<string>('equation'));
  const native = nativeEinsum(e, x.type.shape, y.type.shape);
  if (native) {
    const values = native.swap ? [y, x] : [x, y];
    cx.emit1('einsum', { values, equation: cx.str('equation', native.equation) }, cx.out());
    return;
  }
  decompose(cx, e, x, y);
}

function decompose(cx: LoweringContext, e: Equation, x0: MilVal, y0: MilVal): void {
  const dtype = x0.type.dtype;
  const type = (shape: readonly Dim[]): TensorType => ({ dtype, shape: [...shape] });
  let a = e.a, b = e.b;
  let x = x0, y = y0;
  const sizeA = (c: string): Dim => x.type.shape[a.indexOf(c)]!;
  const sizeB = (c: string): Dim => y.type.shape[b.indexOf(c)]!;

  // 1. Letters of one operand that are neither in the other nor in the output: sum them out.
  const sumOut = (v: MilVal, term: string, other: string, tag: string): [MilVal, string] => {
    const axes = [...term].flatMap((c, i) => (!other.includes(c) && !e.out.includes(c) ? [i] : []));
    if (axes.length === 0) return [v, term];
    const kept = [...term].filter((_, i) => !axes.includes(i)).join('');
    const shape = v.type.shape.filter((_, i) => !axes.includes(i));
    const r = cx.emit1('reduce_sum', { x: v, axes: cx.int32s(`${tag}_sum_axes`, axes), keep_dims: cx.bool(`${tag}_sum_keep`, false) }, cx.temp(`${tag}_summed`, type(shape)));
    return [r, kept];
  };
  [x, a] = sumOut(x, a, b, 'a');
  [y, b] = sumOut(y, b, a, 'b');

  // 2. Contracted letters broadcast from size 1 on one side: sum the other side over them first.
  const contracted = [...a].filter((c) => b.includes(c) && !e.out.includes(c));
  const keepSum = (v: MilVal, term: string, letters: readonly string[], tag: string): MilVal => {
    const axes = letters.map((c) => term.indexOf(c));
    if (axes.length === 0) return v;
    const shape = v.type.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return cx.emit1('reduce_sum', { x: v, axes: cx.int32s(`${tag}_bsum_axes`, axes), keep_dims: cx.bool(`${tag}_bsum_keep`, true) }, cx.temp(`${tag}_bsummed`, type(shape)));
  };
  x = keepSum(x, a, contracted.filter((c) => sizeA(c) !== 1 && sizeB(c) === 1), 'a');
  y = keepSum(y, b, contracted.filter((c) => sizeB(c) !== 1 && sizeA(c) === 1), 'b');

  // 3. Letter groups, in output order where they appear there.
  const batch = [...e.out].filter((c) => a.includes(c) && b.includes(c));
  const left = [...e.out].filter((c) => a.includes(c) && !b.includes(c));
  const right = [...e.out].filter((c) => b.includes(c) && !a.includes(c));
  const K = contracted;

  const permute = (v: MilVal, term: string, order: readonly string[], tag: string): MilVal => {
    const perm = order.map((c) => term.indexOf(c));
    if (perm.every((p, i) => p === i)) return v;
    return cx.emit1('transpose', { x: v, perm: cx.int32s(`${tag}_perm`, perm) }, cx.temp(`${tag}_t`, type(perm.map((p) => v.type.shape[p]!))));
  };
  const reshapeTo = (v: MilVal, shape: readonly Dim[], tag: string, slot?: OutSlot): MilVal => {
    if (!slot && shape.length === v.type.shape.length && shape.every((d, i) => d === v.type.shape[i])) return v;
    const s = cx.staticShape(type(shape), `einsum '${cx.attr<string>('equation')}' intermediate ${tag}`);
    return cx.emit1('reshape', { x: v, shape: cx.int32s(`${tag}_shape`, s) }, slot ?? cx.temp(`${tag}_r`, type(s)));
  };

  // An operand already laid out as [batch, contracted, free] (A) or [batch, free, contracted] (B)
  // needs no transpose: matmul's transpose_x / transpose_y flag swaps the last two groups.
  const isOrder = (term: string, order: readonly string[]): boolean => term === order.join('');
  const tx = !isOrder(a, [...batch, ...left, ...K]) && isOrder(a, [...batch, ...K, ...left]);
  const ty = !isOrder(b, [...batch, ...K, ...right]) && isOrder(b, [...batch, ...right, ...K]);
  const xa = tx ? x : permute(x, a, [...batch, ...left, ...K], 'a');
  const yb = ty ? y : permute(y, b, [...batch, ...K, ...right], 'b');
  const aGroups = tx ? [K, left] : [left, K];
  const bGroups = ty ? [right, K] : [K, right];
  const xm = reshapeTo(xa, [...batch.map(sizeA), prod(aGroups[0]!.map(sizeA)), prod(aGroups[1]!.map(sizeA))], 'a');
  const ym = reshapeTo(yb, [...batch.map(sizeB), prod(bGroups[0]!.map(sizeB)), prod(bGroups[1]!.map(sizeB))], 'b');

  // 4. matmul, then back to the output letters.
  const batchOut = batch.map((c) => bcast(sizeA(c), sizeB(c)));
  const mmShape = [...batchOut, prod(left.map(sizeA)), prod(right.map(sizeB))];
  const splitShape = [...batchOut, ...left.map(sizeA), ...right.map(sizeB)];
  const order = [...batch, ...left, ...right];
  const perm = [...e.out].map((c) => order.indexOf(c));
  const needReshape = !(splitShape.length === mmShape.length && splitShape.every((d, i) => d === mmShape[i]));
  const needTranspose = !perm.every((p, i) => p === i);
  const mm = cx.emit1(
    'matmul',
    { x: xm, y: ym, transpose_x: cx.bool('transpose_x', tx), transpose_y: cx.bool('transpose_y', ty) },
    needReshape || needTranspose ? cx.temp('matmul', type(mmShape)) : cx.out(),
  );
  const split = needReshape ? reshapeTo(mm, splitShape, 'out', needTranspose ? undefined : cx.out()) : mm;
  if (needTranspose) cx.emit1('transpose', { x: split, perm: cx.int32s('out_perm', perm) }, cx.out());
}
