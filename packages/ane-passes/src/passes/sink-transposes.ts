/**
 * `sink-transposes`: moves transposes below elementwise ops, toward their consumers.
 * @module
 */
import { type Tensor, type Value, runOp } from '@fastvlm/graph';
import { constInfo, constReader } from '../ir/consts.js';
import { deriveConst } from '../ir/derive.js';
import { type Match, type RewritePattern, capture, constant, op, pattern } from '../rewrite/index.js';
import type { RewriteBuilder } from '../rewrite/builder.js';
import { patternPass } from '../rewrite/pattern-pass.js';
import { invertPerm, permOf } from './util.js';

/** Elementwise ops with one tensor input `x` (attributes, e.g. cast's dtype, are kept). */
export const UNARY_ELEMENTWISE = ['relu', 'gelu', 'silu', 'sigmoid', 'tanh', 'exp', 'log', 'sqrt', 'rsqrt', 'neg', 'abs', 'erf', 'cast'] as const;
/** Elementwise ops with tensor inputs `x` and `y`. */
export const BINARY_ELEMENTWISE = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'equal', 'not_equal', 'less', 'less_equal', 'greater', 'greater_equal'] as const;

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
];

/** Moves single-use transposes below elementwise ops so they meet and cancel. */
export const sinkTransposes = patternPass({
  name: 'sink-transposes',
  summary: 'Moves transposes below elementwise ops, toward transposes they can cancel with.',
  doc: `Elementwise ops commute with transposes: \`f(transpose(x, p)) = transpose(f(x), p)\`. For a
unary op, for a binary op whose operands are transposes by the same perm, and for a binary op
with one transposed operand and one constant (the constant is re-laid out at compile time:
rank-extended with leading 1s and permuted by the inverse perm; a one-element constant is
kept), the transpose is moved below the op. Only single-use transposes move, so no transpose
is ever duplicated. Run \`cancel-transposes\` afterwards to remove the pairs that meet.

Before:
\`\`\`
func main(%x: fp32[2,3]) -> (%y) {
  %a = transpose(x=%x) {perm=[1,0]} : fp32[3,2]
  %b = relu(x=%a) : fp32[3,2]
  %y = transpose(x=%b) {perm=[1,0]} : fp32[2,3]
  return %y
}
\`\`\`
After (and \`cancel-transposes\` then leaves only the relu):
\`\`\`
func main(%x: fp32[2,3]) -> (%y) {
  %relu = relu(x=%x) : fp32[2,3]
  %b = transpose(x=%relu) {perm=[1,0]} : fp32[3,2]
  %y = transpose(x=%b) {perm=[1,0]} : fp32[2,3]
  return %y
}
\`\`\``,
  patterns: SINK_TRANSPOSE_PATTERNS,
});
