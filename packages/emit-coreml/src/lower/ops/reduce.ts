/**
 * Reductions map one to one; `axes` (absent = every axis) and `keep_dims` become const inputs.
 * @module
 */
import type { LoweringTable, OpLowering } from './types.js';

const reduce = (mil: string): OpLowering => (cx) => {
  const axes = cx.optAttr<readonly number[]>('axes');
  cx.emit1(
    mil,
    {
      x: cx.input('x'),
      axes: axes === undefined ? undefined : cx.int32s('axes', axes),
      keep_dims: cx.bool('keep_dims', cx.attr<boolean>('keep_dims')),
    },
    cx.out(),
  );
};

export const reduceLowerings: LoweringTable = {
  reduce_mean: reduce('reduce_mean'),
  reduce_sum: reduce('reduce_sum'),
  reduce_max: reduce('reduce_max'),
};
