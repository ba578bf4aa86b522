/**
 * `fuse-layer-norm`: decomposed mean/variance chains -> `layer_norm`.
 * @module
 */
import { type Dim, type Op, type Value, normAxis } from '@fastvlm/graph';
import { constInfo } from '../ir/consts.js';
import { deriveView } from '../ir/derive.js';
import { type Match, type RewritePattern, absent, capture, constant, oneOf, op, pattern } from '../rewrite/index.js';
import type { RewriteBuilder } from '../rewrite/builder.js';
import { patternPass } from '../rewrite/pattern-pass.js';
import { keepsType } from './util.js';

const keep = { keep_dims: true };
const x = capture('x');
const d = capture('d', op('sub', { x, y: op('reduce_mean', { x }, { attrs: keep, as: 'mean' }) }));
const dSquared = oneOf(op('mul', { x: capture('d'), y: capture('d') }), op('pow', { x: capture('d'), y: constant({ splat: 2 }) }));
const variance = op('reduce_mean', { x: dSquared }, { attrs: keep, as: 'var' });
const varPlusEps = op('add', { x: variance, y: constant({ name: 'eps', splat: (v) => v >= 0 }) });

/** Normalized axes of a reduce op (absent axes = all), sorted, non-negative. */
function axesOf(o: Op, rank: number): number[] | undefined {
  const a = o.attrs.axes as readonly number[] | undefined;
  if (a === undefined) return [...Array(rank).keys()];
  const out: number[] = [];
  for (const v of a) {
    const n = normAxis(v, rank);
    if (n === undefined || out.includes(n)) return undefined;
    out.push(n);
  }
  return out.sort((p, q) => p - q);
}

function coreWhere(m: Match): boolean {
  const rank = m.value('x').type.shape.length;
  const a = axesOf(m.op('mean'), rank);
  const b = axesOf(m.op('var'), rank);
  return a !== undefined && b !== undefined && a.join() === b.join() && a.length > 0 && keepsType(m.root, m.value('x'));
}

function epsilonOf(m: Match): number {
  let eps = m.has('eps') ? m.splat('eps') : 0;
  // rsqrt adds its own epsilon; keep it unless it is below fp32 resolution next to eps.
  const own = m.has('rsqrt') ? (m.op('rsqrt').attrs.epsilon as number) : 0;
  if (eps === 0 || own > eps * 1e-6) eps += own;
  return eps;
}

function coreRewrite(m: Match, b: RewriteBuilder): Value {
  const rank = m.value('x').type.shape.length;
  return b.op('layer_norm', { x: m.value('x') }, { axes: axesOf(m.op('mean'), rank)!, epsilon: epsilonOf(m) }, 'layer_norm');
}

/**
 * For a constant multiplying (or added to) a layer_norm output: its values as the
 * `gamma`/`beta` shape (x's sizes at the normalized axes), when it only varies along them.
 */
function paramFor(m: Match, b: RewriteBuilder, name: string): Value | undefined {
  const ln = m.op('ln');
  const xs = m.value('x').type.shape;
  const rank = xs.length;
  const axes = axesOf(ln, rank)!;
  const c = m.value(name);
  const cs = c.type.shape;
  if (cs.length > rank) return undefined;
  const want: Dim[] = axes.map((a) => xs[a]!);
  if (want.some((w) => typeof w !== 'number')) return undefined;
  // Right-align c against x: 1 off the normalized axes, the full size on them.
  for (let i = 0; i < rank; i++) {
    const ci = i - (rank - cs.length);
    const size = ci >= 0 ? cs[ci]! : 1;
    if (axes.includes(i) ? size !== xs[i] : size !== 1) return undefined;
  }
  if (cs.length === want.length && cs.every((s, i) => s === want[i])) return c;
  const info = constInfo(c)!;
  return deriveView(b, { transform: 'reshape', inputs: [c] }, `${c.name}.ln`, info.dtype, want as number[], c);
}

