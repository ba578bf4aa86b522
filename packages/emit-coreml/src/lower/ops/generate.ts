/**
 * Generators: `band_part` maps one to one; `range` -> MIL `range_1d(end, start, step)` (note the
 * order) with scalar consts of the output dtype; `fill` -> MIL `fill(shape, value)`.
 * @module
 */
import type { DType } from '@fastvlm/graph';
import type { LoweringTable } from './types.js';

export const generateLowerings: LoweringTable = {
  band_part: (cx) => {
    cx.emit1('band_part', { x: cx.input('x'), lower: cx.int32('lower', cx.attr<number>('lower')), upper: cx.int32('upper', cx.attr<number>('upper')) }, cx.out());
  },
  range: (cx) => {
    const dtype = cx.attr<string>('dtype') as DType;
    cx.emit1(
      'range_1d',
      {
        end: cx.scalar('end', dtype, cx.attr<number>('end')),
        start: cx.scalar('start', dtype, cx.attr<number>('start')),
        step: cx.scalar('step', dtype, cx.attr<number>('step')),
      },
      cx.out(),
    );
  },
  fill: (cx) => {
    const dtype = cx.attr<string>('dtype') as DType;
    cx.emit1('fill', { shape: cx.int32s('shape', cx.attr<readonly number[]>('shape')), value: cx.scalar('value', dtype, cx.attr<number>('value')) }, cx.out());
  },
};
