/**
 * A worst-case, per-element bound on how far a program run in fp16 may drift from the same
 * program run in fp32, for the `to-fp16` tests: a running error analysis (Wilkinson; Higham,
 * "Accuracy and Stability of Numerical Algorithms", ch. 3) carried op by op beside the fp32
 * reference values. Unlike a fixed tolerance it is tight where the program is well conditioned
 * and loose only where cancellation really amplifies rounding, so a pass that changes a value by
 * more than rounding (a constant off by 1%) fails. Test-only: not exported from the package entry.
 *
 * Model: the reference interpreter computes each op exactly (in float64) from its stored inputs
 * and stores the result once, in fp32 or in fp16 (an fp16 result goes through fp32 first, so it
 * is rounded twice). For an op y = f(x) with fp32 reference inputs x, fp16-program inputs x' and
 * |x' - x| <= e elementwise:
 *
 *   |y' - y| <= |round16(f(x')) - f(x')| + |f(x') - f(x)| + |f(x) - round32(f(x))|
 *            <= (1 + u16) L(e) + (u16 + 2 u32) |y| + 2^-25 + 2^-150,
 *
 * with u16 = 2^-11 and u32 = 2^-24 the unit roundoffs (the 2 u32 absorbs the double rounding
 * and |f(x)| <= (1 + u32) |y|), 2^-25 and 2^-150 half the subnormal spacings of fp16 and fp32,
 * and L(e) the propagated error of the exact op, by the mean value theorem:
 * - add, sub: e_x + e_y (broadcast); reduce_sum: the sum of e over the reduced axes;
 * - tanh: e (|tanh'| <= 1); sigmoid: e / 4 (|sigmoid'| <= 1/4);
 * - softmax: y_i (1 + u32) expm1(2 max_j e_j) over the slice, since perturbing the inputs by at
 *   most eps scales each output by a factor in [e^-2eps, e^2eps];
 * - relu and the layout ops (transpose, reshape, concat, split): exact in both precisions, so
 *   e moves with the data and no rounding term is added.
 * A `const` is rounded to fp16 once: e = u16 |c| + 2^-25. Inputs must be fp16-exact (e = 0).
 * The bound itself is computed with fp32 ops, which the caller covers by a 2^-12 relative slack.
 * @module
 */
import { type Op, type Program, type Tensor, type Value, interpret, roundToFp16, runOp } from '@fastvlm/graph';
import { runAll, testInputs } from './support.js';

const U16 = 2 ** -11;
const U32 = 2 ** -24;
/** Half the spacing of fp16 subnormals, plus that of fp32 ones. */
const SUBNORMAL = 2 ** -25 + 2 ** -150;

/** An fp32 tensor of `shape` with the given elements. */
function fp32(shape: readonly number[], data: ArrayLike<number>): Tensor {
  return { dtype: 'fp32', shape: [...shape], data: Float32Array.from(data) };
}

function map(t: Tensor, f: (v: number, i: number) => number): Tensor {
  return fp32(t.shape, Array.from(t.data, f));
}

/** (1 + u16) L + the rounding term of a result y. */
function rounded(propagated: Tensor, y: Tensor): Tensor {
  return map(propagated, (l, i) => (1 + U16) * l + (U16 + 2 * U32) * Math.abs(y.data[i]!) + SUBNORMAL);
}

/** The op's inputs with every value replaced by its error tensor. */
function errorInputs(op: Op, err: ReadonlyMap<Value, Tensor>): Record<string, Tensor | Tensor[]> {
  const of = (v: Value): Tensor => {
    const e = err.get(v);
    if (!e) throw new Error(`fp16 bound: no error for %${v.name}`);
    return e;
  };
  const out: Record<string, Tensor | Tensor[]> = {};
  for (const [k, v] of Object.entries(op.inputs)) out[k] = Array.isArray(v) ? (v as readonly Value[]).map(of) : of(v as Value);
  return out;
}

