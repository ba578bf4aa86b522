/**
 * `fuse-batchnorm-into-conv`: folds an inference batch norm into the preceding conv.
 * @module
 */
import { type Tensor, type Value, allocData } from '@fastvlm/graph';
import { constReader, isConst } from '../ir/consts.js';
import { deriveConst } from '../ir/derive.js';
import { type Match, type RewritePattern, any, capture, op, pattern } from '../rewrite/index.js';
import type { RewriteBuilder } from '../rewrite/builder.js';
import { patternPass } from '../rewrite/pattern-pass.js';

function constsReady(m: Match): boolean {
  const bn = m.root;
  const conv = m.op('conv');
  const params = [bn.inputs.mean, bn.inputs.variance, bn.inputs.gamma, bn.inputs.beta, conv.inputs.weight, conv.inputs.bias];
  return params.every((v) => v === undefined || isConst(v as Value));
}

function fold(m: Match, b: RewriteBuilder): Value {
  const bn = m.root;
  const conv = m.op('conv');
  const out = conv.outputs[0]!;
  const dtype = out.type.dtype;
  const w = conv.inputs.weight as Value;
  const cOut = w.type.shape[0] as number;
  const read = (name: string, from = bn): (() => Tensor) | undefined => {
    const v = from.inputs[name] as Value | undefined;
    return v ? constReader(m.program, v) : undefined;
  };
  const [rMean, rVar, rGamma, rBeta, rW, rBias] = [read('mean'), read('variance'), read('gamma'), read('beta'), read('weight', conv), read('bias', conv)];
  const eps = bn.attrs.epsilon as number;
  const scale = (): Float64Array => {
    const v = rVar!().data;
    const g = rGamma?.().data;
    const s = new Float64Array(cOut);
    for (let o = 0; o < cOut; o++) s[o] = (g ? g[o]! : 1) / Math.sqrt(v[o]! + eps);
    return s;
  };
  const inputOf = (name: string, from = bn): Value | undefined => from.inputs[name] as Value | undefined;
  const scaleInputs = [inputOf('variance'), inputOf('gamma')];
  const weight = deriveConst(b, { transform: 'fuse-batchnorm-into-conv.weight', params: { eps }, inputs: [w, ...scaleInputs] }, `${w.name}.bn`, dtype, w.type.shape as readonly number[], (): Tensor => {
    const t = rW!();
    const s = scale();
    const per = t.data.length / cOut;
    const data = allocData(dtype, t.data.length);
    for (let o = 0; o < cOut; o++) for (let k = 0; k < per; k++) data[o * per + k] = t.data[o * per + k]! * s[o]!;
    return { dtype, shape: t.shape, data };
  });
  const biasInputs = [...scaleInputs, inputOf('mean'), inputOf('beta'), inputOf('bias', conv)];
  const bias = deriveConst(b, { transform: 'fuse-batchnorm-into-conv.bias', params: { eps }, inputs: biasInputs }, `${out.name}.bn_bias`, dtype, [cOut], (): Tensor => {
    const s = scale();
    const mean = rMean!().data;
    const beta = rBeta?.().data;
    const b0 = rBias?.().data;
    const data = allocData(dtype, cOut);
    for (let o = 0; o < cOut; o++) data[o] = ((b0 ? b0[o]! : 0) - mean[o]!) * s[o]! + (beta ? beta[o]! : 0);
    return { dtype, shape: [cOut], data };
  });
  return b.op('conv2d', { x: conv.inputs.x as Value, weight, bias }, conv.attrs, 'conv2d');
}

/** The patterns of `fuse-batchnorm-into-conv`. */
export const BATCHNORM_PATTERNS: readonly RewritePattern[] = [
  pattern({
    name: 'conv-batch-norm',
    root: op('batch_norm', { x: capture('c', op('conv2d', { weight: any() }, { as: 'conv', singleUse: true })) }),
    where: constsReady,
    rewrite: fold,
  }),
];

/** Folds `batch_norm(conv2d(x, w, b))` with constant statistics into one conv2d. */
export const fuseBatchnormIntoConv = patternPass({
  name: 'fuse-batchnorm-into-conv',
  summary: 'Folds an inference batch_norm into the conv2d before it.',
  doc: `With \`s = gamma / sqrt(variance + epsilon)\` per output channel, \`batch_norm(conv2d(x, w, b))\`
equals \`conv2d(x, w * s, (b - mean) * s + beta)\` (w scaled along its first axis; a missing bias,
gamma or beta counts as 0, 1, 0). Applies when the conv has no other use and every parameter
is a constant. The new weight and bias are computed constants: large ones become lazy
computed weights (\`<weight>.bn\`), so a big kernel is only scaled when the emitter streams it.

Before:
\`\`\`
func main(%x: fp32[1,1,2,2]) -> (%y) {
  %w = const() {dtype="fp32", shape=[2,1,1,1], value=[1,2]} : fp32[2,1,1,1]
  %c = conv2d(x=%x, weight=%w) : fp32[1,2,2,2]
  %mean = const() {dtype="fp32", shape=[2], value=[1,0]} : fp32[2]
  %var = const() {dtype="fp32", shape=[2], value=[4,1]} : fp32[2]
  %y = batch_norm(x=%c, mean=%mean, variance=%var) {epsilon=0} : fp32[1,2,2,2]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[1,1,2,2]) -> (%y) {
  %w.bn = const() {dtype="fp32", shape=[2,1,1,1], value=[0.5,2]} : fp32[2,1,1,1]
  %c.bn_bias = const() {dtype="fp32", shape=[2], value=[-0.5,0]} : fp32[2]
  %y = conv2d(x=%x, weight=%w.bn, bias=%c.bn_bias) : fp32[1,2,2,2]
  return %y
}
\`\`\``,
  patterns: BATCHNORM_PATTERNS,
});
