/**
 * Linear algebra. `matmul` maps one to one; `linear` maps to MIL `linear` when its weight and
 * bias are constants (MIL requires that) and to `matmul(transpose_y) + add` otherwise; `einsum`
 * uses MIL `einsum` for the one form Core ML runs (see {@link nativeEinsum}) and transpose +
 * reshape + matmul for every other equation.
 * @module
 */
import type { LoweringContext } from '../context.js';
import { lowerEinsum } from './einsum.js';
import type { LoweringTable } from './types.js';

const matmul = (cx: LoweringContext): void => {
  let x = cx.input('x');
  let y = cx.input('y');
  const tx = cx.attr<boolean>('transpose_x');
  const ty = cx.attr<boolean>('transpose_y');
  const xr = x.type.shape.length, yr = y.type.shape.length;
  if (xr > 1 && yr > 1) {
    cx.emit1('matmul', { x, y, transpose_x: cx.bool('transpose_x', tx), transpose_y: cx.bool('transpose_y', ty) }, cx.out());
    return;
  }
  // coremltools' matmul mis-infers rank-1 operands against batched ones, so do numpy's
  // promotion by hand: x [K] -> [1, K], y [K] -> [K, 1], then drop those unit axes again.
  if (xr === 1) x = cx.emit1('expand_dims', { x, axes: cx.int32s('x_axes', [0]) }, cx.temp('x2d', { dtype: x.type.dtype, shape: [1, ...x.type.shape] }));
  if (yr === 1) y = cx.emit1('expand_dims', { x: y, axes: cx.int32s('y_axes', [-1]) }, cx.temp('y2d', { dtype: y.type.dtype, shape: [...y.type.shape, 1] }));
  const out = cx.out();
  const squeeze = [...(xr === 1 ? [-2] : []), ...(yr === 1 ? [-1] : [])];
  const fullShape = [...out.type.shape.slice(0, out.type.shape.length - (2 - squeeze.length)), ...(xr === 1 ? [1] : [x.type.shape[x.type.shape.length - (tx ? 1 : 2)]!]), ...(yr === 1 ? [1] : [y.type.shape[y.type.shape.length - (ty ? 2 : 1)]!])];
  const mm = cx.emit1('matmul', { x, y, transpose_x: cx.bool('transpose_x', tx), transpose_y: cx.bool('transpose_y', ty) }, cx.temp('matmul', { dtype: out.type.dtype, shape: fullShape }));
  cx.emit1('squeeze', { x: mm, axes: cx.int32s('squeeze_axes', squeeze) }, out);
};

const linear = (cx: LoweringContext): void => {
  const x = cx.input('x');
  const weight = cx.input('weight');
  const bias = cx.optInput('bias');
  if (weight.isConst && (bias === undefined || bias.isConst)) {
    cx.emit1('linear', { x, weight, bias }, cx.out());
    return;
  }
  // Computed weight: y = x @ weight^T (+ bias).
  const mmType = cx.out().type;
  const mm = cx.emit1(
    'matmul',
    { x, y: weight, transpose_x: cx.bool('transpose_x', false), transpose_y: cx.bool('transpose_y', true) },
    bias ? cx.temp('matmul', mmType) : cx.out(),
  );
  if (bias) cx.emit1('add', { x: mm, y: bias }, cx.out());
};

export const linalgLowerings: LoweringTable = {
  matmul,
  linear,
  einsum: lowerEinsum,
};
