/**
 * `fuse-silu`: `x * sigmoid(x)` -> `silu(x)`.
 * @module
 */
import { type RewritePattern, capture, op, pattern } from '../rewrite/index.js';
import { patternPass } from '../rewrite/pattern-pass.js';
import { keepsType } from './util.js';

/** The patterns of `fuse-silu`. */
export const SILU_PATTERNS: readonly RewritePattern[] = [
  pattern({
    name: 'mul-sigmoid',
    root: op('mul', { x: capture('x'), y: op('sigmoid', { x: capture('x') }, { singleUse: true }) }),
    where: (m) => keepsType(m.root, m.value('x')),
    rewrite: (m, b) => b.op('silu', { x: m.value('x') }, {}, 'silu'),
  }),
];

/** Fuses `mul(x, sigmoid(x))` (either operand order) into `silu(x)`. */
export const fuseSilu = patternPass({
  name: 'fuse-silu',
  summary: 'Fuses x * sigmoid(x) into silu(x).',
  doc: `\`mul(x, sigmoid(x))\`, in either operand order, becomes the native \`silu(x)\` when the
sigmoid has no other use.

Before:
\`\`\`
func main(%x: fp32[2,8]) -> (%y) {
  %s = sigmoid(x=%x) : fp32[2,8]
  %y = mul(x=%s, y=%x) : fp32[2,8]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[2,8]) -> (%y) {
  %y = silu(x=%x) : fp32[2,8]
  return %y
}
\`\`\``,
  patterns: SILU_PATTERNS,
});
