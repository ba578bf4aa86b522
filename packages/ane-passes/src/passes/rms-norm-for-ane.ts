/**
 * `rms-norm-for-ane`: `rms_norm` -> `layer_norm` over `concat([x, -x])`.
 * @module
 */
import { type Dim, type Value, normAxis } from '@fastvlm/graph';
import { constInfo } from '../ir/consts.js';
import { deriveView } from '../ir/derive.js';
import { type Match, type RewritePattern, capture, op, pattern } from '../rewrite/index.js';
import type { RewriteBuilder } from '../rewrite/builder.js';
import { patternPass } from '../rewrite/pattern-pass.js';

/** Slice end meaning "to the end of the axis". */
const TO_END = 2147483647;

function axesOf(m: Match): number[] | undefined {
  const rank = m.value('x').type.shape.length;
  const out: number[] = [];
  for (const a of m.root.attrs.axes as readonly number[]) {
    const n = normAxis(a, rank);
    if (n === undefined || out.includes(n)) return undefined;
    out.push(n);
  }
  return out.sort((p, q) => p - q);
}

/** gamma (shaped like x at the normalized axes) laid out to broadcast against x from `first` on. */
function broadcastGamma(m: Match, b: RewriteBuilder, gamma: Value, axes: readonly number[]): Value {
  const xs = m.value('x').type.shape;
  const first = axes[0]!;
  const shape: Dim[] = [];
  for (let k = first; k < xs.length; k++) shape.push(axes.includes(k) ? xs[k]! : 1);
  if (shape.length === gamma.type.shape.length) return gamma;
  const info = constInfo(gamma);
  if (info && shape.every((d) => typeof d === 'number')) {
    return deriveView(b, { transform: 'reshape', inputs: [gamma] }, `${gamma.name}.bcast`, info.dtype, shape as number[], gamma);
  }
  return b.op('reshape', { x: gamma }, { shape }, `${gamma.name}_bcast`);
}

/** The patterns of `rms-norm-for-ane`. */
export const RMS_NORM_PATTERNS: readonly RewritePattern[] = [
  pattern({
    name: 'rms-norm-as-layer-norm',
    root: op('rms_norm', { x: capture('x') }),
    where: (m) => {
      const axes = axesOf(m);
      // Halving the concatenated axis needs its size: a static first normalized axis.
      return axes !== undefined && axes.length > 0 && typeof m.value('x').type.shape[axes[0]!] === 'number';
    },
    rewrite: (m, b) => {
      const x = m.value('x');
      const axes = axesOf(m)!;
      const first = axes[0]!;
      const rank = x.type.shape.length;
      const neg = b.op('neg', { x }, {}, 'neg');
      const both = b.op('concat', { values: [x, neg] }, { axis: first }, 'concat');
      const ln = b.op('layer_norm', { x: both }, { axes, epsilon: m.root.attrs.epsilon as number }, 'layer_norm');
      const begin = new Array<number>(rank).fill(0);
      const end = new Array<number>(rank).fill(TO_END);
      end[first] = x.type.shape[first] as number;
      const half = b.op('slice', { x: ln }, { begin, end }, 'slice');
      const gamma = m.root.inputs.gamma as Value | undefined;
      return gamma ? b.op('mul', { x: half, y: broadcastGamma(m, b, gamma, axes) }, {}, 'mul') : half;
    },
  }),
];

/** Rewrites rms_norm as the ANE-native layer_norm over concat([x, -x]). */
export const rmsNormForAne = patternPass({
  name: 'rms-norm-for-ane',
  summary: 'Rewrites rms_norm as layer_norm over concat([x, -x]), first half, times the weight (ANEMLL).',
  doc: `The ANE has a native layer norm but no RMS norm. Over \`z = concat([x, -x])\` along the
(first) normalized axis the mean is 0 and the mean square equals that of x, so
\`layer_norm(z)\` = \`z / sqrt(mean(x^2) + eps)\`; its first half is \`x / rms(x)\`, which is then
multiplied by the weight (reshaped to broadcast from the first normalized axis on). The same
epsilon is kept. Needs a static size on the first normalized axis.

Before:
\`\`\`
func main(%x: fp32[1,2,4]) -> (%y) {
  %g = const() {dtype="fp32", shape=[4], value=[1,2,3,4]} : fp32[4]
  %y = rms_norm(x=%x, gamma=%g) : fp32[1,2,4]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[1,2,4]) -> (%y) {
  %g = const() {dtype="fp32", shape=[4], value=[1,2,3,4]} : fp32[4]
  %neg = neg(x=%x) : fp32[1,2,4]
  %concat = concat(values=(%x, %neg)) {axis=2} : fp32[1,2,8]
  %layer_norm = layer_norm(x=%concat) {axes=[2], epsilon=0.000001} : fp32[1,2,8]
  %slice = slice(x=%layer_norm) {begin=[0,0,0], end=[2147483647,2147483647,4]} : fp32[1,2,4]
  %y = mul(x=%slice, y=%g) : fp32[1,2,4]
  return %y
}
\`\`\``,
  patterns: RMS_NORM_PATTERNS,
});
