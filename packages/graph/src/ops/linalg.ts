/**
 * Linear algebra: `matmul` (numpy semantics with transposes and batch broadcasting), `linear`
 * (a fully connected layer) and two-operand `einsum`.
 * @module
 */
import { FLOATS, FLOATS_INT32 } from '../dtype.js';
import { graphError } from '../errors.js';
import type { TensorType } from '../ir/types.js';
import { type Dim, type Shape, type StaticShape, formatShape, numel, tryBroadcast } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { allocOutput } from './kernels/alloc-output.js';
import type { OpDef } from './def.js';
import { einsumKernel, einsumOutputShape, parseEinsum } from './kernels/einsum-plan.js';
import { gemmStrided } from './kernels/strided-gemm.js';
import { attrBool, attrStr, expectRank, inTensor, inType, listTensor, listType, optTensor, optType } from './util.js';

function sameDtype(what: string, a: TensorType, b: TensorType): void {
  if (a.dtype !== b.dtype) throw graphError('E_DTYPE_MISMATCH', `${what}: dtypes must match, got ${a.dtype} and ${b.dtype}`);
}

/** The matmul problem after numpy's rank-1 promotion and the transposes. */
interface MatmulPlan {
  /** Batch shape (broadcast of both operands' leading axes). */
  readonly batch: Dim[];
  readonly m: Dim;
  readonly k: Dim;
  readonly n: Dim;
  /** Output shape (promoted unit axes removed again). */
  readonly out: Dim[];
}

function planMatmul(xs: Shape, ys: Shape, tx: boolean, ty: boolean): MatmulPlan {
  if (xs.length === 0 || ys.length === 0) {
    throw graphError('E_RANK', `matmul operands must have rank >= 1, got x ${formatShape(xs)} and y ${formatShape(ys)}`);
  }
  if (xs.length === 1 && tx) throw graphError('E_ATTR', `transpose_x is true but x ${formatShape(xs)} has rank 1`);
  if (ys.length === 1 && ty) throw graphError('E_ATTR', `transpose_y is true but y ${formatShape(ys)} has rank 1`);
  // Rank-1 x is a row [1, K]; rank-1 y is a column [K, 1] (numpy).
  const x2: Shape = xs.length === 1 ? [1, xs[0]!] : xs;
  const y2: Shape = ys.length === 1 ? [ys[0]!, 1] : ys;
  const xr = x2.length, yr = y2.length;
  const m = tx ? x2[xr - 1]! : x2[xr - 2]!;
  const kx = tx ? x2[xr - 2]! : x2[xr - 1]!;
  const ky = ty ? y2[yr - 1]! : y2[yr - 2]!;
  const n = ty ? y2[yr - 2]! : y2[yr - 1]!;
  if (kx !== ky) {
    throw graphError('E_SHAPE_MISMATCH', `matmul contraction sizes differ: x ${formatShape(xs)}${tx ? ' (transposed)' : ''} has K = ${kx}, y ${formatShape(ys)}${ty ? ' (transposed)' : ''} has K = ${ky}`);
  }
  const batch = tryBroadcast(x2.slice(0, -2), y2.slice(0, -2));
  if (batch === undefined) {
    throw graphError('E_SHAPE_MISMATCH', `matmul batch axes ${formatShape(x2.slice(0, -2))} of x and ${formatShape(y2.slice(0, -2))} of y do not broadcast`);
  }
  const out: Dim[] = [...batch];
  if (xs.length > 1) out.push(m);
  if (ys.length > 1) out.push(n);
  return { batch, m, k: kx, n, out };
}

/** Strides of `shape`'s leading (batch) axes as read when broadcast to `batch`. */
function batchStrides(shape: StaticShape, batch: readonly number[]): number[] {
  const nb = shape.length - 2;
  const st = new Array<number>(batch.length).fill(0);
  let acc = shape[shape.length - 1]! * shape[shape.length - 2]!;
  for (let i = nb - 1; i >= 0; i--) {
    const j = batch.length - nb + i;
    st[j] = shape[i] === 1 ? 0 : acc;
    acc *= shape[i]!;
  }
  return st;
}

