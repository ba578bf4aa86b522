/**
 * Small programs covering every IR op (and every branch of its lowering: native MIL op vs
 * decomposition, each pad type, each einsum form...), each buildable in several data dtypes.
 * Shared by the lowering conformance suite (coremltools as the oracle) and the unit tests.
 *
 * A case declares its function inputs in fp32/int32 (what every target accepts as I/O); for the
 * fp16 variant the harness casts inputs to fp16 inside the program and the outputs back to fp32,
 * so fp16 compute is exercised on every target, iOS15 included.
 * @module
 */
import { type DType, FunctionBuilder, Program, type Value, WeightStore, syntheticSource } from '@fastvlm/graph';
import type { Target } from '@fastvlm/emit-coreml';

/** What a case builds with. */
export interface CaseBuilder {
  /** The data dtype of this variant (fp32, fp16, int32...). */
  readonly dt: DType;
  /** A function input of the variant's dtype (declared fp32/int32 and cast inside for fp16/bool). */
  input(name: string, shape: readonly number[], dtype?: DType): Value;
  /** A weight-store constant (synthetic, deterministic) of the variant's dtype unless given. */
  weight(name: string, shape: readonly number[], dtype?: DType, opts?: { low?: number; high?: number }): Value;
  /** An inline constant. */
  inline(name: string, shape: readonly number[], values: readonly number[], dtype?: DType): Value;
  /** Adds an op; returns its outputs. */
  op(kind: string, inputs: Readonly<Record<string, Value | readonly Value[]>>, attrs?: Readonly<Record<string, import('@fastvlm/graph').AttrValue>>, name?: string): Value[];
  /** Adds a single-output op. */
  op1(kind: string, inputs: Readonly<Record<string, Value | readonly Value[]>>, attrs?: Readonly<Record<string, import('@fastvlm/graph').AttrValue>>, name?: string): Value;
}

/** One covered op form. */
export interface OpCase {
  /** Unique case name (also the package name). */
  readonly name: string;
  /** IR op kinds this case exercises (for the every-op coverage check). */
  readonly covers: readonly string[];
  /** Data dtype variants. */
  readonly dtypes: readonly DType[];
  /** Lowest target the case lowers for (older targets must give E_LOWER_TARGET). */
  readonly minTarget?: Target;
  /** Builds the body; returns the function outputs. */
  readonly build: (b: CaseBuilder) => Value[];
}

const F = ['fp32', 'fp16'] as const;
const FI = ['fp32', 'fp16', 'int32'] as const;

const binaryCases: OpCase[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'].map((k) => ({
  name: k,
  covers: [k],
  dtypes: FI,
  build: (b) => [b.op1(k, { x: b.input('x', [2, 3]), y: b.input('y', [3]) }, {}, 'out')],
}));

const compareCases: OpCase[] = ['equal', 'not_equal', 'less', 'less_equal', 'greater', 'greater_equal'].map((k) => ({
  name: k,
  covers: [k],
  dtypes: FI,
  build: (b) => [b.op1(k, { x: b.input('x', [2, 3]), y: b.input('y', [2, 1]) }, {}, 'out')],
}));

const unaryCases: OpCase[] = [
  ...['neg', 'abs'].map((k): OpCase => ({ name: k, covers: [k], dtypes: FI, build: (b) => [b.op1(k, { x: b.input('x', [2, 3]) }, {}, 'out')] })),
  ...['exp', 'sqrt', 'tanh', 'erf', 'log', 'rsqrt'].map((k): OpCase => ({ name: k, covers: [k], dtypes: F, build: (b) => [b.op1(k, { x: b.input('x', [2, 3]) }, {}, 'out')] })),
  { name: 'log_eps', covers: ['log'], dtypes: F, build: (b) => [b.op1('log', { x: b.input('x', [4]) }, { epsilon: 1e-3 }, 'out')] },
  { name: 'rsqrt_eps', covers: ['rsqrt'], dtypes: F, build: (b) => [b.op1('rsqrt', { x: b.input('x', [4]) }, { epsilon: 1e-5 }, 'out')] },
];

