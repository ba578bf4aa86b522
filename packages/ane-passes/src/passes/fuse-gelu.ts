/**
 * `fuse-gelu`: the erf and tanh formulas of GELU -> `gelu`.
 * @module
 */
import { type OpPattern, type RewritePattern, type ValuePattern, capture, constant, oneOf, op, pattern } from '../rewrite/index.js';
import { patternPass } from '../rewrite/pattern-pass.js';
import { keepsType } from './util.js';

const x = capture('x');
const c = (v: number): ValuePattern => constant({ splat: v });

/** `x / sqrt(2)` or `x * (1/sqrt(2))`. */
const erfArg = oneOf(op('mul', { x, y: c(Math.SQRT1_2) }), op('div', { x, y: c(Math.SQRT2) }));
/** `x^3` written as pow or as products. */
const cube = oneOf(op('pow', { x, y: c(3) }), op('mul', { x, y: op('mul', { x, y: x }) }));
/** `sqrt(2/pi) * (x + 0.044715 x^3)`. */
const tanhArg = op('mul', { x: op('add', { x, y: op('mul', { x: cube, y: c(0.044715) }) }), y: c(Math.sqrt(2 / Math.PI)) });

/** `1 + erf(...)` and `1 + tanh(...)`. */
const erfTerm = op('add', { x: op('erf', { x: erfArg }), y: c(1) });
const tanhTerm = op('add', { x: op('tanh', { x: tanhArg }), y: c(1) });

/** The three groupings of `0.5 * x * term` (operand order is free: mul commutes). */
function halfTimes(term: ValuePattern): OpPattern[] {
  return [
    op('mul', { x: op('mul', { x, y: c(0.5) }), y: term }),
    op('mul', { x, y: op('mul', { x: term, y: c(0.5) }) }),
    op('mul', { x: op('mul', { x, y: term }), y: c(0.5) }),
  ];
}

function gelu(name: string, root: OpPattern, mode: string): RewritePattern {
  return pattern({
    name,
    root,
    where: (m) => keepsType(m.root, m.value('x')),
    rewrite: (m, b) => b.op('gelu', { x: m.value('x') }, { mode }, 'gelu'),
  });
}

/** The patterns of `fuse-gelu`. */
export const GELU_PATTERNS: readonly RewritePattern[] = [
  ...halfTimes(erfTerm).map((r, i) => gelu(`gelu-erf-${i}`, r, 'EXACT')),
  ...halfTimes(tanhTerm).map((r, i) => gelu(`gelu-tanh-${i}`, r, 'TANH_APPROXIMATION')),
  gelu('gelu-sigmoid', op('mul', { x, y: op('sigmoid', { x: op('mul', { x, y: c(1.702) }) }) }), 'SIGMOID_APPROXIMATION'),
];

/** Fuses the decomposed GELU formulas into `gelu` with the matching mode. */
export const fuseGelu = patternPass({
  name: 'fuse-gelu',
  summary: 'Fuses the erf, tanh and sigmoid formulas of GELU into gelu.',
  doc: `Recognizes, with constants matched to 1e-3 relative (so fp16-rounded constants match) and
any grouping and operand order of the products:
- \`0.5 * x * (1 + erf(x / sqrt(2)))\` (or \`x * 0.70710678\`) -> \`gelu(x)\` (mode EXACT);
- \`0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))\` with \`x^3\` as \`pow(x, 3)\` or
  \`x * (x * x)\` -> \`gelu(x, mode="TANH_APPROXIMATION")\`;
- \`x * sigmoid(1.702 * x)\` -> \`gelu(x, mode="SIGMOID_APPROXIMATION")\`.
The fused op must have the type of x (a broadcasting constant keeps the formula).

Before:
\`\`\`
func main(%x: fp32[2,8]) -> (%y) {
  %r = const() {dtype="fp32", shape=[], value=[0.7071067811865476]} : fp32[]
  %one = const() {dtype="fp32", shape=[], value=[1]} : fp32[]
  %half = const() {dtype="fp32", shape=[], value=[0.5]} : fp32[]
  %a = mul(x=%x, y=%r) : fp32[2,8]
  %e = erf(x=%a) : fp32[2,8]
  %p = add(x=%e, y=%one) : fp32[2,8]
  %h = mul(x=%x, y=%half) : fp32[2,8]
  %y = mul(x=%h, y=%p) : fp32[2,8]
  return %y
}
\`\`\`
After:
\`\`\`
func main(%x: fp32[2,8]) -> (%y) {
  %y = gelu(x=%x) : fp32[2,8]
  return %y
}
\`\`\``,
  patterns: GELU_PATTERNS,
});