/** Batched matmul kernel over promoted, static shapes. */
function matmulKernel(x: Tensor, y: Tensor, tx: boolean, ty: boolean): Tensor {
  const p = planMatmul(x.shape, y.shape, tx, ty);
  const xs: StaticShape = x.shape.length === 1 ? [1, x.shape[0]!] : x.shape;
  const ys: StaticShape = y.shape.length === 1 ? [y.shape[0]!, 1] : y.shape;
  const batch = p.batch as number[];
  const m = p.m as number, k = p.k as number, n = p.n as number;
  const out = allocOutput('matmul', x.dtype, numel(p.out as number[]));
  const xCols = xs[xs.length - 1]!, yCols = ys[ys.length - 1]!;
  // Element (r, c) of op(x): x stored [M, K] row-major, or [K, M] when transposed.
  const xrs = tx ? 1 : xCols, xcs = tx ? xCols : 1;
  const yrs = ty ? 1 : yCols, ycs = ty ? yCols : 1;
  const sx = batchStrides(xs, batch), sy = batchStrides(ys, batch);
  const nBatch = batch.reduce((q, d) => q * d, 1);
  const idx = new Array<number>(batch.length).fill(0);
  const scratch = new Float64Array(n);
  let ox = 0, oy = 0;
  for (let bi = 0; bi < nBatch; bi++) {
    gemmStrided({ data: x.data, off: ox, rs: xrs, cs: xcs }, { data: y.data, off: oy, rs: yrs, cs: ycs }, out, bi * m * n, m, k, n, scratch);
    for (let ax = batch.length - 1; ax >= 0; ax--) {
      idx[ax]!++;
      ox += sx[ax]!;
      oy += sy[ax]!;
      if (idx[ax]! < batch[ax]!) break;
      ox -= sx[ax]! * batch[ax]!;
      oy -= sy[ax]! * batch[ax]!;
      idx[ax] = 0;
    }
  }
  return { dtype: x.dtype, shape: p.out as number[], data: out };
}

