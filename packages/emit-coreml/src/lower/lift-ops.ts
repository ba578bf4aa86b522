/**
 * The inverse op mapping: MIL op -> IR ops, with const parameters read back into attributes.
 * Parameters left out take MIL's defaults (which the IR ops share).
 * @module
 */
import { type AttrValue, type DType, type Tensor, type Value, tensor } from '@fastvlm/graph';
import { unpackElements } from '../mil/elements.js';
import type { LiftContext, OpLifting } from './lift.js';
import { BINARY_MIL, UNARY_SAME } from './ops/elementwise.js';
import { SLICE_TO_END, SLICE_TO_START } from './slice-bounds.js';

/** Drops undefined entries (absent MIL parameters keep the IR default). */
function attrs(a: Readonly<Record<string, AttrValue | undefined>>): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(a)) if (v !== undefined) out[k] = v;
  return out;
}

const same = (kind: string, inputs: readonly string[], params: Readonly<Record<string, (lc: LiftContext) => AttrValue | undefined>> = {}): OpLifting => (lc) => {
  const ins: Record<string, ReturnType<LiftContext['tensor']>> = {};
  for (const n of inputs) {
    const v = lc.optTensor(n);
    if (v) ins[n] = v;
  }
  lc.add(kind, ins, attrs(Object.fromEntries(Object.entries(params).map(([k, f]) => [k, f(lc)]))));
};

const fromBinary: Record<string, OpLifting> = {};
for (const [ir, mil] of Object.entries(BINARY_MIL)) fromBinary[mil] = same(ir, ['x', 'y']);

const fromUnary: Record<string, OpLifting> = {};
for (const k of [...UNARY_SAME, 'relu', 'silu', 'sigmoid']) fromUnary[k] = same(k, ['x']);

const reduce = (kind: string): OpLifting => same(kind, ['x'], { axes: (lc) => lc.ints('axes'), keep_dims: (lc) => lc.bool('keep_dims') });

const slice: OpLifting = (lc) => {
  const x = lc.tensor('x');
  const rank = x.type.shape.length;
  const begin = lc.ints('begin') ?? new Array<number>(rank).fill(0);
  const end = lc.ints('end') ?? new Array<number>(rank).fill(0);
  const stride = lc.ints('stride') ?? new Array<number>(rank).fill(1);
  const bm = lc.ints('begin_mask') ?? new Array<number>(rank).fill(0);
  const em = lc.ints('end_mask') ?? new Array<number>(rank).fill(0);
  const sq = lc.ints('squeeze_mask') ?? new Array<number>(rank).fill(0);
  const b = begin.map((v, i) => (bm[i] ? (stride[i]! > 0 ? 0 : SLICE_TO_END) : v));
  const e = end.map((v, i) => (em[i] ? (stride[i]! > 0 ? SLICE_TO_END : SLICE_TO_START) : v));
  const squeezeAxes = sq.flatMap((m, i) => (m ? [i] : []));
  const sliceAttrs: Record<string, AttrValue> = stride.every((s) => s === 1) ? { begin: b, end: e } : { begin: b, end: e, strides: stride };
  if (squeezeAxes.length === 0) {
    lc.add('slice', { x }, sliceAttrs);
    return;
  }
  const [s] = lc.add('slice', { x }, sliceAttrs, [lc.fresh(`${lc.outputs[0]!.name}_slice`)]);
  lc.add('squeeze', { x: s! }, { axes: squeezeAxes }, [lc.outputs[0]!.name]);
};

const conv: OpLifting = (lc) => {
  const x = lc.tensor('x');
  if (x.type.shape.length !== 4) throw lc.error(`only 2-D convolutions lift to the IR (conv2d); this conv has an input of rank ${x.type.shape.length}`);
  const padType = lc.str('pad_type') ?? 'valid';
  const bias = lc.optTensor('bias');
  lc.add('conv2d', bias ? { x, weight: lc.tensor('weight'), bias } : { x, weight: lc.tensor('weight') }, attrs({
    strides: lc.ints('strides'),
    pad_type: padType,
    pad: padType === 'custom' ? lc.ints('pad') : undefined,
    dilations: lc.ints('dilations'),
    groups: lc.int('groups'),
  }));
};

const avgPool: OpLifting = (lc) => {
  const padType = lc.str('pad_type') ?? 'valid';
  lc.add('avg_pool', { x: lc.tensor('x') }, attrs({
    kernel_sizes: lc.ints('kernel_sizes'),
    strides: lc.ints('strides'),
    pad_type: padType,
    pad: padType === 'custom' ? lc.ints('pad') : undefined,
    exclude_padding_from_average: lc.bool('exclude_padding_from_average'),
    ceil_mode: lc.bool('ceil_mode'),
  }));
};

const gather: OpLifting = (lc) => {
  if ((lc.int('batch_dims') ?? 0) !== 0) throw lc.error('gather with batch_dims != 0 has no IR equivalent');
  lc.add('gather', { x: lc.tensor('x'), indices: lc.tensor('indices') }, attrs({ axis: lc.int('axis') }));
};

