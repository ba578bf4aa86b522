/**
 * `sink-transposes`: moves transposes below elementwise and data-movement ops, toward their
 * consumers (where they cancel) or the function outputs.
 * @module
 */
import { type Tensor, type Value, runOp } from '@fastvlm/graph';
import { constInfo, constReader } from '../ir/consts.js';
import { deriveConst } from '../ir/derive.js';
import { type Match, type RewritePattern, capture, constant, op, pattern } from '../rewrite/index.js';
import type { RewriteBuilder } from '../rewrite/builder.js';
import { patternPass } from '../rewrite/pattern-pass.js';
import { elementwiseKinds } from '../ir/traits.js';
import { invertPerm, permOf } from './util.js';
import { SINK_MOVEMENT_PATTERNS } from './sink-transposes-movement.js';

/** Elementwise ops with one tensor input `x` (attributes, e.g. cast's dtype, are kept), by trait. */
const UNARY_ELEMENTWISE = elementwiseKinds(['x']);
/** Elementwise ops with tensor inputs `x` and `y`, by trait. */
const BINARY_ELEMENTWISE = elementwiseKinds(['x', 'y']);

const transposeOf = (name: string, as: string) => op('transpose', { x: capture(name) }, { as, singleUse: true });

/**
 * The constant `c` laid out for the transposed operand: rank-extended with leading 1s and
 * permuted by the inverse perm, so `op(transpose(a, p), c) = transpose(op(a, c'), p)`.
 */
function permuteConst(b: RewriteBuilder, c: Value, perm: readonly number[]): Value {
  const info = constInfo(c)!;
  const readC = constReader(b.editor.program, c)!;
  const n = info.shape.reduce((x, y) => x * y, 1);
  if (n === 1 && info.shape.length <= perm.length) return c;
  const rank = perm.length;
  const ext = [...new Array<number>(rank - info.shape.length).fill(1), ...info.shape];
  const inv = invertPerm(perm);
  const read = (): Tensor => {
    const t = runOp('reshape', { x: readC() }, { shape: ext })[0]!;
    return runOp('transpose', { x: t }, { perm: inv })[0]!;
  };
  const shape = inv.map((i) => ext[i]!);
  return deriveConst(b, { transform: 'transpose', params: { perm: inv }, inputs: [c] }, `${c.name}.t`, info.dtype, shape, read);
}

function constRankOk(m: Match, name: string): boolean {
  return m.value(name).type.shape.length <= permOf(m.op('t')).length;
}

function binaryPatterns(kind: string): RewritePattern[] {
  return [
    pattern({
      name: `${kind}-of-transposes`,
      root: op(kind, { x: transposeOf('a', 't'), y: transposeOf('b', 't2') }, { commutative: false }),
      where: (m) => permOf(m.op('t')).join() === permOf(m.op('t2')).join(),
      rewrite: (m, b) => {
        const r = b.op(kind, { x: m.value('a'), y: m.value('b') }, m.root.attrs, kind);
        return b.op('transpose', { x: r }, { perm: permOf(m.op('t')) }, 'transpose');
      },
    }),
    pattern({
      name: `${kind}-transpose-const`,
      root: op(kind, { x: transposeOf('a', 't'), y: constant({ name: 'c' }) }, { commutative: false }),
      where: (m) => constRankOk(m, 'c'),
      rewrite: (m, b) => {
        const perm = permOf(m.op('t'));
        const r = b.op(kind, { x: m.value('a'), y: permuteConst(b, m.value('c'), perm) }, m.root.attrs, kind);
        return b.op('transpose', { x: r }, { perm }, 'transpose');
      },
    }),
    pattern({
      name: `${kind}-const-transpose`,
      root: op(kind, { x: constant({ name: 'c' }), y: transposeOf('a', 't') }, { commutative: false }),
      where: (m) => constRankOk(m, 'c'),
      rewrite: (m, b) => {
        const perm = permOf(m.op('t'));
        const r = b.op(kind, { x: permuteConst(b, m.value('c'), perm), y: m.value('a') }, m.root.attrs, kind);
        return b.op('transpose', { x: r }, { perm }, 'transpose');
      },
    }),
  ];
}