const selectCast: OpCase[] = [
  {
    name: 'select',
    covers: ['select', 'greater'],
    dtypes: FI,
    build: (b) => {
      const x = b.input('x', [2, 3]);
      const y = b.input('y', [2, 3]);
      return [b.op1('select', { cond: b.op1('greater', { x, y }), a: x, b: y }, {}, 'out')];
    },
  },
  { name: 'cast_to_int32', covers: ['cast'], dtypes: ['fp32', 'fp16'], build: (b) => [b.op1('cast', { x: b.input('x', [2, 3]) }, { dtype: 'int32' }, 'out')] },
  { name: 'cast_to_fp16', covers: ['cast'], dtypes: ['fp32', 'int32'], build: (b) => [b.op1('cast', { x: b.input('x', [2, 3]) }, { dtype: 'fp16' }, 'out')] },
  { name: 'cast_to_bool', covers: ['cast'], dtypes: ['fp32', 'int32'], build: (b) => [b.op1('cast', { x: b.input('x', [5]) }, { dtype: 'bool' }, 'out')] },
  ...(['int8', 'uint8', 'int16'] as const).map((to): OpCase => ({
    name: `cast_to_${to}`,
    covers: ['cast'],
    dtypes: ['fp32', 'int32'],
    minTarget: 'ios17',
    build: (b) => [b.op1('cast', { x: b.op1('cast', { x: b.input('x', [5]) }, { dtype: to }) }, { dtype: 'int32' }, 'out')],
  })),
];

const activationCases: OpCase[] = [
  ...['relu', 'silu', 'sigmoid'].map((k): OpCase => ({ name: k, covers: [k], dtypes: F, build: (b) => [b.op1(k, { x: b.input('x', [2, 3]) }, {}, 'out')] })),
  ...['EXACT', 'TANH_APPROXIMATION', 'SIGMOID_APPROXIMATION'].map((mode): OpCase => ({
    name: `gelu_${mode.toLowerCase()}`,
    covers: ['gelu'],
    dtypes: F,
    build: (b) => [b.op1('gelu', { x: b.input('x', [2, 3]) }, { mode }, 'out')],
  })),
  { name: 'softmax_last', covers: ['softmax'], dtypes: F, build: (b) => [b.op1('softmax', { x: b.input('x', [2, 3]) }, {}, 'out')] },
  { name: 'softmax_axis0', covers: ['softmax'], dtypes: F, build: (b) => [b.op1('softmax', { x: b.input('x', [2, 3, 4]) }, { axis: 0 }, 'out')] },
];

const reduceCases: OpCase[] = ['reduce_sum', 'reduce_mean', 'reduce_max'].flatMap((k): OpCase[] => [
  { name: `${k}_axis`, covers: [k], dtypes: FI, build: (b) => [b.op1(k, { x: b.input('x', [2, 3, 4]) }, { axes: [1] }, 'out')] },
  { name: `${k}_keep`, covers: [k], dtypes: F, build: (b) => [b.op1(k, { x: b.input('x', [2, 3, 4]) }, { axes: [-1, 0], keep_dims: true }, 'out')] },
  { name: `${k}_all`, covers: [k], dtypes: F, build: (b) => [b.op1(k, { x: b.input('x', [2, 3]) }, { keep_dims: true }, 'out')] },
]);

