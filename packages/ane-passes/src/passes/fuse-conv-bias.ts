/**
 * `fuse-conv-bias`: `conv2d + per-channel constant` -> conv2d with a bias.
 * @module
 */
import { type Tensor, type Value, allocData } from '@fastvlm/graph';
import { constReader } from '../ir/consts.js';
import { deriveConst } from '../ir/derive.js';
import { type Match, type RewritePattern, capture, constant, op, pattern } from '../rewrite/index.js';
import type { RewriteBuilder } from '../rewrite/builder.js';
import { patternPass } from '../rewrite/pattern-pass.js';
import { keepsType } from './util.js';

/** True when the constant broadcasts per output channel of the conv (or is one value). */
function perChannel(m: Match): boolean {
  const conv = m.op('conv').outputs[0]!;
  const cs = m.value('c').type.shape;
  const rank = conv.type.shape.length;
  if (cs.length > rank) return false;
  for (let i = 0; i < cs.length; i++) {
    const axis = i + rank - cs.length;
    if (axis !== 1 && cs[i] !== 1) return false;
    if (axis === 1 && cs[i] !== 1 && cs[i] !== conv.type.shape[1]) return false;
  }
  return keepsType(m.root, conv) && (m.op('conv').inputs.bias === undefined || (m.op('conv').inputs.bias as Value).producer?.kind === 'const');
}

function fused(sign: 1 | -1) {
  return (m: Match, b: RewriteBuilder): Value => {
    const conv = m.op('conv');
    const out = conv.outputs[0]!;
    const cOut = out.type.shape[1] as number;
    const readC = constReader(m.program, m.value('c'))!;
    const bias = conv.inputs.bias as Value | undefined;
    const readB = bias ? constReader(m.program, bias)! : undefined;
    const dtype = out.type.dtype;
    const newBias = deriveConst(b, { transform: 'fuse-conv-bias.bias', params: { sign }, inputs: [m.value('c'), bias] }, `${out.name}.bias`, dtype, [cOut], (): Tensor => {
      const c = readC();
      const data = allocData(dtype, cOut);
      const base = readB?.().data;
      for (let o = 0; o < cOut; o++) data[o] = (base ? base[o]! : 0) + sign * c.data[c.data.length === 1 ? 0 : o]!;
      return { dtype, shape: [cOut], data };
    });
    return b.op('conv2d', { ...conv.inputs, bias: newBias }, conv.attrs, 'conv2d');
  };
}

const convOp = op('conv2d', {}, { as: 'conv', singleUse: true });

/** The patterns of `fuse-conv-bias`. */
export const CONV_BIAS_PATTERNS: readonly RewritePattern[] = [
  pattern({ name: 'conv-add-bias', root: op('add', { x: capture('cv', convOp), y: constant({ name: 'c' }) }), where: perChannel, rewrite: fused(1) }),
  pattern({ name: 'conv-sub-bias', root: op('sub', { x: capture('cv', convOp), y: constant({ name: 'c' }) }), where: perChannel, rewrite: fused(-1) }),
];

/** Folds an add (or sub) of a per-channel constant after a conv into the conv's bias. */
export const fuseConvBias = patternPass({
  name: 'fuse-conv-bias',
  summary: 'Folds a per-channel constant added after conv2d into its bias.',
  doc: `\`add(conv2d(x, w, b?), c)\` (either order) and \`sub(conv2d(...), c)\`, where \`c\` is a constant
that varies only along the channel axis (shape \`[C]\` right-aligned as \`[1,C,1,1]\`, \`[C,1,1]\`, or
one value), become \`conv2d(x, w, b + c)\` when the conv has no other use and its bias, if any, is
a constant. The new bias is a computed constant (inline when small).

Before:
\`\`\`
func main(%x: fp32[1,2,4,4]) -> (%y) {
  %w = const() {dtype="fp32", shape=[3,2,1,1], value=[1,2,3,4,5,6]} : fp32[3,2,1,1]
  %c = conv2d(x=%x, weight=%w) : fp32[1,3,4,4]
  %b = const() {dtype="fp32", shape=[1,3,1,1], value=[1,2,3]} : fp32[1,3,1,1]
  %y = add(x=%c, y=%b) : fp32[1,3,4,4]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[1,2,4,4]) -> (%y) {
  %w = const() {dtype="fp32", shape=[3,2,1,1], value=[1,2,3,4,5,6]} : fp32[3,2,1,1]
  %c.bias = const() {dtype="fp32", shape=[3], value=[1,2,3]} : fp32[3]
  %y = conv2d(x=%x, weight=%w, bias=%c.bias) : fp32[1,3,4,4]
  return %y
}
\`\`\``,
  patterns: CONV_BIAS_PATTERNS,
});
