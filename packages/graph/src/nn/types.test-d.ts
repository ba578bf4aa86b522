import { describe, expectTypeOf, it } from 'vitest';
import { graph } from '../builder/graph.js';
import type { TensorHandle } from '../builder/handle.js';
import { nn } from './index.js';

const f = graph().function('main');
const x3 = f.input('x', 'fp16', [1, 8, 64]);
const x4 = f.input('img', 'fp32', [1, 3, 32, 32]);
const xi = f.input('ids', 'int32', [1, 8]);

describe('nn layer types', () => {
  it('keep dtype and rank', () => {
    expectTypeOf(nn.linear(f, x3, { outFeatures: 32 })).toEqualTypeOf<TensorHandle<'fp16', 3>>();
    expectTypeOf(nn.rmsNorm(f, x3)).toEqualTypeOf<TensorHandle<'fp16', 3>>();
    expectTypeOf(nn.layerNorm(f, x4, { axes: [1] })).toEqualTypeOf<TensorHandle<'fp32', 4>>();
    expectTypeOf(nn.gatedMlp(f, x3, { intermediateSize: 128 })).toEqualTypeOf<TensorHandle<'fp16', 3>>();
    expectTypeOf(nn.conv2d(f, x4, { outChannels: 8, kernelSize: 3 })).toEqualTypeOf<TensorHandle<'fp32', 4>>();
    expectTypeOf(nn.attention(f, x3, { numHeads: 4 })).toEqualTypeOf<TensorHandle<'fp16', 3>>();
    expectTypeOf(nn.causalMask(f, 4, 4, 'fp16')).toEqualTypeOf<TensorHandle<'fp16', 2>>();
  });

  it('reject integer inputs, wrong ranks and unknown options', () => {
    // @ts-expect-error linear needs a float input
    nn.linear(f, xi, { outFeatures: 2 });
    // @ts-expect-error attention needs a rank-3 input
    nn.attention(f, x4, { numHeads: 4 });
    // @ts-expect-error conv2d needs a rank-4 input
    nn.conv2d(f, x3, { outChannels: 8, kernelSize: 3 });
    // @ts-expect-error pad_type literal
    nn.conv2d(f, x4, { outChannels: 8, kernelSize: 3, pad_type: 'full' });
    // @ts-expect-error unknown option
    nn.rmsNorm(f, x3, { epsilon: 1e-6 });
    // @ts-expect-error mask is 'causal' or a tensor
    nn.attention(f, x3, { numHeads: 4, mask: 'upper' });
  });
});