const normCases: OpCase[] = [
  {
    name: 'batch_norm_const',
    covers: ['batch_norm'],
    dtypes: F,
    build: (b) => [
      b.op1('batch_norm', {
        x: b.input('x', [1, 3, 4, 4]),
        mean: b.weight('mean', [3]),
        variance: b.weight('variance', [3], undefined, { low: 0.5, high: 2 }),
        gamma: b.weight('gamma', [3]),
        beta: b.weight('beta', [3]),
      }, { epsilon: 1e-3 }, 'out'),
    ],
  },
  {
    name: 'batch_norm_computed',
    covers: ['batch_norm'],
    dtypes: F,
    build: (b) => [b.op1('batch_norm', { x: b.input('x', [2, 3, 5]), mean: b.input('mean', [3]), variance: b.weight('variance', [3], undefined, { low: 0.5, high: 2 }), beta: b.input('beta', [3]) }, {}, 'out')],
  },
  {
    name: 'layer_norm_last',
    covers: ['layer_norm'],
    dtypes: F,
    build: (b) => [b.op1('layer_norm', { x: b.input('x', [2, 3, 16]), gamma: b.weight('gamma', [16]), beta: b.weight('beta', [16]) }, { axes: [-1] }, 'out')],
  },
  { name: 'layer_norm_axes', covers: ['layer_norm'], dtypes: F, build: (b) => [b.op1('layer_norm', { x: b.input('x', [2, 3, 4]), gamma: b.weight('gamma', [3, 4]) }, { axes: [1, 2], epsilon: 1e-3 }, 'out')] },
  { name: 'layer_norm_all', covers: ['layer_norm'], dtypes: F, build: (b) => [b.op1('layer_norm', { x: b.input('x', [2, 3]) }, {}, 'out')] },
  {
    name: 'layer_norm_computed',
    covers: ['layer_norm'],
    dtypes: F,
    build: (b) => [b.op1('layer_norm', { x: b.input('x', [2, 3, 4]), gamma: b.input('gamma', [3]), beta: b.weight('beta', [3]) }, { axes: [1] }, 'out')],
  },
  { name: 'rms_norm', covers: ['rms_norm'], dtypes: F, build: (b) => [b.op1('rms_norm', { x: b.input('x', [2, 8]) }, {}, 'out')] },
  { name: 'rms_norm_gamma', covers: ['rms_norm'], dtypes: F, build: (b) => [b.op1('rms_norm', { x: b.input('x', [1, 5, 16]), gamma: b.weight('gamma', [16]) }, { epsilon: 1e-5 }, 'out')] },
  { name: 'rms_norm_mid_axis', covers: ['rms_norm'], dtypes: F, build: (b) => [b.op1('rms_norm', { x: b.input('x', [2, 4, 3]), gamma: b.input('gamma', [4]) }, { axes: [1] }, 'out')] },
];

