/**
 * `const` -> MIL `const` with attribute `val`: inline when small, otherwise a reference into
 * weight.bin streamed from the WeightStore (or encoded from the inline values).
 * @module
 */
import { type DType, tensor } from '@fastvlm/graph';
import type { LoweringTable } from './types.js';

export const constLowerings: LoweringTable = {
  const: (cx) => {
    const dtype = cx.attr<string>('dtype') as DType;
    const shape = cx.attr<readonly number[]>('shape');
    const weight = cx.optAttr<string>('weight');
    if (weight !== undefined) {
      cx.weightConst(cx.out(), weight, dtype, shape);
      return;
    }
    cx.constTo(cx.out(), tensor(dtype, shape, cx.attr<readonly number[]>('value')));
  },
};