const matmul: OpDef = {
  name: 'matmul',
  family: 'linalg',
  traits: { layout: 'fixed', commutative: false },
  doc: 'Batched matrix product with numpy semantics: `out[..., i, j] = sum_k X[..., i, k] * Y[..., k, j]` where `X = transpose_x ? swap_last_two(x) : x` and likewise `Y`. Leading (batch) axes broadcast. A rank-1 `x` is treated as a row `[1, K]` and a rank-1 `y` as a column `[K, 1]`, and that unit axis is removed from the result (two vectors give a scalar); transposing a rank-1 operand is an error. `x` and `y` share one dtype; int32 sums wrap modulo 2^32.',
  inputs: [
    { name: 'x', dtypes: FLOATS_INT32, doc: 'Left operand, rank >= 1.' },
    { name: 'y', dtypes: FLOATS_INT32, doc: 'Right operand, rank >= 1, same dtype as x.' },
  ],
  attrs: [
    { name: 'transpose_x', kind: 'bool', default: false, doc: 'Swap the last two axes of x first.' },
    { name: 'transpose_y', kind: 'bool', default: false, doc: 'Swap the last two axes of y first.' },
  ],
  outputs: [{ name: 'output', typing: 'dynamic', doc: 'Broadcast batch axes followed by [M, N] (unit axes of rank-1 operands removed).' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x'), y = inType(inputs, 'y');
    sameDtype('matmul', x, y);
    const p = planMatmul(x.shape, y.shape, attrBool(attrs, 'transpose_x'), attrBool(attrs, 'transpose_y'));
    return [{ dtype: x.dtype, shape: p.out }];
  },
  kernel(inputs, attrs) {
    return [matmulKernel(inTensor(inputs, 'x'), inTensor(inputs, 'y'), attrBool(attrs, 'transpose_x'), attrBool(attrs, 'transpose_y'))];
  },
};

const linear: OpDef = {
  name: 'linear',
  family: 'linalg',
  traits: { layout: 'fixed', commutative: false },
  doc: 'Fully connected layer: `y[..., o] = sum_i x[..., i] * weight[o, i] + bias[o]`, i.e. `y = x W^T + b`. `x` has rank 1 to 3 (as in MIL) with the input features last, `weight` is `[D_out, D_in]` and the optional `bias` is `[D_out]` (zeros when absent). All share one dtype; the result has x\'s shape with the last axis replaced by D_out.',
  inputs: [
    { name: 'x', dtypes: FLOATS_INT32, doc: 'Input [*, D_in], rank 1 to 3.' },
    { name: 'weight', dtypes: FLOATS_INT32, rank: 2, doc: 'Weight [D_out, D_in].' },
    { name: 'bias', dtypes: FLOATS_INT32, rank: 1, optional: true, doc: 'Bias [D_out]; zeros when absent.' },
  ],
  attrs: [],
  outputs: [{ name: 'output', typing: 'same:x', doc: '[*, D_out].' }],
  infer(inputs) {
    const x = inType(inputs, 'x'), w = inType(inputs, 'weight'), b = optType(inputs, 'bias');
    expectRank(x, 'x', 1, 2, 3);
    expectRank(w, 'weight', 2);
    sameDtype('linear x and weight', x, w);
    const dIn = x.shape[x.shape.length - 1]!;
    if (w.shape[1] !== dIn) {
      throw graphError('E_SHAPE_MISMATCH', `linear: x ${formatShape(x.shape)} has ${dIn} input features but weight ${formatShape(w.shape)} expects ${w.shape[1]} (weight is [D_out, D_in])`);
    }
    if (b !== undefined) {
      expectRank(b, 'bias', 1);
      sameDtype('linear x and bias', x, b);
      if (b.shape[0] !== w.shape[0]) {
        throw graphError('E_SHAPE_MISMATCH', `linear: bias ${formatShape(b.shape)} must have D_out = ${w.shape[0]} elements (weight ${formatShape(w.shape)})`);
      }
    }
    return [{ dtype: x.dtype, shape: [...x.shape.slice(0, -1), w.shape[0]!] }];
  },
  kernel(inputs) {
    const x = inTensor(inputs, 'x'), w = inTensor(inputs, 'weight'), b = optTensor(inputs, 'bias');
    const dIn = w.shape[1]!, dOut = w.shape[0]!;
    const rows = numel(x.shape.slice(0, -1));
    const out = allocOutput('linear', x.dtype, rows * dOut);
    // x [rows, D_in] times W^T: W read as a [D_in, D_out] view with row stride 1.
    gemmStrided({ data: x.data, off: 0, rs: dIn, cs: 1 }, { data: w.data, off: 0, rs: 1, cs: dIn }, out, 0, rows, dIn, dOut, new Float64Array(dOut));
    if (b !== undefined) {
      for (let r = 0; r < rows; r++) for (let o = 0; o < dOut; o++) out[r * dOut + o]! += b.data[o]!;
    }
    return [{ dtype: x.dtype, shape: [...x.shape.slice(0, -1), dOut], data: out }];
  },
};

function einsumOperands<T extends { readonly dtype: string }>(values: readonly T[]): [T, T] {
  if (values.length !== 2) throw graphError('E_INPUT', `einsum takes exactly 2 tensors in 'values', got ${values.length}`);
  const [a, b] = values as [T, T];
  if (a.dtype !== b.dtype) throw graphError('E_DTYPE_MISMATCH', `einsum: both operands must have the same dtype, got ${a.dtype} and ${b.dtype}`);
  return [a, b];
}

const einsum: OpDef = {
  name: 'einsum',
  family: 'linalg',
  traits: { layout: 'axes', commutative: false },
  doc: 'Two-operand Einstein summation with an explicit output, e.g. `bchq,bkhc->bkhq`: `out[output letters] = sum over the other letters of a[letters of a] * b[letters of b]`. Letters are a-z, each at most once per term; a letter shared by the operands must have equal sizes or size 1 in one of them (broadcast); every output letter must occur in an operand. Core ML natively runs only the `nchw,nwhu->nchu` / `chw,whr->chr` family (up to renaming and operand order); other equations are lowered to transpose + matmul.',
  inputs: [{ name: 'values', dtypes: FLOATS, variadic: true, doc: 'Exactly two tensors of the same dtype.' }],
  attrs: [{ name: 'equation', kind: 'string', doc: 'Equation `A,B->C` over the letters a-z.' }],
  outputs: [{ name: 'output', typing: 'dynamic', doc: 'Shape given by the output letters.' }],
  infer(inputs, attrs) {
    const [a, b] = einsumOperands(listType(inputs, 'values'));
    const eq = parseEinsum(attrStr(attrs, 'equation'));
    return [{ dtype: a.dtype, shape: einsumOutputShape(eq, [a.shape, b.shape]) }];
  },
  kernel(inputs, attrs) {
    const [a, b] = einsumOperands(listTensor(inputs, 'values'));
    const eq = parseEinsum(attrStr(attrs, 'equation'));
    const shape = einsumOutputShape(eq, [a.shape, b.shape]) as number[];
    const out = allocOutput('einsum', a.dtype, numel(shape));
    einsumKernel(eq, a.data, a.shape, b.data, b.shape, out);
    return [{ dtype: a.dtype, shape, data: out }];
  },
};

/** The linear-algebra op definitions. */
export const linalgOps: OpDef[] = [matmul, linear, einsum];
