/**
 * A model of your own, in your own file: a small image classifier written with the
 * @fastvlm/graph DSL (a stride-2 conv stem, two depthwise-separable blocks, global average
 * pooling and a linear head). The default export builds the Program; `fastvlm compile --module
 * examples/own-model/tiny-classifier.ts --out build/` compiles it, and so does compile.ts with
 * the library. Weights are deterministic synthetic values (a checkpoint would be a WeightStore
 * passed to `graph({ weights })`).
 */
import { type GraphFunction, type Program, type TensorHandle, graph, nn } from '@fastvlm/graph';

/** Input side and class count. */
export const SIDE = 64;
export const CLASSES = 10;

/** A depthwise 3x3 then a pointwise 1x1 conv, each followed by ReLU. */
function separable(f: GraphFunction, x: TensorHandle<'fp32', 4>, name: string, inC: number, outC: number, stride: number): TensorHandle<'fp32', 4> {
  const dw = nn.conv2d(f, x, { name: `${name}.dw`, outChannels: inC, kernelSize: 3, groups: inC, strides: [stride, stride], pad_type: 'same' });
  const pw = nn.conv2d(f, f.relu(dw), { name: `${name}.pw`, outChannels: outC, kernelSize: 1 });
  return f.relu(pw);
}

/** Builds the classifier: `image` fp32 [1, 3, 64, 64] -> `logits` fp32 [1, 10]. */
export default function tinyClassifier(): Program {
  const g = graph({ seed: 7 });
  const f = g.function('main');
  const image = f.input('image', 'fp32', [1, 3, SIDE, SIDE]);
  let x = f.relu(nn.conv2d(f, image, { name: 'stem', outChannels: 16, kernelSize: 3, strides: [2, 2], pad_type: 'same' }));
  x = separable(f, x, 'block1', 16, 32, 2);
  x = separable(f, x, 'block2', 32, 128, 2);
  const pooled = f.reshape(f.reduceMean(x, { axes: [2, 3] }), { shape: [1, 128] });
  f.output(nn.linear(f, pooled, { name: 'head', outFeatures: CLASSES }).named('logits'));
  return g.build();
}
