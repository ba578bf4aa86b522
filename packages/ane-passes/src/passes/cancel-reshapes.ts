/**
 * `cancel-reshapes`: merges chains of reshapes (squeeze and expand_dims included).
 * @module
 */
import { allOps, shapeEq } from '@fastvlm/graph';
import { type RewritePattern, capture, op, pattern } from '../rewrite/index.js';
import { patternPass } from '../rewrite/pattern-pass.js';
import { passthrough, symbolsCovered } from './util.js';

/** Ops that re-view their input's elements in row-major order under another shape, by trait. */
const RESHAPES = allOps().filter((d) => d.traits.layout === 'reshape').map((d) => d.name);

/** The patterns of `cancel-reshapes`. */
export const CANCEL_RESHAPE_PATTERNS: readonly RewritePattern[] = [
  pattern({
    name: 'reshape-of-reshape',
    root: op(RESHAPES, { x: op(RESHAPES, { x: capture('x') }) }),
    // A symbolic size can only be named by a reshape when its input carries it.
    where: (m) => symbolsCovered(m.root.outputs[0]!.type.shape, m.value('x').type.shape),
    rewrite: (m, b) => {
      const x = m.value('x');
      const shape = m.root.outputs[0]!.type.shape;
      return shapeEq(shape, x.type.shape) ? passthrough(m, b, x) : b.op('reshape', { x }, { shape: [...shape] }, 'reshape');
    },
  }),
];

/** Collapses `reshape(reshape(x))` (and squeeze/expand_dims chains) into one reshape or nothing. */
export const cancelReshapes = patternPass({
  name: 'cancel-reshapes',
  summary: 'Fuses consecutive reshapes, squeezes and expand_dims; a chain back to the input shape disappears.',
  doc: `Two consecutive shape-only ops (\`reshape\`, \`squeeze\`, \`expand_dims\`) keep the row-major
element order, so they equal one \`reshape\` to the final shape, or nothing when that is the
input's shape. Chains collapse to a fixpoint. Symbolic sizes are kept only when the input
carries them.

Before:
\`\`\`
func main(%x: fp32[2,6]) -> (%y) {
  %a = reshape(x=%x) {shape=[12]} : fp32[12]
  %b = expand_dims(x=%a) {axes=[0]} : fp32[1,12]
  %c = reshape(x=%b) {shape=[2,6]} : fp32[2,6]
  %y = relu(x=%c) : fp32[2,6]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[2,6]) -> (%y) {
  %y = relu(x=%x) : fp32[2,6]
  return %y
}
\`\`\``,
  patterns: CANCEL_RESHAPE_PATTERNS,
});
