/**
 * Shape and data-movement ops: reshape, transpose, expand_dims, squeeze, concat, split, slice,
 * gather and pad. Kernels copy into fresh arrays; none aliases its input.
 * @module
 */
import { FLOATS, FLOATS_INT32, FLOATS_INT32_BOOL } from '../dtype.js';
import { graphError } from '../errors.js';
import type { Attrs, TensorType } from '../ir/types.js';
import { type Dim, type Shape, type StaticShape, formatShape, isStatic, numel, stridesOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { allocOutput } from './kernels/alloc-output.js';
import type { KernelContext, OpDef } from './def.js';
import { resolveAxisSlice, SLICE_TO_END } from './kernels/slice-range.js';
import { stridedCopy } from './kernels/strided-copy.js';
import { attrInt, attrInts, attrNum, attrOpt, attrStr, axisOf, expectMinRank, inTensor, inType, listTensor, listType } from './util.js';

/** A fresh copy of `t`'s data with a new shape (reshape, expand_dims, squeeze). */
function copyAs(t: Tensor, shape: StaticShape): Tensor {
  if (numel(shape) !== t.data.length) {
    throw graphError('E_INTERPRET', `cannot view ${t.data.length} elements of ${formatShape(t.shape)} as ${formatShape(shape)}`);
  }
  return { dtype: t.dtype, shape: [...shape], data: t.data.slice() };
}

/** The concrete output shape the interpreter bound for output `i`. */
function outShape(ctx: KernelContext, i = 0): StaticShape {
  const s = ctx.outTypes[i]?.shape;
  if (s === undefined || !isStatic(s)) throw graphError('E_INTERPRET', `output ${i} has no concrete shape`);
  return s;
}

// ---------------------------------------------------------------- reshape

/** Splits a shape into its static product and its multiset of symbols. */
function factor(dims: readonly Dim[]): { product: number; symbols: string[] } {
  let product = 1;
  const symbols: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') product *= d;
    else symbols.push(d);
  }
  return { product, symbols };
}

/**
 * Resolves reshape's target: 0 copies the input dim at that index, one -1 is inferred, and
 * symbols must be dims of the input. With symbolic inputs the element counts are compared as
 * (static product, multiset of symbols); a -1 can stand for one leftover symbol.
 */
function reshapeTarget(xs: Shape, target: readonly (number | string)[]): Dim[] {
  const dims: Dim[] = target.map((d, i) => {
    if (d === 0) {
      if (i >= xs.length) throw graphError('E_ATTR', `shape entry ${i} is 0 (copy the input dim) but x ${formatShape(xs)} has only ${xs.length} axes`);
      return xs[i]!;
    }
    if (typeof d === 'number' && d < -1) throw graphError('E_ATTR', `shape entry ${i} is ${d}; entries must be positive, 0 (copy) or -1 (infer)`);
    if (typeof d === 'string' && !xs.includes(d)) throw graphError('E_ATTR', `shape entry ${i} is the symbol '${d}', which is not a dimension of x ${formatShape(xs)}`);
    return d;
  });
  const inferAt = dims.indexOf(-1);
  if (inferAt !== dims.lastIndexOf(-1)) throw graphError('E_ATTR', `shape [${target.join(', ')}] has more than one -1`);
  const inp = factor(xs);
  const known = factor(dims.filter((d) => d !== -1));
  const left = [...inp.symbols];
  for (const s of known.symbols) {
    const k = left.indexOf(s);
    if (k < 0) throw graphError('E_SHAPE_MISMATCH', `reshape of x ${formatShape(xs)} to [${target.join(', ')}] uses symbol '${s}' more often than x has it`);
    left.splice(k, 1);
  }
  const want = `reshape of x ${formatShape(xs)} to [${target.join(', ')}]`;
  if (inferAt < 0) {
    if (left.length > 0 || inp.product !== known.product) throw graphError('E_SHAPE_MISMATCH', `${want}: element counts differ`);
    return dims;
  }
  if (left.length === 0) {
    if (known.product === 0) throw graphError('E_ATTR', `${want}: -1 is ambiguous next to a zero-size dim`);
    if (inp.product % known.product !== 0) throw graphError('E_SHAPE_MISMATCH', `${want}: ${inp.product} elements are not divisible by ${known.product}`);
    dims[inferAt] = inp.product / known.product;
  } else if (left.length === 1 && inp.product === known.product) {
    dims[inferAt] = left[0]!;
  } else {
    throw graphError('E_SHAPE_INVALID', `${want}: the -1 would be a product involving ${left.join(', ')}; input 'x' needs a static shape here`);
  }
  return dims;
}