/** The patterns of `fuse-layer-norm`. */
export const LAYER_NORM_PATTERNS: readonly RewritePattern[] = [
  pattern({
    name: 'layer-norm-rsqrt',
    root: op('mul', { x: d, y: op('rsqrt', { x: oneOf(varPlusEps, variance) }, { as: 'rsqrt' }) }),
    where: coreWhere,
    rewrite: coreRewrite,
  }),
  pattern({
    name: 'layer-norm-div-sqrt',
    root: op('div', { x: d, y: op('sqrt', { x: varPlusEps }) }),
    where: coreWhere,
    rewrite: coreRewrite,
  }),
  pattern({
    name: 'layer-norm-gamma',
    root: op('mul', { x: op('layer_norm', { x, gamma: absent(), beta: absent() }, { as: 'ln', singleUse: true }), y: constant({ name: 'g' }) }),
    where: (m) => keepsType(m.root, m.value('x')),
    rewrite: (m, b) => {
      const g = paramFor(m, b, 'g');
      const ln = m.op('ln');
      return g && b.op('layer_norm', { x: m.value('x'), gamma: g }, ln.attrs, 'layer_norm');
    },
  }),
  pattern({
    name: 'layer-norm-beta',
    root: op('add', { x: op('layer_norm', { x, beta: absent() }, { as: 'ln', singleUse: true }), y: constant({ name: 'b' }) }),
    where: (m) => keepsType(m.root, m.value('x')),
    rewrite: (m, b) => {
      const beta = paramFor(m, b, 'b');
      const ln = m.op('ln');
      const gamma = ln.inputs.gamma as Value | undefined;
      return beta && b.op('layer_norm', { x: m.value('x'), ...(gamma ? { gamma } : {}), beta }, ln.attrs, 'layer_norm');
    },
  }),
];

/** Fuses decomposed layer norms (and their affine constants) into `layer_norm`. */
export const fuseLayerNorm = patternPass({
  name: 'fuse-layer-norm',
  summary: 'Fuses decomposed mean/variance/rsqrt chains (and the affine scale and shift) into layer_norm.',
  doc: `Recognizes \`d = x - reduce_mean(x, axes, keep_dims)\`, \`v = reduce_mean(d * d)\` (or
\`pow(d, 2)\`) over the same axes, and \`d * rsqrt(v + eps)\` or \`d / sqrt(v + eps)\`, and replaces
it by \`layer_norm(x, axes, epsilon=eps)\` (rsqrt's own epsilon is added). Then a following
multiply by a constant and add of a constant that vary only along the normalized axes become
the layer norm's \`gamma\` and \`beta\` (reshaped to the normalized axes' sizes).

Before:
\`\`\`
func main(%x: fp32[2,4]) -> (%y) {
  %m = reduce_mean(x=%x) {axes=[-1], keep_dims=true} : fp32[2,1]
  %d = sub(x=%x, y=%m) : fp32[2,4]
  %sq = mul(x=%d, y=%d) : fp32[2,4]
  %v = reduce_mean(x=%sq) {axes=[-1], keep_dims=true} : fp32[2,1]
  %eps = const() {dtype="fp32", shape=[], value=[0.00001]} : fp32[]
  %ve = add(x=%v, y=%eps) : fp32[2,1]
  %r = rsqrt(x=%ve) : fp32[2,1]
  %n = mul(x=%d, y=%r) : fp32[2,4]
  %g = const() {dtype="fp32", shape=[4], value=[1,2,3,4]} : fp32[4]
  %y = mul(x=%n, y=%g) : fp32[2,4]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[2,4]) -> (%y) {
  %g = const() {dtype="fp32", shape=[4], value=[1,2,3,4]} : fp32[4]
  %y = layer_norm(x=%x, gamma=%g) {axes=[1]} : fp32[2,4]
  return %y
}
\`\`\``,
  patterns: LAYER_NORM_PATTERNS,
});