const linalgCases: OpCase[] = [
  { name: 'matmul', covers: ['matmul'], dtypes: FI, build: (b) => [b.op1('matmul', { x: b.input('x', [2, 3]), y: b.weight('w', [3, 4]) }, {}, 'out')] },
  {
    name: 'matmul_batch_transposed',
    covers: ['matmul'],
    dtypes: F,
    build: (b) => [b.op1('matmul', { x: b.input('x', [2, 1, 3, 4]), y: b.input('y', [5, 2, 3]) }, { transpose_x: true, transpose_y: true }, 'out')],
  },
  { name: 'matmul_vector', covers: ['matmul'], dtypes: F, build: (b) => [b.op1('matmul', { x: b.input('x', [3]), y: b.input('y', [2, 3, 4]) }, {}, 'out')] },
  { name: 'matmul_matvec', covers: ['matmul'], dtypes: FI, build: (b) => [b.op1('matmul', { x: b.input('x', [2, 4, 3]), y: b.input('y', [4]) }, { transpose_x: true }, 'out')] },
  { name: 'matmul_dot', covers: ['matmul'], dtypes: F, build: (b) => [b.op1('add', { x: b.op1('matmul', { x: b.input('x', [3]), y: b.input('y', [3]) }), y: b.input('z', [1]) }, {}, 'out')] },
  { name: 'linear', covers: ['linear'], dtypes: FI, build: (b) => [b.op1('linear', { x: b.input('x', [2, 5, 16]), weight: b.weight('w', [8, 16]), bias: b.weight('bias', [8]) }, {}, 'out')] },
  { name: 'linear_nobias', covers: ['linear'], dtypes: F, build: (b) => [b.op1('linear', { x: b.input('x', [16]), weight: b.weight('w', [4, 16]) }, {}, 'out')] },
  { name: 'linear_computed', covers: ['linear'], dtypes: F, build: (b) => [b.op1('linear', { x: b.input('x', [3, 4]), weight: b.input('w', [2, 4]), bias: b.weight('bias', [2]) }, {}, 'out')] },
  {
    name: 'einsum_native4',
    covers: ['einsum'],
    dtypes: F,
    build: (b) => [b.op1('einsum', { values: [b.input('a', [1, 2, 3, 4]), b.input('b', [1, 4, 3, 5])] }, { equation: 'nchw,nwhu->nchu' }, 'out')],
  },
  {
    name: 'einsum_attention',
    covers: ['einsum'],
    dtypes: F,
    build: (b) => [b.op1('einsum', { values: [b.input('q', [1, 8, 2, 6]), b.input('k', [1, 5, 2, 8])] }, { equation: 'bchq,bkhc->bkhq' }, 'out')],
  },
  {
    name: 'einsum_attention_v',
    covers: ['einsum'],
    dtypes: F,
    build: (b) => [b.op1('einsum', { values: [b.input('w', [1, 5, 2, 6]), b.input('v', [1, 8, 2, 5])] }, { equation: 'bkhq,bchk->bchq' }, 'out')],
  },
  { name: 'einsum_native3', covers: ['einsum'], dtypes: F, build: (b) => [b.op1('einsum', { values: [b.input('a', [2, 3, 4]), b.input('b', [4, 1, 5])] }, { equation: 'chw,whr->chr' }, 'out')] },
  { name: 'einsum_bmm', covers: ['einsum'], dtypes: F, build: (b) => [b.op1('einsum', { values: [b.input('a', [2, 3, 4]), b.input('b', [2, 4, 5])] }, { equation: 'bij,bjk->bik' }, 'out')] },
  { name: 'einsum_transposed', covers: ['einsum'], dtypes: F, build: (b) => [b.op1('einsum', { values: [b.input('a', [3, 4]), b.weight('w', [5, 4])] }, { equation: 'bi,oi->ob' }, 'out')] },
  { name: 'einsum_outer', covers: ['einsum'], dtypes: F, build: (b) => [b.op1('einsum', { values: [b.input('a', [3]), b.input('b', [4])] }, { equation: 'i,j->ij' }, 'out')] },
  {
    name: 'einsum_general',
    covers: ['einsum'],
    dtypes: F,
    build: (b) => [b.op1('einsum', { values: [b.input('a', [2, 3, 4, 5]), b.input('b', [5, 6, 3, 1])] }, { equation: 'abcd,dfbe->fca' }, 'out')],
  },
];

