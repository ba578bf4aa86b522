/**
 * `linear-to-conv`: `linear` on (B, S, C) -> 1x1 `conv2d` on (B, C, 1, S).
 * @module
 */
import type { Value } from '@fastvlm/graph';
import { constInfo } from '../ir/consts.js';
import { deriveView } from '../ir/derive.js';
import { type RewritePattern, absent, any, capture, oneOf, op, pattern } from '../rewrite/index.js';
import { patternPass } from '../rewrite/pattern-pass.js';

/** The patterns of `linear-to-conv` for the given options. */
export function linearToConvPatterns(opts: { requireConstWeight: boolean }): RewritePattern[] {
  return [
    pattern({
      name: 'linear-to-conv',
      root: op('linear', { x: capture('x'), weight: capture('w'), bias: oneOf(absent(), any()) }),
      where: (m) => {
        const shape = m.value('x').type.shape;
        const r = shape.length;
        // conv2d needs static channels and spatial sizes: only the batch may be symbolic.
        const staticTail = shape.slice(r === 3 ? 1 : 0).every((d) => typeof d === 'number');
        return (r === 2 || r === 3) && staticTail && (!opts.requireConstWeight || constInfo(m.value('w')) !== undefined);
      },
      rewrite: (m, b) => {
        const x = m.value('x');
        const w = m.value('w');
        const bias = m.root.inputs.bias as Value | undefined;
        const rank = x.type.shape.length;
        const [o, i] = w.type.shape;
        const info = constInfo(w);
        // The weight gains two unit axes: [O, I] -> [O, I, 1, 1] (same element order).
        let w4: Value;
        if (info) {
          const shape = [o as number, i as number, 1, 1];
          w4 = deriveView(b, { transform: 'reshape', inputs: [w] }, `${w.name}.conv`, info.dtype, shape, w);
        } else {
          w4 = b.op('expand_dims', { x: w }, { axes: [2, 3] }, `${w.name}_conv`);
        }
        const lead = rank === 3 ? [1] : [0, 1];
        const e = b.op('expand_dims', { x }, { axes: lead }, 'expand_dims');
        const t = b.op('transpose', { x: e }, { perm: [0, 3, 1, 2] }, 'transpose');
        const c = b.op('conv2d', { x: t, weight: w4, ...(bias ? { bias } : {}) }, {}, 'conv2d');
        const t2 = b.op('transpose', { x: c }, { perm: [0, 2, 3, 1] }, 'transpose');
        return b.op('squeeze', { x: t2 }, { axes: lead }, 'squeeze');
      },
    }),
  ];
}

/** Rewrites `linear` on (B, S, C) (or (S, C)) as a 1x1 conv2d on (B, C, 1, S). */
export const linearToConv = patternPass({
  name: 'linear-to-conv',
  summary: 'Rewrites linear on (B, S, C) as a 1x1 conv2d on (B, C, 1, S) with boundary transposes.',
  doc: `The ANE runs 1x1 convolutions on channels-first (B, C, 1, S) tensors far better than
matrix products on (B, S, C). A \`linear(x, W[O, I], b)\` with x of rank 3 (B, S, C) (or rank 2,
treated as B = 1) becomes:
\`expand_dims\` (B, 1, S, C) -> \`transpose\` [0,3,1,2] (B, C, 1, S) -> \`conv2d\` with weight
[O, I, 1, 1] -> \`transpose\` [0,2,3,1] (B, 1, S, O) -> \`squeeze\` (B, S, O).
The sequence and channel sizes must be static (conv2d needs static spatial sizes; the batch may
be symbolic). A constant weight becomes a computed weight \`<weight>.conv\` of shape [O, I, 1, 1] (the same
bytes, read lazily); a non-constant weight gets an \`expand_dims\` unless \`requireConstWeight\`
(the default, since Core ML's iOS15 conv needs constant weights) skips it. The boundary
transposes and reshapes are what \`assign-layout\` removes when the surrounding region runs in
the ANE layout, so between two converted linears nothing is left.

Before:
\`\`\`
func main(%x: fp32[1,5,3]) -> (%y) {
  %w = const() {dtype="fp32", shape=[2,3], value=[1,2,3,4,5,6]} : fp32[2,3]
  %y = linear(x=%x, weight=%w) : fp32[1,5,2]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[1,5,3]) -> (%y) {
  %w.conv = const() {dtype="fp32", shape=[2,3,1,1], value=[1,2,3,4,5,6]} : fp32[2,3,1,1]
  %expand_dims = expand_dims(x=%x) {axes=[1]} : fp32[1,1,5,3]
  %transpose = transpose(x=%expand_dims) {perm=[0,3,1,2]} : fp32[1,3,1,5]
  %conv2d = conv2d(x=%transpose, weight=%w.conv) : fp32[1,2,1,5]
  %transpose_1 = transpose(x=%conv2d) {perm=[0,2,3,1]} : fp32[1,1,5,2]
  %y = squeeze(x=%transpose_1) {axes=[1]} : fp32[1,5,2]
  return %y
}
\`\`\``,
  options: {
    requireConstWeight: { kind: 'bool', default: true, doc: 'Only convert linears whose weight is a constant.' },
  },
  patterns: (o) => linearToConvPatterns(o),
});
