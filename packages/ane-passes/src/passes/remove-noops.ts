/**
 * `remove-noops`: drops ops that return their input unchanged.
 * @module
 */
import type { Value } from '@fastvlm/graph';
import { sameType } from '../ir/editor.js';
import { type Match, type RewritePattern, any, capture, constant, op, pattern } from '../rewrite/index.js';
import { patternPass } from '../rewrite/pattern-pass.js';
import { isIdentityPerm, permOf } from './util.js';

/** The root's single output has the type of capture `x` (so broadcasting did not widen it). */
function keepsX(m: Match): boolean {
  return sameType(m.root.outputs[0]!.type, m.value('x').type);
}

const toX = (m: Match): Value => m.value('x');

/** `op(x, splat)` is x when the splat is the op's identity element (exact compare). */
function identityElement(kind: string, value: number, commutes: boolean): RewritePattern {
  return pattern({
    name: `${kind}-${value}`,
    root: op(kind, { x: capture('x'), y: constant({ splat: value, rel: 0 }) }, { commutative: commutes }),
    where: keepsX,
    rewrite: toX,
  });
}

/** The patterns of `remove-noops`. */
export const NOOP_PATTERNS: readonly RewritePattern[] = [
  identityElement('add', 0, true),
  identityElement('sub', 0, false),
  identityElement('mul', 1, true),
  identityElement('div', 1, false),
  identityElement('pow', 1, false),
  pattern({ name: 'reshape-same-shape', root: op('reshape', { x: capture('x') }), where: keepsX, rewrite: toX }),
  pattern({ name: 'squeeze-nothing', root: op('squeeze', { x: capture('x') }), where: keepsX, rewrite: toX }),
  pattern({ name: 'transpose-identity', root: op('transpose', { x: capture('x') }, { where: (o) => isIdentityPerm(permOf(o)) }), rewrite: toX }),
  pattern({ name: 'cast-same-dtype', root: op('cast', { x: capture('x') }), where: keepsX, rewrite: toX }),
  pattern({
    name: 'slice-everything',
    root: op('slice', { x: capture('x') }, { where: (o) => ((o.attrs.strides as readonly number[] | undefined) ?? []).every((s) => s === 1) }),
    // With unit strides an axis keeps its size only when the slice covers all of it.
    where: keepsX,
    rewrite: toX,
  }),
  pattern({ name: 'pad-zero', root: op('pad', { x: capture('x') }, { where: (o) => (o.attrs.pad as readonly number[]).every((p) => p === 0) }), where: keepsX, rewrite: toX }),
  pattern({ name: 'concat-one', root: op('concat', { values: [capture('x')] }), where: keepsX, rewrite: toX }),
  pattern({ name: 'split-one', root: op('split', { x: capture('x') }, { where: (o) => o.outputs.length === 1 }), where: keepsX, rewrite: toX }),
  pattern({
    name: 'select-same',
    root: op('select', { cond: any(), a: capture('x'), b: capture('x') }),
    where: keepsX,
    rewrite: toX,
  }),
];

/** Removes ops that leave their input unchanged. */
export const removeNoops = patternPass({
  name: 'remove-noops',
  summary: 'Removes ops that return their input unchanged (add 0, mul 1, identity reshapes and transposes...).',
  doc: `Replaces by its input every op that cannot change it: \`add\`/\`sub\` of a constant 0,
\`mul\`/\`div\`/\`pow\` by a constant 1 (splats compared exactly), \`reshape\` or \`squeeze\` to the same
shape, \`transpose\` by the identity permutation, \`cast\` to the same dtype, \`slice\` of everything
with unit strides, \`pad\` by zeros, \`concat\` or \`split\` of one piece, and \`select\` between two
equal values. An op is only removed when its result has exactly the type of its input, so a
constant that broadcasts to a larger shape keeps the op. A function output keeps its name: the
input takes it over, or, when the input is a function input, the op stays.

Before:
\`\`\`
func main(%x: fp32[2,3]) -> (%y) {
  %z = const() {dtype="fp32", shape=[], value=[0]} : fp32[]
  %a = add(x=%x, y=%z) : fp32[2,3]
  %b = transpose(x=%a) {perm=[0,1]} : fp32[2,3]
  %y = relu(x=%b) : fp32[2,3]
  return %y
}
\`\`\`
After (ops left without users by a removal, like the constant, go too):
\`\`\`
func main(%x: fp32[2,3]) -> (%y) {
  %y = relu(x=%x) : fp32[2,3]
  return %y
}
\`\`\``,
  patterns: NOOP_PATTERNS,
});