const convCases: OpCase[] = [
  { name: 'conv2d_valid', covers: ['conv2d'], dtypes: F, build: (b) => [b.op1('conv2d', { x: b.input('x', [1, 3, 8, 8]), weight: b.weight('w', [4, 3, 3, 3]) }, {}, 'out')] },
  {
    name: 'conv2d_same_bias',
    covers: ['conv2d'],
    dtypes: F,
    build: (b) => [b.op1('conv2d', { x: b.input('x', [1, 3, 7, 7]), weight: b.weight('w', [4, 3, 3, 3]), bias: b.weight('bias', [4]) }, { pad_type: 'same', strides: [2, 2] }, 'out')],
  },
  {
    name: 'conv2d_same_lower',
    covers: ['conv2d'],
    dtypes: F,
    minTarget: 'ios16',
    build: (b) => [b.op1('conv2d', { x: b.input('x', [1, 2, 6, 6]), weight: b.weight('w', [2, 2, 2, 2]) }, { pad_type: 'same_lower' }, 'out')],
  },
  {
    name: 'conv2d_custom_dilated',
    covers: ['conv2d'],
    dtypes: F,
    build: (b) => [b.op1('conv2d', { x: b.input('x', [1, 2, 9, 9]), weight: b.weight('w', [3, 2, 3, 3]) }, { pad_type: 'custom', pad: [1, 2, 0, 1], dilations: [2, 1] }, 'out')],
  },
  {
    name: 'conv2d_depthwise',
    covers: ['conv2d'],
    dtypes: F,
    build: (b) => [b.op1('conv2d', { x: b.input('x', [1, 4, 6, 6]), weight: b.weight('w', [4, 1, 3, 3]) }, { groups: 4, pad_type: 'same' }, 'out')],
  },
  {
    name: 'conv2d_computed_bias',
    covers: ['conv2d'],
    dtypes: F,
    build: (b) => [b.op1('conv2d', { x: b.input('x', [1, 2, 5, 5]), weight: b.weight('w', [3, 2, 1, 1]), bias: b.input('bias', [3]) }, {}, 'out')],
  },
  {
    name: 'conv2d_computed_weight',
    covers: ['conv2d'],
    dtypes: F,
    build: (b) => [b.op1('conv2d', { x: b.input('x', [1, 2, 5, 5]), weight: b.input('w', [3, 2, 3, 3]) }, {}, 'out')],
  },
  { name: 'avg_pool_valid', covers: ['avg_pool'], dtypes: F, build: (b) => [b.op1('avg_pool', { x: b.input('x', [1, 2, 6, 6]) }, { kernel_sizes: [2, 2], strides: [2, 2] }, 'out')] },
  { name: 'avg_pool_same', covers: ['avg_pool'], dtypes: F, build: (b) => [b.op1('avg_pool', { x: b.input('x', [1, 2, 5, 5]) }, { kernel_sizes: [3, 3], pad_type: 'same', exclude_padding_from_average: true }, 'out')] },
  {
    name: 'avg_pool_custom_ceil',
    covers: ['avg_pool'],
    dtypes: F,
    build: (b) => [b.op1('avg_pool', { x: b.input('x', [1, 2, 7, 7]) }, { kernel_sizes: [3, 3], strides: [2, 2], pad_type: 'custom', pad: [1, 1, 1, 1], ceil_mode: true }, 'out')],
  },
];

const shapeCases: OpCase[] = [
  { name: 'reshape', covers: ['reshape'], dtypes: FI, build: (b) => [b.op1('reshape', { x: b.input('x', [2, 3, 4]) }, { shape: [4, -1] }, 'out')] },
  { name: 'reshape_copy', covers: ['reshape'], dtypes: F, build: (b) => [b.op1('reshape', { x: b.input('x', [2, 3, 4]) }, { shape: [0, 12, 1] }, 'out')] },
  { name: 'transpose', covers: ['transpose'], dtypes: FI, build: (b) => [b.op1('transpose', { x: b.input('x', [2, 3, 4]) }, { perm: [2, 0, -2] }, 'out')] },
  { name: 'expand_dims', covers: ['expand_dims'], dtypes: FI, build: (b) => [b.op1('expand_dims', { x: b.input('x', [2, 3]) }, { axes: [0, -1] }, 'out')] },
  { name: 'squeeze_axes', covers: ['squeeze'], dtypes: FI, build: (b) => [b.op1('squeeze', { x: b.input('x', [1, 3, 1, 2]) }, { axes: [-2] }, 'out')] },
  { name: 'squeeze_all', covers: ['squeeze'], dtypes: F, build: (b) => [b.op1('squeeze', { x: b.input('x', [1, 3, 1, 2]) }, {}, 'out')] },
  { name: 'squeeze_none', covers: ['squeeze'], dtypes: F, build: (b) => [b.op1('squeeze', { x: b.input('x', [2, 3]) }, {}, 'out')] },
  {
    name: 'concat',
    covers: ['concat'],
    dtypes: FI,
    build: (b) => [b.op1('concat', { values: [b.input('a', [2, 3]), b.input('b', [2, 1]), b.weight('c', [2, 2])] }, { axis: -1 }, 'out')],
  },
  { name: 'split_num', covers: ['split'], dtypes: FI, build: (b) => b.op('split', { x: b.input('x', [2, 6]) }, { axis: 1, num_splits: 3 }, 'part') },
  { name: 'split_sizes', covers: ['split'], dtypes: F, build: (b) => b.op('split', { x: b.input('x', [5, 2]) }, { axis: 0, split_sizes: [1, 4] }, 'part') },
  { name: 'slice_basic', covers: ['slice'], dtypes: FI, build: (b) => [b.op1('slice', { x: b.input('x', [4, 6]) }, { begin: [1, 0], end: [3, 2147483647] }, 'out')] },
  {
    name: 'slice_strided',
    covers: ['slice'],
    dtypes: F,
    build: (b) => [b.op1('slice', { x: b.input('x', [5, 7, 3]) }, { begin: [-1, 1, 0], end: [-2147483648, 100, 3], strides: [-2, 3, 1] }, 'out')],
  },
  {
    name: 'slice_negative',
    covers: ['slice'],
    dtypes: F,
    build: (b) => [b.op1('slice', { x: b.input('x', [6, 4]) }, { begin: [-4, 3], end: [-1, 0], strides: [1, -1] }, 'out')],
  },
  {
    name: 'gather',
    covers: ['gather'],
    dtypes: FI,
    build: (b) => [b.op1('gather', { x: b.input('x', [3, 5]), indices: b.inline('idx', [2, 2], [4, 0, 1, 1], 'int32') }, { axis: 1 }, 'out')],
  },
  { name: 'gather_input_indices', covers: ['gather'], dtypes: F, build: (b) => [b.op1('gather', { x: b.weight('table', [10, 4]), indices: b.input('ids', [3], 'int32') }, {}, 'out')] },
  ...(['constant', 'reflect', 'replicate'] as const).map((mode): OpCase => ({
    name: `pad_${mode}`,
    covers: ['pad'],
    dtypes: F,
    build: (b) => [b.op1('pad', { x: b.input('x', [1, 2, 4, 5]) }, mode === 'constant' ? { pad: [1, 2, 0, 3], constant_val: 0.5 } : { pad: [1, 2, 2, 1], mode }, 'out')],
  })),
];