/** The error tensors of an op's outputs, given those of its inputs and its fp32 reference outputs. */
function opErrors(op: Op, err: ReadonlyMap<Value, Tensor>, ys: readonly Tensor[]): Tensor[] {
  const ins = errorInputs(op, err);
  const x = ins['x'] as Tensor;
  const y = ys[0]!;
  switch (op.kind) {
    case 'const':
      return [map(y, (c) => {
        if (Math.abs(c) > 65504) throw new Error(`fp16 bound: constant ${c} is beyond the fp16 range`);
        return U16 * Math.abs(c) + SUBNORMAL;
      })];
    case 'add':
    case 'sub':
      return [rounded(runOp('add', { x, y: ins['y'] as Tensor })[0]!, y)];
    case 'tanh':
      return [rounded(x, y)];
    case 'sigmoid':
      return [rounded(map(x, (e) => e / 4), y)];
    case 'reduce_sum':
      return [rounded(runOp('reduce_sum', { x }, op.attrs)[0]!, y)];
    case 'softmax': {
      const axis = op.attrs['axis'] ?? -1;
      const eps = runOp('reduce_max', { x }, { axes: [axis as number], keep_dims: true })[0]!;
      const growth = map(eps, (e) => Math.expm1(2 * e) * (1 + U32));
      return [rounded(runOp('mul', { x: y, y: growth })[0]!, y)];
    }
    case 'relu':
      return [x];
    case 'transpose':
    case 'reshape':
    case 'concat':
    case 'split':
      return runOp(op.kind, ins, op.attrs);
    default:
      throw new Error(`fp16 bound: no error rule for '${op.kind}'`);
  }
}

/**
 * Runs function `fn` of the fp32 program `p` on `inputs` (fp16-exact) and returns its outputs
 * with, for each, the elementwise bound on |fp16 result - fp32 result| of the same program
 * computed in fp16 (see the module doc).
 */
export function fp16ErrorBounds(p: Program, fn: string, inputs: Readonly<Record<string, Tensor>>): { readonly reference: Tensor[]; readonly bound: Tensor[] } {
  const f = p.fn(fn);
  const values = new Map<Value, Tensor>();
  interpret(p, fn, inputs, { onOp: (_kind, outs, ts) => outs.forEach((v, i) => values.set(v, ts[i]!)) });
  const err = new Map<Value, Tensor>();
  for (const v of f.inputs) {
    const t = inputs[v.name]!;
    values.set(v, t);
    for (const x of t.data) if (roundToFp16(x) !== x) throw new Error(`fp16 bound: input ${v.name} holds ${x}, not an fp16 value`);
    err.set(v, fp32(t.shape, new Float32Array(t.data.length)));
  }
  for (const op of f.body.ops) {
    const es = opErrors(op, err, op.outputs.map((o) => values.get(o)!));
    op.outputs.forEach((o, i) => err.set(o, es[i]!));
  }
  return { reference: f.outputs.map((v) => values.get(v)!), bound: f.outputs.map((v) => err.get(v)!) };
}

/** The relative slack on the bound for the fp32 arithmetic that computes it. */
const BOUND_SLACK = 1 + 2 ** -12;

/**
 * Throws unless every output element of `after` (the fp16 form of the fp32 program `before`)
 * is within {@link fp16ErrorBounds} of `before`'s, on the seeded inputs of `testInputs`; output
 * counts and shapes must match. Returns the largest |error| / bound seen (0 when all are exact).
 */
export function expectWithinFp16Bound(before: Program, after: Program, seed = 7): { readonly maxRatio: number } {
  const inputs = testInputs(before, seed);
  const got = runAll(after, inputs);
  let maxRatio = 0;
  for (const fn of before.functions.values()) {
    const { reference, bound } = fp16ErrorBounds(before, fn.name, inputs.get(fn.name)!);
    const outs = got.get(fn.name);
    if (!outs || outs.length !== reference.length) throw new Error(`${fn.name}: ${outs?.length ?? 0} outputs, expected ${reference.length}`);
    reference.forEach((want, i) => {
      const g = outs[i]!;
      if (g.shape.join() !== want.shape.join()) throw new Error(`${fn.name}#${i}: shape [${g.shape.join(',')}] != [${want.shape.join(',')}]`);
      for (let k = 0; k < want.data.length; k++) {
        const d = Math.abs(g.data[k]! - want.data[k]!);
        const b = bound[i]!.data[k]! * BOUND_SLACK;
        if (!(d <= b)) throw new Error(`${fn.name}#${i}[${k}]: ${g.data[k]} vs fp32 ${want.data[k]}: |d| = ${d} > bound ${b}`);
        if (d > 0) maxRatio = Math.max(maxRatio, d / b);
      }
    });
  }
  return { maxRatio };
}