const concat: OpLifting = (lc) => {
  if (lc.bool('interleave') === true) throw lc.error('concat with interleave has no IR equivalent');
  lc.add('concat', { values: lc.tensors('values') }, { axis: lc.int('axis') ?? 0 });
};

const split: OpLifting = (lc) => {
  lc.add('split', { x: lc.tensor('x') }, attrs({ axis: lc.int('axis'), num_splits: lc.int('num_splits'), split_sizes: lc.ints('split_sizes') }));
};

const rangeOp: OpLifting = (lc) => {
  const dtype = lc.outputs[0]!.type.dtype;
  lc.add('range', {}, attrs({ start: lc.num('start'), end: lc.num('end'), step: lc.num('step'), dtype }));
};

const fill: OpLifting = (lc) => {
  const value = lc.has('value') ? lc.param('value') : undefined;
  const dtype: DType = typeof value === 'object' ? value.dtype : 'fp32';
  lc.add('fill', {}, attrs({ shape: lc.ints('shape'), value: lc.num('value'), dtype }));
};

/** iOS16/17 `constexpr_lut_to_dense` (packed indices, one table of scalars) or the iOS18 form. */
const lutToDense: OpLifting = (lc) => {
  if (!lc.has('shape')) {
    const vectorAxis = lc.int('vector_axis');
    lc.add('lut_dequantize', { lut: lc.tensor('lut'), indices: lc.tensor('indices') }, vectorAxis === undefined ? {} : { vector_axis: vectorAxis });
    return;
  }
  const shape = lc.ints('shape')!;
  const table = lc.param('lut');
  if (typeof table === 'string') throw lc.error('lut must be numeric');
  const k = table.data.length;
  const nbits = Math.log2(k);
  if (![1, 2, 4, 6, 8].includes(nbits)) throw lc.error(`a table of ${k} entries is not 2^nbits for nbits in 1, 2, 4, 6, 8`);
  const dtype = (nbits === 8 ? 'uint8' : `uint${nbits}`) as DType;
  const n = shape.reduce((a, b) => a * b, 1);
  const readIndices = (): Tensor => {
    const packed = lc.param('indices');
    if (typeof packed === 'string') throw lc.error('indices must be bytes');
    return { dtype, shape: [...shape], data: unpackElements(dtype, Uint8Array.from(packed.data), n, lc.where) as Tensor['data'] };
  };
  // Unpacking is lazy for large index tensors: the IR const refers to a store source.
  const indices = n < 10 ? lc.constant(`${lc.outputs[0]!.name}_indices`, readIndices()) : lc.constant(`${lc.outputs[0]!.name}_indices`, { dtype, shape: [...shape], read: readIndices, describe: () => `packed indices of ${lc.where}` });
  const lut = lc.constant(`${lc.outputs[0]!.name}_lut`, { dtype: table.dtype, shape: [...shape.map(() => 1), k, 1], data: table.data });
  lc.add('lut_dequantize', { lut, indices }, {});
};

/** One intermediate IR op of a multi-op lifting, named after the MIL output. */
function step(lc: LiftContext, kind: string, inputs: Readonly<Record<string, Value>>, a: Readonly<Record<string, AttrValue>>, suffix: string): Value {
  return lc.add(kind, inputs, a, [lc.fresh(`${lc.outputs[0]!.name}_${suffix}`)])[0]!;
}

/**
 * int32 floor division and modulo from the IR's truncating `div`: q = div(x, y),
 * r = x - q * y (exact: |q * y| <= |x|), and `fix` where floor and trunc differ, i.e. r != 0
 * with the sign of r (x's) opposite to y's: select(y < 0, r > 0, r < 0).
 */
function floorParts(lc: LiftContext, what: string): { x: Value; y: Value; q: Value; r: Value; fix: Value } {
  const x = lc.tensor('x');
  const y = lc.tensor('y');
  if (x.type.dtype !== 'int32' || y.type.dtype !== 'int32') {
    throw lc.error(`${what} on ${x.type.dtype} has no IR form (the IR has no floor op); only int32 ${what} lifts, as a composition around the truncating div`);
  }
  const q = step(lc, 'div', { x, y }, {}, 'trunc');
  const r = step(lc, 'sub', { x, y: step(lc, 'mul', { x: q, y }, {}, 'trunc_mul') }, {}, 'trunc_rem');
  const zero = lc.constant(`${lc.outputs[0]!.name}_zero`, tensor('int32', [], [0]));
  const yNeg = step(lc, 'less', { x: y, y: zero }, {}, 'y_neg');
  const fix = step(lc, 'select', { cond: yNeg, a: step(lc, 'greater', { x: r, y: zero }, {}, 'rem_pos'), b: step(lc, 'less', { x: r, y: zero }, {}, 'rem_neg') }, {}, 'round_down');
  return { x, y, q, r, fix };
}