const generateCases: OpCase[] = [
  { name: 'band_part_causal', covers: ['band_part'], dtypes: FI, build: (b) => [b.op1('band_part', { x: b.input('x', [2, 4, 4]) }, { lower: -1, upper: 0 }, 'out')] },
  { name: 'band_part_band', covers: ['band_part'], dtypes: F, build: (b) => [b.op1('band_part', { x: b.input('x', [3, 5]) }, { lower: 1, upper: 2 }, 'out')] },
  {
    name: 'range',
    covers: ['range'],
    dtypes: FI,
    build: (b) => {
      const r = b.op1('range', {}, b.dt === 'int32' ? { start: 2, end: 11, step: 3, dtype: 'int32' } : { start: 0.5, end: -2, step: -0.75, dtype: b.dt });
      return [b.op1('add', { x: r, y: b.input('x', [1]) }, {}, 'out')];
    },
  },
  {
    name: 'fill',
    covers: ['fill'],
    dtypes: FI,
    build: (b) => [b.op1('add', { x: b.op1('fill', {}, { shape: [2, 3], value: 3, dtype: b.dt }), y: b.input('x', [3]) }, {}, 'out')],
  },
];

const constCases: OpCase[] = [
  {
    name: 'const_kinds',
    covers: ['const'],
    dtypes: ['fp32', 'fp16'],
    build: (b) => {
      const x = b.input('x', [2, 8]);
      const big = b.weight('big', [2, 8]);
      const small = b.inline('small', [8], [0.5, -1, 2, 0.25, 3, -0.125, 1, 4]);
      const i32 = b.op1('cast', { x: b.inline('ints', [2, 8], Array.from({ length: 16 }, (_, i) => i - 7), 'int32') }, { dtype: b.dt });
      return [b.op1('add', { x: b.op1('add', { x: b.op1('mul', { x, y: big }), y: small }), y: i32 }, {}, 'out')];
    },
  },
];

