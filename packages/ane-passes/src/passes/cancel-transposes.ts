/**
 * `cancel-transposes`: merges chains of transposes and drops inverse pairs.
 * @module
 */
import { type RewritePattern, capture, op, pattern } from '../rewrite/index.js';
import { patternPass } from '../rewrite/pattern-pass.js';
import { composePerms, isIdentityPerm, passthrough, permOf } from './util.js';

/** The patterns of `cancel-transposes`. */
export const CANCEL_TRANSPOSE_PATTERNS: readonly RewritePattern[] = [
  pattern({
    name: 'transpose-of-transpose',
    root: op('transpose', { x: op('transpose', { x: capture('x') }, { as: 'inner' }) }),
    rewrite: (m, b) => {
      const perm = composePerms(permOf(m.op('inner')), permOf(m.root));
      return isIdentityPerm(perm) ? passthrough(m, b, m.value('x')) : b.op('transpose', { x: m.value('x') }, { perm }, 'transpose');
    },
  }),
];

/** Cancels `transpose(transpose(x))` into one transpose, or into `x` when the perms are inverse. */
export const cancelTransposes = patternPass({
  name: 'cancel-transposes',
  summary: 'Fuses consecutive transposes; inverse pairs disappear.',
  doc: `\`transpose(transpose(x, p1), p2)\` equals \`transpose(x, c)\` with \`c[i] = p1[p2[i]]\`; when
\`c\` is the identity both transposes go. Chains collapse to a fixpoint. The inner transpose
stays if something else uses it.

Before:
\`\`\`
func main(%x: fp32[1,2,3]) -> (%y) {
  %a = transpose(x=%x) {perm=[0,2,1]} : fp32[1,3,2]
  %b = transpose(x=%a) {perm=[0,2,1]} : fp32[1,2,3]
  %y = relu(x=%b) : fp32[1,2,3]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[1,2,3]) -> (%y) {
  %y = relu(x=%x) : fp32[1,2,3]
  return %y
}
\`\`\``,
  patterns: CANCEL_TRANSPOSE_PATTERNS,
});
