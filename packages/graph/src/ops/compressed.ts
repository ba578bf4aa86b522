/**
 * Compressed-constant ops: the dequantization of palettized (`lut_dequantize`) and linearly
 * quantized (`affine_dequantize`, `blockwise_dequantize`) weights. Their inputs are constants
 * in practice; they stay in the IR as ops so the interpreter can evaluate them, passes can see
 * them, and the emitter lowers them to Core ML's `constexpr_lut_to_dense`,
 * `constexpr_affine_dequantize` and `constexpr_blockwise_shift_scale`.
 * @module
 */
import type { OpDef } from './def.js';
import {
  AFFINE_DATA_DTYPES,
  AFFINE_ZERO_POINT_DTYPES,
  BLOCKWISE_DATA_DTYPES,
  BLOCKWISE_OFFSET_DTYPES,
  affineAxis,
  affineDequantize,
  blockwiseDequantize,
  blockwiseGrid,
} from './kernels/compressed-affine.js';
import { LUT_DTYPES, LUT_INDEX_DTYPES, lutDequantize, lutGeometry } from './kernels/compressed-lut.js';
import { attrInt, attrOpt, inTensor, inType, optTensor, optType } from './util.js';

const FAMILY = 'compressed';

const lutDequantizeOp: OpDef = {
  name: 'lut_dequantize',
  family: FAMILY,
  traits: { layout: 'fixed', commutative: false },
  doc:
    'Palettized constant: `output[p] = lut[block(p)][indices[p]]`. `indices` has nbits-bit entries (uint1/2/3/4/6/8) and the shape of the output; ' +
    '`lut` has shape [b_0, .., b_{K-1}, 2^nbits, V]: b_i tables along axis i of indices (each axis of indices a multiple of b_i; all 1 = one table per tensor, ' +
    '[G, 1, ..] = one table per group of output channels) holding 2^nbits entries of V elements. With V > 1 (vector palettization) each index writes V ' +
    'consecutive elements along `vector_axis`, whose output size is V times that of indices. The output has the dtype of lut. Lowered to ' +
    '`constexpr_lut_to_dense` (iOS16: one table of scalars, packed indices; iOS18: the general form).',
  inputs: [
    { name: 'lut', dtypes: LUT_DTYPES, doc: 'Look-up tables [..blocks per axis of indices.., 2^nbits, vector_size]. Listed first because the output takes its dtype.' },
    { name: 'indices', dtypes: LUT_INDEX_DTYPES, doc: 'Table indices, shaped like the output (the vector axis divided by vector_size).' },
  ],
  attrs: [{ name: 'vector_axis', kind: 'int', optional: true, doc: 'Axis along which vector entries are laid out; required when vector_size > 1.' }],
  outputs: [{ name: 'output', typing: 'dynamic', doc: 'The dense constant, dtype of lut.' }],
  infer(inputs, attrs) {
    const g = lutGeometry(inType(inputs, 'indices'), inType(inputs, 'lut'), attrOpt<number>(attrs, 'vector_axis'));
    return [{ dtype: inType(inputs, 'lut').dtype, shape: g.outShape }];
  },
  kernel(inputs, attrs) {
    return [lutDequantize(inTensor(inputs, 'indices'), inTensor(inputs, 'lut'), attrOpt<number>(attrs, 'vector_axis'))];
  },
};

const affineDequantizeOp: OpDef = {
  name: 'affine_dequantize',
  family: FAMILY,
  traits: { layout: 'fixed', commutative: false },
  doc:
    'Linearly quantized constant, one scale and zero point per tensor or per slice along `axis`: `output = scale[c] * (quantized_data - zero_point[c])` ' +
    'with c the index along axis (scalars apply to every element). The difference is taken in fp32 and the product rounded once to the dtype of scale, ' +
    'the output dtype. Lowered to `constexpr_affine_dequantize` (iOS16/17) or `constexpr_blockwise_shift_scale` (iOS18).',
  inputs: [
    { name: 'quantized_data', dtypes: AFFINE_DATA_DTYPES, doc: 'The 8-bit quantized values.' },
    { name: 'zero_point', dtypes: AFFINE_ZERO_POINT_DTYPES, doc: 'Zero point: a scalar or one per slice along axis.' },
    { name: 'scale', dtypes: ['fp16', 'fp32'], doc: 'Scale: a scalar or one per slice along axis; gives the output dtype.' },
  ],
  attrs: [{ name: 'axis', kind: 'int', default: 0, doc: 'Axis of quantized_data that vector scales and zero points run along.' }],
  outputs: [{ name: 'output', typing: 'broadcast:scale', doc: 'The dense constant, shaped like quantized_data with the dtype of scale.' }],
  infer(inputs, attrs) {
    const data = inType(inputs, 'quantized_data');
    const scale = inType(inputs, 'scale');
    affineAxis(data, scale, inType(inputs, 'zero_point'), attrInt(attrs, 'axis'));
    return [{ dtype: scale.dtype, shape: data.shape }];
  },
  kernel(inputs, attrs) {
    return [affineDequantize(inTensor(inputs, 'quantized_data'), inTensor(inputs, 'zero_point'), inTensor(inputs, 'scale'), attrInt(attrs, 'axis'))];
  },
};

const blockwiseDequantizeOp: OpDef = {
  name: 'blockwise_dequantize',
  family: FAMILY,
  traits: { layout: 'fixed', commutative: false },
  doc:
    'Block-wise linearly quantized constant (Core ML iOS18 `constexpr_blockwise_shift_scale`): `output[p] = scale[block(p)] * (data[p] - offset[block(p)])`. ' +
    '`scale` has the rank of data and each axis of data is a multiple of the scale\'s (block size = data dim / scale dim: per tensor, per channel and ' +
    'per block are all special cases); `offset` (default 0) has the shape of scale and the dtype of data, or the float dtype of scale. The product is ' +
    'rounded once to the dtype of scale, the output dtype.',
  inputs: [
    { name: 'data', dtypes: BLOCKWISE_DATA_DTYPES, doc: 'The quantized values (4 or 8 bits).' },
    { name: 'scale', dtypes: ['fp16', 'fp32'], doc: 'One scale per block, same rank as data.' },
    { name: 'offset', dtypes: BLOCKWISE_OFFSET_DTYPES, optional: true, doc: 'One offset (zero point) per block, shape of scale.' },
  ],
  attrs: [],
  outputs: [{ name: 'output', typing: 'same:scale', doc: 'The dense constant, shaped like data with the dtype of scale.' }],
  infer(inputs) {
    const data = inType(inputs, 'data');
    const scale = inType(inputs, 'scale');
    blockwiseGrid(data, scale, optType(inputs, 'offset'));
    return [{ dtype: scale.dtype, shape: data.shape }];
  },
  kernel(inputs) {
    return [blockwiseDequantize(inTensor(inputs, 'data'), inTensor(inputs, 'scale'), optTensor(inputs, 'offset'))];
  },
};

/** The compressed-constant ops. */
export const compressedOps: OpDef[] = [lutDequantizeOp, affineDequantizeOp, blockwiseDequantizeOp];