const reshape: OpDef = {
  name: 'reshape',
  family: 'shape-ops',
  traits: { layout: 'reshape', commutative: false },
  doc: 'Same elements in row-major order, new shape: `out.flat[i] = x.flat[i]`. In `shape`, 0 copies the input dim at the same index, one -1 is inferred from the element count, and symbolic names may be used when x has them. The element counts must match (with symbols, the same symbols on both sides).',
  inputs: [{ name: 'x', dtypes: FLOATS_INT32_BOOL, doc: 'Input tensor.' }],
  attrs: [{ name: 'shape', kind: 'dims', doc: 'Target shape: positive sizes, 0 (copy), one -1 (infer) or symbols of x.' }],
  outputs: [{ name: 'output', typing: 'dynamic', doc: 'The reshaped tensor.' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    return [{ dtype: x.dtype, shape: reshapeTarget(x.shape, attrs['shape'] as readonly (number | string)[]) }];
  },
  kernel(inputs, _attrs, ctx) {
    return [copyAs(inTensor(inputs, 'x'), outShape(ctx))];
  },
};

// ---------------------------------------------------------------- transpose

function resolvePerm(perm: readonly number[], rank: number): number[] {
  if (perm.length !== rank) throw graphError('E_ATTR', `perm [${perm.join(', ')}] has ${perm.length} entries; x has rank ${rank}`);
  const p = perm.map((a) => axisOf(a, rank, `perm entry`));
  if (new Set(p).size !== rank) throw graphError('E_ATTR', `perm [${perm.join(', ')}] is not a permutation of 0..${rank - 1}`);
  return p;
}

const transpose: OpDef = {
  name: 'transpose',
  family: 'shape-ops',
  traits: { layout: 'permute', commutative: false },
  doc: 'Permutes the axes: `out.shape[i] = x.shape[perm[i]]` and `out[j_0, ..., j_{r-1}] = x[k]` with `k[perm[i]] = j_i`. `perm` is a permutation of the axes (negative entries count from the end).',
  inputs: [{ name: 'x', dtypes: FLOATS_INT32_BOOL, doc: 'Input tensor.' }],
  attrs: [{ name: 'perm', kind: 'ints', doc: 'Permutation of 0..rank-1.' }],
  outputs: [{ name: 'output', typing: 'same:x', doc: 'The permuted tensor.' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    const p = resolvePerm(attrInts(attrs, 'perm'), x.shape.length);
    return [{ dtype: x.dtype, shape: p.map((a) => x.shape[a]!) }];
  },
  kernel(inputs, attrs) {
    const x = inTensor(inputs, 'x');
    const p = resolvePerm(attrInts(attrs, 'perm'), x.shape.length);
    const st = stridesOf(x.shape);
    const shape = p.map((a) => x.shape[a]!);
    const out = allocOutput('transpose', x.dtype, x.data.length);
    stridedCopy(x.data, 0, p.map((a) => st[a]!), shape, out);
    return [{ dtype: x.dtype, shape, data: out }];
  },
};

// ---------------------------------------------------------------- expand_dims / squeeze

/** Normalizes an axes list against `rank`, rejecting out-of-range and repeated axes. */
function uniqueAxes(axes: readonly number[], rank: number, what: string): number[] {
  const out = axes.map((a) => axisOf(a, rank, `${what} entry`));
  if (new Set(out).size !== out.length) throw graphError('E_ATTR', `${what} [${axes.join(', ')}] names an axis twice`);
  return out;
}

function expandedShape(xs: Shape, axes: readonly number[]): Dim[] {
  if (axes.length === 0) throw graphError('E_ATTR', 'expand_dims needs at least one axis');
  const rank = xs.length + axes.length;
  const at = new Set(uniqueAxes(axes, rank, 'axes'));
  const out: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(at.has(i) ? 1 : xs[k++]!);
  return out;
}

const expandDims: OpDef = {
  name: 'expand_dims',
  family: 'shape-ops',
  traits: { layout: 'reshape', commutative: false },
  doc: 'Inserts size-1 axes: the output has rank `rank(x) + len(axes)`, with 1 at each position of `axes` (counted in the OUTPUT, negative from its end, as in MIL) and the dims of x, in order, elsewhere. Data is unchanged.',
  inputs: [{ name: 'x', dtypes: FLOATS_INT32_BOOL, doc: 'Input tensor.' }],
  attrs: [{ name: 'axes', kind: 'ints', doc: 'Positions of the new axes in the output.' }],
  outputs: [{ name: 'output', typing: 'dynamic', doc: 'x with unit axes inserted.' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    return [{ dtype: x.dtype, shape: expandedShape(x.shape, attrInts(attrs, 'axes')) }];
  },
  kernel(inputs, attrs) {
    const x = inTensor(inputs, 'x');
    return [copyAs(x, expandedShape(x.shape, attrInts(attrs, 'axes')) as number[])];
  },
};

function squeezedShape(xs: Shape, axes: readonly number[] | undefined): Dim[] {
  if (axes === undefined) return xs.filter((d) => d !== 1);
  const drop = new Set(uniqueAxes(axes, xs.length, 'axes'));
  for (const a of drop) {
    if (xs[a] !== 1) throw graphError('E_SHAPE_MISMATCH', `squeeze axis ${a} of x ${formatShape(xs)} has size ${xs[a]}, not 1`);
  }
  return xs.filter((_, i) => !drop.has(i));
}

const squeeze: OpDef = {
  name: 'squeeze',
  family: 'shape-ops',
  traits: { layout: 'reshape', commutative: false },
  doc: 'Removes size-1 axes: those listed in `axes` (negative from the end; each must have size 1), or every axis of static size 1 when `axes` is absent. Data is unchanged.',
  inputs: [{ name: 'x', dtypes: FLOATS_INT32_BOOL, doc: 'Input tensor.' }],
  attrs: [{ name: 'axes', kind: 'ints', optional: true, doc: 'Axes to remove; absent = all size-1 axes.' }],
  outputs: [{ name: 'output', typing: 'dynamic', doc: 'x without the removed axes.' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    return [{ dtype: x.dtype, shape: squeezedShape(x.shape, attrOpt<readonly number[]>(attrs, 'axes')) }];
  },
  kernel(inputs, attrs) {
    const x = inTensor(inputs, 'x');
    return [copyAs(x, squeezedShape(x.shape, attrOpt<readonly number[]>(attrs, 'axes')) as number[])];
  },
};

// ---------------------------------------------------------------- concat / split

function concatShape(values: readonly TensorType[], axis: number): Dim[] {
  const first = values[0]!;
  if (first.shape.length === 0) throw graphError('E_RANK', 'concat inputs must have rank >= 1, got a scalar in values[0]');
  const a = axisOf(axis, first.shape.length);
  let total: Dim = 0;
  values.forEach((v, i) => {
    if (v.dtype !== first.dtype) throw graphError('E_DTYPE_MISMATCH', `concat: values[${i}] is ${v.dtype} but values[0] is ${first.dtype}`);
    if (v.shape.length !== first.shape.length) {
      throw graphError('E_RANK', `concat: values[${i}] has rank ${v.shape.length} (${formatShape(v.shape)}) but values[0] has rank ${first.shape.length}`);
    }
    v.shape.forEach((d, k) => {
      if (k !== a && d !== first.shape[k]) {
        throw graphError('E_SHAPE_MISMATCH', `concat along axis ${a}: values[${i}] ${formatShape(v.shape)} differs from values[0] ${formatShape(first.shape)} at axis ${k}`);
      }
    });
    const d = v.shape[a]!;
    if (values.length === 1) total = d;
    else if (typeof d !== 'number' || typeof total !== 'number') {
      throw graphError('E_SHAPE_INVALID', `concat along axis ${a}: input 'values[${i}]' ${formatShape(v.shape)} must have a static size on that axis to sum the sizes`);
    } else total += d;
  });
  const out = [...first.shape];
  out[a] = total;
  return out;
}

const concat: OpDef = {
  name: 'concat',
  family: 'shape-ops',
  traits: { layout: 'axes', commutative: false },
  doc: 'Joins tensors along `axis`: the output has the common shape with `out.shape[axis] = sum_i values[i].shape[axis]`, holding values[0] first, then values[1], and so on. All inputs share dtype, rank and every other dim.',
  inputs: [{ name: 'values', dtypes: FLOATS_INT32_BOOL, variadic: true, doc: 'Tensors to join (at least one).' }],
  attrs: [{ name: 'axis', kind: 'int', doc: 'Axis to join along (negative from the end).' }],
  outputs: [{ name: 'output', typing: 'same:values', doc: 'The joined tensor.' }],
  infer(inputs, attrs) {
    const values = listType(inputs, 'values');
    return [{ dtype: values[0]!.dtype, shape: concatShape(values, attrInt(attrs, 'axis')) }];
  },
  kernel(inputs, attrs) {
    const values = listTensor(inputs, 'values');
    const shape = concatShape(values, attrInt(attrs, 'axis')) as number[];
    const a = axisOf(attrInt(attrs, 'axis'), shape.length);
    const outer = numel(shape.slice(0, a)), inner = numel(shape.slice(a + 1));
    const out = allocOutput('concat', values[0]!.dtype, numel(shape));
    const rowOut = shape[a]! * inner;
    let off = 0;
    for (const v of values) {
      const chunk = v.shape[a]! * inner;
      for (let o = 0; o < outer; o++) out.set(v.data.subarray(o * chunk, (o + 1) * chunk), o * rowOut + off);
      off += chunk;
    }
    return [{ dtype: values[0]!.dtype, shape, data: out }];
  },
};

/** The sizes of split's pieces along the (normalized) axis. */
function splitSizes(x: TensorType, attrs: Attrs): { axis: number; sizes: number[] } {
  if (x.shape.length === 0) throw graphError('E_RANK', 'split input x must have rank >= 1, got a scalar');
  const axis = axisOf(attrInt(attrs, 'axis'), x.shape.length);
  const num = attrOpt<number>(attrs, 'num_splits');
  const given = attrOpt<readonly number[]>(attrs, 'split_sizes');
  if ((num === undefined) === (given === undefined)) throw graphError('E_ATTR', 'split needs exactly one of num_splits and split_sizes');
  const d = x.shape[axis]!;
  if (typeof d !== 'number') throw graphError('E_SHAPE_INVALID', `split axis ${axis} of input 'x' ${formatShape(x.shape)} must be static`);
  if (num !== undefined) {
    if (num < 1) throw graphError('E_ATTR', `num_splits must be >= 1, got ${num}`);
    if (d % num !== 0) throw graphError('E_SHAPE_MISMATCH', `split: axis ${axis} of x ${formatShape(x.shape)} has size ${d}, not divisible by num_splits = ${num}`);
    return { axis, sizes: new Array<number>(num).fill(d / num) };
  }
  const sizes = [...given!];
  if (sizes.length === 0 || sizes.some((s) => s < 0)) throw graphError('E_ATTR', `split_sizes [${sizes.join(', ')}] must be a non-empty list of sizes >= 0`);
  const sum = sizes.reduce((p, q) => p + q, 0);
  if (sum !== d) throw graphError('E_SHAPE_MISMATCH', `split: split_sizes [${sizes.join(', ')}] sum to ${sum} but axis ${axis} of x ${formatShape(x.shape)} has size ${d}`);
  return { axis, sizes };
}

const split: OpDef = {
  name: 'split',
  family: 'shape-ops',
  traits: { layout: 'axes', commutative: false },
  doc: 'Cuts x along `axis` into consecutive pieces: `num_splits` equal pieces (the size must divide evenly) or pieces of the given `split_sizes` (summing to the axis size); exactly one of the two is given. Piece i is `x[..., o_i : o_i + size_i, ...]` with `o_i` the sum of the earlier sizes. Outputs are named output0..output{N-1} in the IR.',
  inputs: [{ name: 'x', dtypes: FLOATS_INT32_BOOL, doc: 'Input tensor, static along `axis`.' }],
  attrs: [
    { name: 'axis', kind: 'int', doc: 'Axis to split (negative from the end).' },
    { name: 'num_splits', kind: 'int', optional: true, doc: 'Number of equal pieces.' },
    { name: 'split_sizes', kind: 'ints', optional: true, doc: 'Size of each piece.' },
  ],
  outputs: [{ name: 'outputs', typing: 'same:x', doc: 'The pieces, in order.' }],
  variadicOutputs: true,
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    const { axis, sizes } = splitSizes(x, attrs);
    return sizes.map((s) => {
      const shape = [...x.shape];
      shape[axis] = s;
      return { dtype: x.dtype, shape };
    });
  },
  kernel(inputs, attrs) {
    const x = inTensor(inputs, 'x');
    const { axis, sizes } = splitSizes(x, attrs);
    const outer = numel(x.shape.slice(0, axis)), inner = numel(x.shape.slice(axis + 1));
    const rowIn = x.shape[axis]! * inner;
    let off = 0;
    return sizes.map((s) => {
      const shape = [...x.shape];
      shape[axis] = s;
      const chunk = s * inner;
      const out = allocOutput('split', x.dtype, outer * chunk);
      for (let o = 0; o < outer; o++) out.set(x.data.subarray(o * rowIn + off, o * rowIn + off + chunk), o * chunk);
      off += chunk;
      return { dtype: x.dtype, shape, data: out };
    });
  },
};

// ---------------------------------------------------------------- slice

/** Per-axis start, stride and length of a slice of a (possibly symbolic) shape. */
function slicePlan(xs: Shape, attrs: Attrs): { start: number[]; stride: number[]; shape: Dim[] } {
  const rank = xs.length;
  const begin = attrInts(attrs, 'begin'), end = attrInts(attrs, 'end');
  const strides = attrOpt<readonly number[]>(attrs, 'strides') ?? new Array<number>(rank).fill(1);
  for (const [name, v] of [['begin', begin], ['end', end], ['strides', strides]] as const) {
    if (v.length !== rank) throw graphError('E_ATTR', `slice attribute '${name}' has ${v.length} entries; x ${formatShape(xs)} has rank ${rank}`);
  }
  const start: number[] = [], stride: number[] = [], shape: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const b = begin[i]!, e = end[i]!, s = strides[i]!;
    if (s === 0) throw graphError('E_ATTR', `slice stride of axis ${i} is 0`);
    const d = xs[i]!;
    if (typeof d === 'string') {
      // Only the whole axis can be kept on a symbolic dim: its length is not known.
      if (s !== 1 || b !== 0 || e < SLICE_TO_END) {
        throw graphError('E_SHAPE_INVALID', `slice of axis ${i} of input 'x' ${formatShape(xs)} needs a static size unless it keeps the whole axis (begin 0, end ${SLICE_TO_END}, stride 1)`);
      }
      start.push(0); stride.push(1); shape.push(d);
      continue;
    }
    const r = resolveAxisSlice(b, e, s, d);
    start.push(r.start); stride.push(s); shape.push(r.length);
  }
  return { start, stride, shape };
}

const slice: OpDef = {
  name: 'slice',
  family: 'shape-ops',
  traits: { layout: 'axes', commutative: false },
  doc: `Python slicing on every axis: \`out = x[begin_0:end_0:strides_0, ..., begin_{r-1}:end_{r-1}:strides_{r-1}]\`. Negative begin/end count from the end of the axis, out-of-range bounds clamp, negative strides walk backwards, and an empty range gives a size-0 axis. To run to the end use an end >= the axis size, e.g. ${SLICE_TO_END} (int32 max) with a positive stride, or an end <= -(size + 1), e.g. -2147483648, with a negative stride. On a symbolic axis only the whole-axis slice (begin 0, end ${SLICE_TO_END}, stride 1) is allowed. Maps to MIL \`slice_by_index\`.`,
  inputs: [{ name: 'x', dtypes: FLOATS_INT32_BOOL, doc: 'Input tensor.' }],
  attrs: [
    { name: 'begin', kind: 'ints', doc: 'First index per axis.' },
    { name: 'end', kind: 'ints', doc: 'Exclusive end per axis (clamped).' },
    { name: 'strides', kind: 'ints', optional: true, doc: 'Step per axis, non-zero; absent = all 1.' },
  ],
  outputs: [{ name: 'output', typing: 'same:x', doc: 'The slice.' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    return [{ dtype: x.dtype, shape: slicePlan(x.shape, attrs).shape }];
  },
  kernel(inputs, attrs) {
    const x = inTensor(inputs, 'x');
    const p = slicePlan(x.shape, attrs);
    const shape = p.shape as number[];
    const st = stridesOf(x.shape);
    const out = allocOutput('slice', x.dtype, numel(shape));
    const offset = p.start.reduce((acc, s, i) => acc + s * st[i]!, 0);
    stridedCopy(x.data, offset, p.stride.map((s, i) => s * st[i]!), shape, out);
    return [{ dtype: x.dtype, shape, data: out }];
  },
};

// ---------------------------------------------------------------- gather

function gatherShape(x: TensorType, idx: TensorType, axisAttr: number): { axis: number; shape: Dim[] } {
  if (x.shape.length === 0) throw graphError('E_RANK', 'gather input x must have rank >= 1, got a scalar');
  const axis = axisOf(axisAttr, x.shape.length);
  return { axis, shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)] };
}

const gather: OpDef = {
  name: 'gather',
  family: 'shape-ops',
  traits: { layout: 'fixed', commutative: false },
  doc: 'Takes slices of x along `axis` at the given indices: `out[p..., i..., q...] = x[p..., indices[i...], q...]`, so the output shape is `x.shape[:axis] + indices.shape + x.shape[axis+1:]`. Indices must lie in [0, x.shape[axis]) (negative indices are out of range, as from iOS17 on); a bad index fails at run time.',
  inputs: [
    { name: 'x', dtypes: FLOATS_INT32, doc: 'Tensor to gather from, rank >= 1.' },
    { name: 'indices', dtypes: ['int32'], doc: 'Indices into axis `axis` of x.' },
  ],
  attrs: [{ name: 'axis', kind: 'int', default: 0, doc: 'Axis of x to index (negative from the end).' }],
  outputs: [{ name: 'output', typing: 'dynamic', doc: 'The gathered slices.' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    return [{ dtype: x.dtype, shape: gatherShape(x, inType(inputs, 'indices'), attrInt(attrs, 'axis')).shape }];
  },
  kernel(inputs, attrs) {
    const x = inTensor(inputs, 'x'), idx = inTensor(inputs, 'indices');
    const { axis, shape } = gatherShape(x, idx, attrInt(attrs, 'axis'));
    const n = x.shape[axis]!;
    const outer = numel(x.shape.slice(0, axis)), inner = numel(x.shape.slice(axis + 1));
    const m = idx.data.length;
    for (let j = 0; j < m; j++) {
      const v = idx.data[j]!;
      if (v < 0 || v >= n) {
        throw graphError('E_INTERPRET', `gather index ${v} (element ${j} of indices ${formatShape(idx.shape)}) is out of range [0, ${n}) for axis ${axis} of x ${formatShape(x.shape)}`);
      }
    }
    const out = allocOutput('gather', x.dtype, outer * m * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < m; j++) {
        const src = (o * n + idx.data[j]!) * inner;
        out.set(x.data.subarray(src, src + inner), (o * m + j) * inner);
      }
    }
    return [{ dtype: x.dtype, shape: shape as number[], data: out }];
  },
};

// ---------------------------------------------------------------- pad

/** [before, after] padding of every axis (zeros for the leading unpadded axes). */
function padAmounts(xs: Shape, attrs: Attrs): Array<[number, number]> {
  const pad = attrInts(attrs, 'pad');
  const rank = xs.length;
  if (pad.length === 0 || pad.length % 2 !== 0 || pad.length > 2 * rank) {
    throw graphError('E_ATTR', `pad [${pad.join(', ')}] must hold 2*k entries for 1 <= k <= rank ${rank} of x ${formatShape(xs)}`);
  }
  if (pad.some((p) => p < 0)) throw graphError('E_ATTR', `pad [${pad.join(', ')}] has a negative amount`);
  const k = pad.length / 2;
  const mode = attrStr(attrs, 'mode');
  return xs.map((d, i): [number, number] => {
    const j = i - (rank - k);
    if (j < 0) return [0, 0];
    const before = pad[2 * j]!, after = pad[2 * j + 1]!;
    if (before === 0 && after === 0) return [0, 0];
    if (typeof d !== 'number') throw graphError('E_SHAPE_INVALID', `pad of axis ${i} of input 'x' ${formatShape(xs)} needs a static size`);
    if (mode === 'reflect' && (before > d - 1 || after > d - 1)) {
      throw graphError('E_SHAPE_MISMATCH', `reflect pad [${before}, ${after}] of axis ${i} of x ${formatShape(xs)} must be at most size - 1 = ${d - 1}`);
    }
    if (mode === 'replicate' && d === 0) throw graphError('E_SHAPE_MISMATCH', `replicate pad of axis ${i} of x ${formatShape(xs)}: the axis is empty`);
    return [before, after];
  });
}

/** Input index read for output index `o` of an axis of size `n` (-1 = the constant). */
function padSource(o: number, before: number, n: number, mode: string): number {
  const i = o - before;
  if (i >= 0 && i < n) return i;
  if (mode === 'reflect') return i < 0 ? -i : 2 * (n - 1) - i;
  if (mode === 'replicate') return i < 0 ? 0 : n - 1;
  return -1;
}

const pad: OpDef = {
  name: 'pad',
  family: 'shape-ops',
  traits: { layout: 'axes', commutative: false },
  doc: 'Pads the LAST k axes of x, where `pad` = [before_0, after_0, ..., before_{k-1}, after_{k-1}] lists those axes in order (MIL\'s layout). Axis size becomes `before + size + after`. `constant` fills with `constant_val`; `reflect` mirrors without repeating the edge (`x[-i] = x[i]`, needs padding <= size - 1); `replicate` repeats the edge element.',
  inputs: [{ name: 'x', dtypes: FLOATS, doc: 'Input tensor, rank >= 1.' }],
  attrs: [
    { name: 'pad', kind: 'ints', doc: '[before, after] pairs for the last k axes.' },
    { name: 'mode', kind: 'string', default: 'constant', oneOf: ['constant', 'reflect', 'replicate'], doc: 'How the border is filled.' },
    { name: 'constant_val', kind: 'float', default: 0, doc: 'Fill value of constant mode.' },
  ],
  outputs: [{ name: 'output', typing: 'same:x', doc: 'The padded tensor.' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    expectMinRank(x, 'x', 1);
    const p = padAmounts(x.shape, attrs);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (p[i]![0] + p[i]![1] === 0 ? d : (d as number) + p[i]![0] + p[i]![1])) }];
  },
  kernel(inputs, attrs) {
    const x = inTensor(inputs, 'x');
    const p = padAmounts(x.shape, attrs);
    const mode = attrStr(attrs, 'mode');
    const fill = attrNum(attrs, 'constant_val');
    const shape = x.shape.map((d, i) => d + p[i]![0] + p[i]![1]);
    const rank = shape.length;
    const total = numel(shape);
    // Allocate (and size-check) the output before the per-axis maps.
    const out = allocOutput('pad', x.dtype, total);
    if (total === 0) return [{ dtype: x.dtype, shape, data: out }];
    const st = stridesOf(x.shape);
    // Per axis: the input offset contribution of each output index, or -1 for the constant.
    const maps = shape.map((d, ax) => {
      const m = new Float64Array(d);
      for (let o = 0; o < d; o++) {
        const s = padSource(o, p[ax]![0], x.shape[ax]!, mode);
        m[o] = s < 0 ? -1 : s * st[ax]!;
      }
      return m;
    });
    const idx = new Array<number>(rank).fill(0);
    for (let o = 0; o < total; o++) {
      let src = 0;
      for (let ax = 0; ax < rank; ax++) {
        const v = maps[ax]![idx[ax]!]!;
        if (v < 0) { src = -1; break; }
        src += v;
      }
      out[o] = src < 0 ? fill : x.data[src]!;
      for (let ax = rank - 1; ax >= 0; ax--) {
        if (++idx[ax]! < shape[ax]!) break;
        idx[ax] = 0;
      }
    }
    return [{ dtype: x.dtype, shape, data: out }];
  },
};

/** The shape and data-movement op definitions. */
export const shapeOpsOps: OpDef[] = [reshape, transpose, expandDims, squeeze, concat, split, slice, gather, pad];