const compressedCases: OpCase[] = [
  {
    name: 'lut_linear_4bit',
    covers: ['lut_dequantize'],
    dtypes: F,
    minTarget: 'ios16',
    build: (b) => {
      const w = b.op1('lut_dequantize', { lut: b.weight('lut', [1, 1, 16, 1]), indices: b.weight('idx', [8, 16], 'uint4') }, {}, 'w');
      return [b.op1('linear', { x: b.input('x', [2, 16]), weight: w }, {}, 'out')];
    },
  },
  {
    name: 'lut_2bit_inline',
    covers: ['lut_dequantize'],
    dtypes: F,
    minTarget: 'ios16',
    build: (b) => [b.op1('add', { x: b.input('x', [3]), y: b.op1('lut_dequantize', { lut: b.inline('lut', [1, 4, 1], [0.5, -1, 2, 0]), indices: b.inline('idx', [3], [3, 0, 2], 'uint2') }) }, {}, 'out')],
  },
  {
    name: 'lut_8bit',
    covers: ['lut_dequantize'],
    dtypes: F,
    minTarget: 'ios16',
    build: (b) => [b.op1('add', { x: b.input('x', [4, 4]), y: b.op1('lut_dequantize', { lut: b.weight('lut', [1, 1, 256, 1]), indices: b.weight('idx', [4, 4], 'uint8') }) }, {}, 'out')],
  },
  {
    name: 'lut_3bit',
    covers: ['lut_dequantize'],
    dtypes: F,
    minTarget: 'ios18',
    build: (b) => [b.op1('add', { x: b.input('x', [4, 8]), y: b.op1('lut_dequantize', { lut: b.weight('lut', [1, 1, 8, 1]), indices: b.weight('idx', [4, 8], 'uint3') }) }, {}, 'out')],
  },
  {
    name: 'lut_grouped',
    covers: ['lut_dequantize'],
    dtypes: F,
    minTarget: 'ios18',
    build: (b) => [b.op1('add', { x: b.input('x', [8, 16]), y: b.op1('lut_dequantize', { lut: b.weight('lut', [2, 1, 16, 1]), indices: b.weight('idx', [8, 16], 'uint4') }) }, {}, 'out')],
  },
  {
    name: 'lut_vector',
    covers: ['lut_dequantize'],
    dtypes: F,
    minTarget: 'ios18',
    build: (b) => [b.op1('add', { x: b.input('x', [4, 16]), y: b.op1('lut_dequantize', { lut: b.weight('lut', [1, 1, 4, 2]), indices: b.weight('idx', [4, 8], 'uint2') }, { vector_axis: 1 }) }, {}, 'out')],
  },
  {
    name: 'affine_per_channel',
    covers: ['affine_dequantize'],
    dtypes: F,
    minTarget: 'ios16',
    build: (b) => {
      const w = b.op1('affine_dequantize', { quantized_data: b.weight('q', [8, 16], 'int8'), zero_point: b.weight('zp', [8], 'int8', { low: -3, high: 3 }), scale: b.weight('scale', [8]) }, { axis: 0 }, 'w');
      return [b.op1('linear', { x: b.input('x', [2, 16]), weight: w }, {}, 'out')];
    },
  },
  {
    name: 'affine_scalar',
    covers: ['affine_dequantize'],
    dtypes: F,
    minTarget: 'ios16',
    build: (b) => [b.op1('add', { x: b.input('x', [6, 10]), y: b.op1('affine_dequantize', { quantized_data: b.weight('q', [6, 10], 'uint8'), zero_point: b.inline('zp', [], [128], 'fp32'), scale: b.inline('scale', [], [0.03125]) }, { axis: 1 }) }, {}, 'out')],
  },
  {
    name: 'affine_mixed_zero_point',
    covers: ['affine_dequantize'],
    dtypes: F,
    minTarget: 'ios16',
    build: (b) => [b.op1('add', { x: b.input('x', [4, 10]), y: b.op1('affine_dequantize', { quantized_data: b.weight('q', [4, 10], 'uint8'), zero_point: b.weight('zp', [10], 'int8', { low: 0, high: 9 }), scale: b.weight('scale', [10]) }, { axis: -1 }) }, {}, 'out')],
  },
  {
    name: 'affine_fractional_zero_point',
    covers: ['affine_dequantize'],
    dtypes: F,
    minTarget: 'ios16',
    build: (b) => [b.op1('add', { x: b.input('x', [3, 4]), y: b.op1('affine_dequantize', { quantized_data: b.weight('q', [3, 4], 'int8'), zero_point: b.inline('zp', [], [1.3], 'fp32'), scale: b.inline('scale', [3], [0.5, 0.25, 2]) }, { axis: 0 }) }, {}, 'out')],
  },
  {
    name: 'blockwise_int4',
    covers: ['blockwise_dequantize'],
    dtypes: F,
    minTarget: 'ios18',
    build: (b) => {
      const w = b.op1('blockwise_dequantize', { data: b.weight('q', [8, 16], 'int4'), scale: b.weight('scale', [8, 2]), offset: b.weight('offset', [8, 2], 'int4', { low: -2, high: 2 }) }, {}, 'w');
      return [b.op1('linear', { x: b.input('x', [2, 16]), weight: w }, {}, 'out')];
    },
  },
  {
    name: 'blockwise_uint8_float_offset',
    covers: ['blockwise_dequantize'],
    dtypes: F,
    minTarget: 'ios18',
    build: (b) => [b.op1('add', { x: b.input('x', [4, 8]), y: b.op1('blockwise_dequantize', { data: b.weight('q', [4, 8], 'uint8'), scale: b.weight('scale', [2, 4]), offset: b.weight('offset', [2, 4]) }) }, {}, 'out')],
  },
];

