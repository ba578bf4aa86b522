/**
 * Shape and data-movement ops. Most map one to one with their attributes as const inputs;
 * `slice` -> MIL `slice_by_index` with Python's clamping resolved here (masks where "to the end"
 * cannot be written as an index); `reshape` writes static sizes, and a symbolic size as 0 (copy
 * the input's dim) or -1 (inferred).
 * @module
 */
import { type Dim, formatShape } from '@fastvlm/graph';
import type { LoweringContext } from '../context.js';
import type { LoweringTable } from './types.js';

/** The MIL `reshape` shape vector for an output shape (see the module doc). */
export function reshapeVector(xs: readonly Dim[], out: readonly Dim[]): number[] | undefined {
  const vec: number[] = [];
  let inferred = false;
  for (let i = 0; i < out.length; i++) {
    const d = out[i]!;
    if (typeof d === 'number') {
      vec.push(d);
    } else if (out.length === xs.length && xs[i] === d) {
      vec.push(0);
    } else {
      if (inferred) return undefined;
      inferred = true;
      vec.push(-1);
    }
  }
  return vec;
}

const reshape = (cx: LoweringContext): void => {
  const x = cx.input('x');
  const out = cx.out();
  const vec = reshapeVector(x.type.shape, out.type.shape);
  if (!vec || (vec.includes(0) && out.type.shape.some((d) => d === 0))) {
    throw cx.error('E_LOWER_SHAPE', `reshape of ${formatShape(x.type.shape)} to ${formatShape(out.type.shape)} cannot be written as a MIL shape vector (at most one size may be inferred)`);
  }
  cx.emit1('reshape', { x, shape: cx.int32s('shape', vec) }, out);
};

function normAxis(a: number, rank: number): number {
  return a < 0 ? a + rank : a;
}

/** One axis of MIL `slice_by_index`. */
interface AxisSpec {
  begin: number;
  end: number;
  stride: number;
  beginMask: boolean;
  endMask: boolean;
}

/** Resolves Python slicing on a static axis to MIL indices (see resolveAxisSlice in the IR). */
export function sliceAxis(b: number, e: number, s: number, size: Dim): AxisSpec {
  if (typeof size !== 'number') {
    // The IR allows only the whole axis on a symbolic dim.
    return { begin: 0, end: 0, stride: 1, beginMask: true, endMask: true };
  }
  const norm = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v < 0 ? v + size : v));
  if (s > 0) {
    const bb = norm(b, 0, size), ee = norm(e, 0, size);
    return ee > bb ? { begin: bb, end: ee, stride: s, beginMask: false, endMask: false } : { begin: 0, end: 0, stride: 1, beginMask: false, endMask: false };
  }
  const bb = norm(b, -1, size - 1), ee = norm(e, -1, size - 1);
  if (bb <= ee) return { begin: 0, end: 0, stride: 1, beginMask: false, endMask: false };
  // ee = -1 means "through index 0", which only end_mask can say.
  return ee === -1 ? { begin: bb, end: 0, stride: s, beginMask: false, endMask: true } : { begin: bb, end: ee, stride: s, beginMask: false, endMask: false };
}

const slice = (cx: LoweringContext): void => {
  const x = cx.input('x');
  const begin = cx.attr<readonly number[]>('begin');
  const end = cx.attr<readonly number[]>('end');
  const strides = cx.optAttr<readonly number[]>('strides') ?? begin.map(() => 1);
  const axes = x.type.shape.map((d, i) => sliceAxis(begin[i]!, end[i]!, strides[i]!, d));
  cx.emit1(
    'slice_by_index',
    {
      x,
      begin: cx.int32s('begin', axes.map((a) => a.begin)),
      end: cx.int32s('end', axes.map((a) => a.end)),
      stride: cx.int32s('stride', axes.map((a) => a.stride)),
      begin_mask: cx.bools('begin_mask', axes.map((a) => a.beginMask)),
      end_mask: cx.bools('end_mask', axes.map((a) => a.endMask)),
    },
    cx.out(),
  );
};

const squeeze = (cx: LoweringContext): void => {
  const x = cx.input('x');
  const given = cx.optAttr<readonly number[]>('axes');
  const axes = given ?? x.type.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  if (axes.length === 0) {
    cx.emit1('identity', { x }, cx.out());
    return;
  }
  cx.emit1('squeeze', { x, axes: cx.int32s('axes', axes) }, cx.out());
};

export const shapeLowerings: LoweringTable = {
  reshape,
  transpose: (cx) => {
    const x = cx.input('x');
    const rank = x.type.shape.length;
    cx.emit1('transpose', { x, perm: cx.int32s('perm', cx.attr<readonly number[]>('perm').map((a) => normAxis(a, rank))) }, cx.out());
  },
  expand_dims: (cx) => {
    cx.emit1('expand_dims', { x: cx.input('x'), axes: cx.int32s('axes', cx.attr<readonly number[]>('axes')) }, cx.out());
  },
  squeeze,
  concat: (cx) => {
    cx.emit1('concat', { values: cx.inputList('values'), axis: cx.int32('axis', cx.attr<number>('axis')), interleave: cx.bool('interleave', false) }, cx.out());
  },
  split: (cx) => {
    const numSplits = cx.optAttr<number>('num_splits');
    const sizes = cx.optAttr<readonly number[]>('split_sizes');
    cx.emit(
      'split',
      {
        x: cx.input('x'),
        num_splits: numSplits !== undefined ? cx.int32('num_splits', numSplits) : undefined,
        split_sizes: sizes !== undefined ? cx.int32s('split_sizes', sizes) : undefined,
        axis: cx.int32('axis', cx.attr<number>('axis')),
      },
      cx.op.outputs.map((_, i) => cx.out(i)),
    );
  },
  slice,
  gather: (cx) => {
    cx.emit1('gather', { x: cx.input('x'), indices: cx.input('indices'), axis: cx.int32('axis', cx.attr<number>('axis')) }, cx.out());
  },
  pad: (cx) => {
    const x = cx.input('x');
    cx.emit1(
      'pad',
      {
        x,
        pad: cx.int32s('pad', cx.attr<readonly number[]>('pad')),
        mode: cx.str('mode', cx.attr<string>('mode')),
        constant_val: cx.scalar('constant_val', x.type.dtype, cx.attr<number>('constant_val')),
      },
      cx.out(),
    );
  },
};