/** MIL `floor_div` (int32): the truncated quotient minus 1 where the division rounds down. */
const floorDiv: OpLifting = (lc) => {
  const { q, fix } = floorParts(lc, 'floor_div');
  lc.add('sub', { x: q, y: step(lc, 'cast', { x: fix }, { dtype: 'int32' }, 'dec') }, {});
};

/** MIL `mod` (int32, the sign of y): the truncated remainder plus y where they differ. */
const mod: OpLifting = (lc) => {
  const { y, r, fix } = floorParts(lc, 'mod');
  lc.add('select', { cond: fix, a: step(lc, 'add', { x: r, y }, {}, 'rem_y'), b: r }, {});
};

/** Bools as 0/1 int32, so that `not_equal` / `equal` act as xor / not. */
const asInt = (lc: LiftContext, v: Value, suffix: string): Value => step(lc, 'cast', { x: v }, { dtype: 'int32' }, suffix);

const logical: Readonly<Record<string, OpLifting>> = {
  logical_and: (lc) => {
    const x = lc.tensor('x');
    lc.add('select', { cond: x, a: lc.tensor('y'), b: x }, {});
  },
  logical_or: (lc) => {
    const x = lc.tensor('x');
    lc.add('select', { cond: x, a: x, b: lc.tensor('y') }, {});
  },
  logical_xor: (lc) => {
    lc.add('not_equal', { x: asInt(lc, lc.tensor('x'), 'x_int'), y: asInt(lc, lc.tensor('y'), 'y_int') }, {});
  },
  logical_not: (lc) => {
    lc.add('equal', { x: asInt(lc, lc.tensor('x'), 'x_int'), y: lc.constant(`${lc.outputs[0]!.name}_zero`, tensor('int32', [], [0])) }, {});
  },
};

const identity: OpLifting = (lc) => {
  lc.alias(0, lc.tensor('x'));
};

/** MIL op type -> its lifting. */
export const LIFTINGS: Readonly<Record<string, OpLifting>> = {
  ...fromBinary,
  ...fromUnary,
  ...logical,
  floor_div: floorDiv,
  mod,
  log: same('log', ['x'], { epsilon: (lc) => lc.num('epsilon') }),
  rsqrt: same('rsqrt', ['x'], { epsilon: (lc) => lc.num('epsilon') }),
  gelu: same('gelu', ['x'], { mode: (lc) => lc.str('mode') }),
  softmax: same('softmax', ['x'], { axis: (lc) => lc.int('axis') }),
  select: same('select', ['cond', 'a', 'b']),
  cast: same('cast', ['x'], { dtype: (lc) => lc.str('dtype') }),
  identity,
  reduce_mean: reduce('reduce_mean'),
  reduce_sum: reduce('reduce_sum'),
  reduce_max: reduce('reduce_max'),
  batch_norm: same('batch_norm', ['x', 'mean', 'variance', 'gamma', 'beta'], { epsilon: (lc) => lc.num('epsilon') }),
  layer_norm: same('layer_norm', ['x', 'gamma', 'beta'], { axes: (lc) => lc.ints('axes'), epsilon: (lc) => lc.num('epsilon') }),
  matmul: same('matmul', ['x', 'y'], { transpose_x: (lc) => lc.bool('transpose_x'), transpose_y: (lc) => lc.bool('transpose_y') }),
  linear: same('linear', ['x', 'weight', 'bias']),
  einsum: (lc) => {
    lc.add('einsum', { values: lc.tensors('values') }, { equation: lc.str('equation') ?? '' });
  },
  conv,
  avg_pool: avgPool,
  reshape: same('reshape', ['x'], { shape: (lc) => lc.ints('shape') }),
  transpose: same('transpose', ['x'], { perm: (lc) => lc.ints('perm') }),
  expand_dims: same('expand_dims', ['x'], { axes: (lc) => lc.ints('axes') }),
  squeeze: same('squeeze', ['x'], { axes: (lc) => lc.ints('axes') }),
  concat,
  split,
  slice_by_index: slice,
  gather,
  pad: same('pad', ['x'], { pad: (lc) => lc.ints('pad'), mode: (lc) => lc.str('mode'), constant_val: (lc) => lc.num('constant_val') }),
  band_part: same('band_part', ['x'], { lower: (lc) => lc.int('lower'), upper: (lc) => lc.int('upper') }),
  range_1d: rangeOp,
  fill,
  constexpr_lut_to_dense: lutToDense,
  constexpr_affine_dequantize: (lc) => {
    lc.add('affine_dequantize', { quantized_data: lc.tensor('quantized_data'), zero_point: lc.tensor('zero_point'), scale: lc.tensor('scale') }, attrs({ axis: lc.int('axis') }));
  },
  constexpr_blockwise_shift_scale: same('blockwise_dequantize', ['data', 'scale', 'offset']),
};

/** Liftings of the op groups of `lift-patterns.ts`, by the IR kind they fold into. */
export const LIFT_FUSED: Readonly<Record<string, OpLifting>> = {
  div: same('div', ['x', 'y']),
};
