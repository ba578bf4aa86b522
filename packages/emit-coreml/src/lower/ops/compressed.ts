/**
 * Compressed constants -> Core ML's constexpr ops, which the runtime materializes at load time
 * (their inputs must be constants; they are bound inline, never as separate `const` ops):
 *
 * - `lut_dequantize` -> `constexpr_lut_to_dense`. iOS16/17 form (op attributes): one table of
 *   scalars, indices packed into uint8 bytes, 1/2/4/6/8 bits, plus the output shape as uint32.
 *   iOS18 form (inline inputs): sub-byte indices shaped like the output, per-block tables and
 *   vector entries (`vector_axis`).
 * - `affine_dequantize` -> `constexpr_affine_dequantize` (iOS16/17, attributes) or, from iOS18,
 *   `constexpr_blockwise_shift_scale` with the scale and zero point reshaped to data's rank.
 * - `blockwise_dequantize` -> `constexpr_blockwise_shift_scale` (iOS18).
 * @module
 */
import { type DType, type Tensor, dtypeInfo, encodeTensor, roundToFp16, tensor } from '@fastvlm/graph';
import { immediateTensor } from '../../mil/values.js';
import type { MilArgument, MilValue } from '../../proto/mil-types.js';
import type { LoweringContext } from '../context.js';
import type { LoweringTable } from './types.js';

function inline(v: MilValue): MilArgument {
  return { arguments: [{ value: v }] };
}

/** `t` with a new shape (same elements). */
function reshaped(t: Tensor, shape: readonly number[]): Tensor {
  return { dtype: t.dtype, shape: [...shape], data: t.data };
}

const lutDequantize = (cx: LoweringContext): void => {
  const lut = cx.constValue('lut');
  const indices = cx.constValue('indices');
  const lutType = (cx.op.inputs.lut as { type: { shape: readonly (number | string)[] } }).type;
  const lutShape = lutType.shape as readonly number[];
  const nbits = dtypeInfo((cx.op.inputs.indices as { type: { dtype: DType } }).type.dtype).bits;
  const vectorAxis = cx.optAttr<number>('vector_axis');
  const out = cx.out();
  // The iOS16 form has one table of scalars and no 3-bit indices; anything else needs iOS18.
  const general = lutShape.slice(0, -2).some((g) => g !== 1) || lutShape[lutShape.length - 1] !== 1 || ![1, 2, 4, 6, 8].includes(nbits);
  cx.require(general ? 'ios18' : 'ios16', general ? 'lut_dequantize with per-block tables, vector entries or 3-bit indices' : 'lut_dequantize (constexpr_lut_to_dense)');
  if (cx.atLeast('ios18')) {
    const inputs: Record<string, MilArgument> = { indices: inline(indices.val), lut: inline(lut.val) };
    if (vectorAxis !== undefined) inputs.vector_axis = inline(immediateTensor('int32', [], [vectorAxis]));
    cx.emitRaw({ type: 'constexpr_lut_to_dense', inputs }, [out]);
    return;
  }
  const packed = encodeTensor(indices.read());
  const table = lut.read();
  const outShape = out.type.shape as readonly number[];
  cx.emitRaw(
    {
      type: 'constexpr_lut_to_dense',
      attributes: {
        indices: cx.tensorValue({ dtype: 'uint8', shape: [packed.length], data: Int32Array.from(packed) }),
        lut: cx.tensorValue(reshaped(table, [table.data.length])),
        shape: immediateTensor('uint32', [outShape.length], outShape),
      },
    },
    [out],
  );
};

const affineDequantize = (cx: LoweringContext): void => {
  cx.require('ios16', 'affine_dequantize (constexpr_affine_dequantize)');
  const data = cx.constValue('quantized_data');
  const zp = cx.constValue('zero_point');
  const scale = cx.constValue('scale');
  const axis = cx.attr<number>('axis');
  const out = cx.out();
  if (!cx.atLeast('ios18')) {
    cx.emitRaw(
      {
        type: 'constexpr_affine_dequantize',
        attributes: { quantized_data: data.val, zero_point: zp.val, scale: scale.val, axis: immediateTensor('int32', [], [axis]) },
      },
      [out],
    );
    return;
  }
  // iOS18: the blockwise op with scale and offset laid out on data's rank. The offset keeps
  // data's dtype when the zero points fit it (they are integers in practice), else takes the
  // scale's dtype when exact; otherwise the iOS16 op, still valid on iOS18, is used.
  const dataDtype = (cx.op.inputs.quantized_data as { type: { dtype: DType } }).type.dtype;
  const rank = (cx.op.inputs.quantized_data as { type: { shape: readonly unknown[] } }).type.shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  const s0 = scale.read();
  const z0 = zp.read();
  // scale and offset share one grid (MIL wants equal shapes): a scalar is repeated per channel.
  const channels = Math.max(s0.data.length, z0.data.length);
  const grid = Array.from({ length: rank }, (_, i) => (i === ax ? channels : 1));
  const widen = (t: Tensor): Tensor => (t.data.length === channels ? t : tensor(t.dtype, [channels], new Array<number>(channels).fill(t.data[0]!)));
  const s = widen(s0);
  const info = dtypeInfo(dataDtype);
  const fits = (d: DType): boolean => Array.from(z0.data).every((v) => (d === 'fp16' ? roundToFp16(v) === v : d === 'fp32' ? true : Number.isInteger(v) && v >= info.min && v <= info.max));
  let z: Tensor | undefined;
  if (fits(dataDtype)) z = widen(z0.dtype === dataDtype ? z0 : tensor(dataDtype, z0.shape, Array.from(z0.data)));
  else if (fits(s.dtype)) z = widen(tensor(s.dtype, z0.shape, Array.from(z0.data)));
  if (!z) {
    cx.emitRaw(
      {
        type: 'constexpr_affine_dequantize',
        attributes: { quantized_data: data.val, zero_point: zp.val, scale: scale.val, axis: immediateTensor('int32', [], [axis]) },
      },
      [out],
    );
    return;
  }
  cx.emitRaw(
    {
      type: 'constexpr_blockwise_shift_scale',
      inputs: { data: inline(data.val), scale: inline(cx.tensorValue(reshaped(s, grid))), offset: inline(cx.tensorValue(reshaped(z, grid))) },
    },
    [out],
  );
};

const blockwiseDequantize = (cx: LoweringContext): void => {
  cx.require('ios18', 'blockwise_dequantize (constexpr_blockwise_shift_scale)');
  const inputs: Record<string, MilArgument> = { data: inline(cx.constValue('data').val), scale: inline(cx.constValue('scale').val) };
  if (cx.op.inputs.offset !== undefined) inputs.offset = inline(cx.constValue('offset').val);
  cx.emitRaw({ type: 'constexpr_blockwise_shift_scale', inputs }, [cx.out()]);
};

export const compressedLowerings: LoweringTable = {
  lut_dequantize: lutDequantize,
  affine_dequantize: affineDequantize,
  blockwise_dequantize: blockwiseDequantize,
};