/** The patterns of `sink-transposes`. */
export const SINK_TRANSPOSE_PATTERNS: readonly RewritePattern[] = [
  pattern({
    name: 'unary-of-transpose',
    root: op([...UNARY_ELEMENTWISE], { x: transposeOf('a', 't') }),
    rewrite: (m, b) => {
      const r = b.op(m.root.kind, { x: m.value('a') }, m.root.attrs, m.root.kind);
      return b.op('transpose', { x: r }, { perm: permOf(m.op('t')) }, 'transpose');
    },
  }),
  ...BINARY_ELEMENTWISE.flatMap(binaryPatterns),
  ...SINK_MOVEMENT_PATTERNS,
];

/**
 * Moves single-use transposes below elementwise and data-movement ops, so they meet and cancel
 * or end at the function outputs.
 */
export const sinkTransposes = patternPass({
  name: 'sink-transposes',
  summary: 'Moves transposes below elementwise and data-movement ops, toward transposes they cancel with or the outputs.',
  doc: `Elementwise ops commute with transposes: \`f(transpose(x, p)) = transpose(f(x), p)\`. For a
unary op, for a binary op whose operands are transposes by the same perm, and for a binary op
with one transposed operand and one constant (the constant is re-laid out at compile time:
rank-extended with leading 1s and permuted by the inverse perm; a one-element constant is
kept), the transpose is moved below the op.

Data-movement ops commute with a transpose once their parameters follow the axes: \`pad\` (the
amounts move to the axes they pad before the transpose; mode and fill value kept), \`slice\`
(begin, end and strides permuted back), \`expand_dims\` and \`squeeze\` (the perm gains or loses
the unit axes), a \`reshape\` that only adds or drops size-1 axes (the reshape moves above; the
transpose disappears when the other axes stay in order) and \`concat\` when every input is a
transpose by the same perm (one transpose follows the concat, its axis mapped back). A KV
cache built per layer as transpose, pad, expand_dims and a concat over layers thus keeps one
transpose, at the cache output.

Only single-use transposes move (for concat: used by that concat only), so no transpose is
ever duplicated. Run \`cancel-transposes\` afterwards to remove the pairs that meet.

Before:
\`\`\`
func main(%k0: fp32[2,3], %k1: fp32[2,3]) -> (%y) {
  %a = transpose(x=%k0) {perm=[1,0]} : fp32[3,2]
  %b = transpose(x=%k1) {perm=[1,0]} : fp32[3,2]
  %pa = pad(x=%a) {pad=[0,1,0,0]} : fp32[4,2]
  %pb = pad(x=%b) {pad=[0,1,0,0]} : fp32[4,2]
  %ea = expand_dims(x=%pa) {axes=[0]} : fp32[1,4,2]
  %eb = expand_dims(x=%pb) {axes=[0]} : fp32[1,4,2]
  %y = concat(values=(%ea, %eb)) {axis=0} : fp32[2,4,2]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%k0: fp32[2,3], %k1: fp32[2,3]) -> (%y) {
  %pad = pad(x=%k0) {pad=[0,1]} : fp32[2,4]
  %pad_1 = pad(x=%k1) {pad=[0,1]} : fp32[2,4]
  %expand_dims = expand_dims(x=%pad) {axes=[0]} : fp32[1,2,4]
  %expand_dims_4 = expand_dims(x=%pad_1) {axes=[0]} : fp32[1,2,4]
  %concat = concat(values=(%expand_dims, %expand_dims_4)) {axis=0} : fp32[2,2,4]
  %y = transpose(x=%concat) {perm=[0,2,1]} : fp32[2,4,2]
  return %y
}
\`\`\``,
  patterns: SINK_TRANSPOSE_PATTERNS,
});
