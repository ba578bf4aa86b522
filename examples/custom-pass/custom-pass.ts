/**
 * A custom pass in a few lines: two declarative patterns, `x * 1 -> x` and
 * `mul(x, sigmoid(x)) -> silu(x)`, packaged as a pass and run by a PassManager next to the
 * built-in passes.
 * @module
 */
import { type Value, shapeEq } from '@fastvlm/graph';
import { PassManager, capture, constant, op, pattern, patternPass } from '@fastvlm/ane-passes';

/** `x * 1 -> x` (either operand order: `mul` is commutative for patterns). */
export const mulByOne = pattern({
  name: 'mul-by-one',
  root: op('mul', { x: capture('x'), y: constant({ splat: 1, rel: 0 }) }),
  // A broadcasting 1 can widen x: only drop the mul when the type stays the same.
  where: (m) => shapeEq(m.root.outputs[0]!.type.shape, m.value('x').type.shape),
  rewrite: (m): Value => m.value('x'),
});

/** `x * sigmoid(x) -> silu(x)`, when the sigmoid feeds nothing else. */
export const mulSigmoidToSilu = pattern({
  name: 'mul-sigmoid-to-silu',
  root: op('mul', { x: capture('x'), y: op('sigmoid', { x: capture('x') }, { singleUse: true }) }),
  rewrite: (m, b) => b.op('silu', { x: m.value('x') }),
});

/** The pass: both patterns, applied greedily to a fixpoint in every function. */
export const simplifySwish = patternPass({
  name: 'simplify-swish',
  summary: 'Drops multiplications by one and fuses x * sigmoid(x) into silu.',
  doc: `Example pass (examples/custom-pass).

Before:
\`\`\`
func main(%x: fp32[4]) -> (%y) {
  %one = const() {dtype="fp32", shape=[], value=[1]} : fp32[]
  %a = mul(x=%one, y=%x) : fp32[4]
  %s = sigmoid(x=%a) : fp32[4]
  %y = mul(x=%s, y=%a) : fp32[4]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[4]) -> (%y) {
  %y = silu(x=%x) : fp32[4]
  return %y
}
\`\`\``,
  patterns: [mulByOne, mulSigmoidToSilu],
});

/** A pipeline using the custom pass between built-in ones. */
export function pipeline(): PassManager {
  return new PassManager().add('fold-constants').add(simplifySwish).add('eliminate-dead-code');
}