/** Every case. */
export const OP_CASES: readonly OpCase[] = [
  ...constCases,
  ...binaryCases,
  ...compareCases,
  ...unaryCases,
  ...selectCast,
  ...activationCases,
  ...reduceCases,
  ...normCases,
  ...linalgCases,
  ...convCases,
  ...shapeCases,
  ...generateCases,
  ...compressedCases,
];

/** Boundary dtype of a data dtype: what a function input or output holds. */
function ioDtype(dt: DType): DType {
  return dt === 'fp16' ? 'fp32' : dt === 'bool' || dt === 'int8' || dt === 'int16' || dt === 'uint8' ? 'int32' : dt;
}

/** Builds case `c` in dtype `dt` as a one-function Program (function `main`). */
export function buildCase(c: OpCase, dt: DType, seed = 1): Program {
  const store = new WeightStore();
  const f = new FunctionBuilder('main');
  const b: CaseBuilder = {
    dt,
    input(name, shape, dtype = dt) {
      const io = ioDtype(dtype);
      const v = f.input(name, { dtype: io, shape: [...shape] });
      return io === dtype ? v : f.add('cast', { x: v }, { dtype }, { hint: `${name}_${dtype}` })[0]!;
    },
    weight(name, shape, dtype = dt, opts = {}) {
      const kind = opts.low !== undefined ? { kind: 'uniform' as const, low: opts.low, high: opts.high ?? 1 } : dtype === 'int32' ? { kind: 'uniform' as const, low: -5, high: 5 } : {};
      store.add(`${c.name}.${name}`, syntheticSource(`${c.name}.${name}`, dtype, [...shape], { seed, ...kind }));
      return f.add('const', {}, { dtype, shape: [...shape], weight: `${c.name}.${name}` }, { names: [name] })[0]!;
    },
    inline(name, shape, values, dtype = dt) {
      return f.add('const', {}, { dtype, shape: [...shape], value: [...values] }, { names: [name] })[0]!;
    },
    op(kind, inputs, attrs = {}, name) {
      return f.add(kind, inputs, attrs, name ? { hint: name } : {});
    },
    op1(kind, inputs, attrs = {}, name) {
      return f.add(kind, inputs, attrs, name ? { hint: name } : {})[0]!;
    },
  };
  const outs = c.build(b).map((v) => {
    const io = ioDtype(v.type.dtype);
    return io === v.type.dtype ? v : f.add('cast', { x: v }, { dtype: io }, { hint: `${v.name}_io` })[0]!;
  });
  if (f.fn.inputs.length === 0) f.input('x', { dtype: 'fp32', shape: [1] });
  f.output(...outs);
  const p = new Program(store);
  p.addFunction(f.fn);
  return p;
}
