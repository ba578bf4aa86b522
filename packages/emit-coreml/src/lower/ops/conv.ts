/**
 * `conv2d` -> MIL `conv` and `avg_pool` -> MIL `avg_pool`, with strides, pad type, padding,
 * dilations and groups as const inputs (`pad` only for `custom`). `same_lower` needs ios16. Up
 * to ios16 MIL wants a constant conv bias; a computed one is added after the conv instead.
 * @module
 */
import type { LoweringContext } from '../context.js';
import type { LoweringTable } from './types.js';

const conv2d = (cx: LoweringContext): void => {
  const x = cx.input('x');
  const weight = cx.input('weight');
  let bias = cx.optInput('bias');
  const padType = cx.attr<string>('pad_type');
  if (padType === 'same_lower') cx.require('ios16', 'conv2d with pad_type same_lower');
  const lateBias = bias !== undefined && !bias.isConst && !cx.atLeast('ios17') ? bias : undefined;
  if (lateBias) bias = undefined;
  const params = {
    strides: cx.int32s('strides', cx.attr<readonly number[]>('strides')),
    pad_type: cx.str('pad_type', padType),
    pad: padType === 'custom' ? cx.int32s('pad', cx.attr<readonly number[]>('pad')) : undefined,
    dilations: cx.int32s('dilations', cx.attr<readonly number[]>('dilations')),
    groups: cx.int32('groups', cx.attr<number>('groups')),
  };
  const out = cx.out();
  const y = cx.emit1('conv', { x, weight, bias, ...params }, lateBias ? cx.temp('conv', out.type) : out);
  if (lateBias) {
    const c = lateBias.type.shape[0]!;
    const shape = cx.staticShape({ dtype: lateBias.type.dtype, shape: [c, 1, 1] }, 'bias');
    const b = cx.emit1('reshape', { x: lateBias, shape: cx.int32s('bias_shape', shape) }, cx.temp('bias_b', { dtype: lateBias.type.dtype, shape }));
    cx.emit1('add', { x: y, y: b }, out);
  }
};

const avgPool = (cx: LoweringContext): void => {
  const padType = cx.attr<string>('pad_type');
  cx.emit1(
    'avg_pool',
    {
      x: cx.input('x'),
      kernel_sizes: cx.int32s('kernel_sizes', cx.attr<readonly number[]>('kernel_sizes')),
      strides: cx.int32s('strides', cx.attr<readonly number[]>('strides')),
      pad_type: cx.str('pad_type', padType),
      pad: padType === 'custom' ? cx.int32s('pad', cx.attr<readonly number[]>('pad')) : undefined,
      exclude_padding_from_average: cx.bool('exclude_padding_from_average', cx.attr<boolean>('exclude_padding_from_average')),
      ceil_mode: cx.bool('ceil_mode', cx.attr<boolean>('ceil_mode')),
    },
    cx.out(),
  );
};

export const convLowerings: LoweringTable = {
  conv2d,
  avg_pool: avgPool,
};
