/**
 * Activations map one to one; `gelu` passes its mode and `softmax` its axis as const inputs.
 * @module
 */
import type { LoweringTable, OpLowering } from './types.js';

const same = (mil: string): OpLowering => (cx) => {
  cx.emit1(mil, { x: cx.input('x') }, cx.out());
};

export const activationLowerings: LoweringTable = {
  relu: same('relu'),
  silu: same('silu'),
  sigmoid: same('sigmoid'),
  gelu: (cx) => {
    cx.emit1('gelu', { x: cx.input('x'), mode: cx.str('mode', cx.attr<string>('mode')) }, cx.out());
  },
  softmax: (cx) => {
    cx.emit1('softmax', { x: cx.input('x'), axis: cx.int32('axis', cx.attr<number>('axis')) }, cx.out());
  },
};
