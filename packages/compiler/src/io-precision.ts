/**
 * The precision of function inputs and outputs. An fp16 build computes in fp16 throughout; at
 * the boundary the pipeline keeps fp32 where that helps the app more than it costs. For FastVLM
 * ({@link FP32_OUTPUTS} is its policy; other programs name their own outputs):
 *
 * - `images` (vision input) stays fp32: Core ML's pixel-buffer conversion and Apple's own
 *   export feed fp32, and the cast to fp16 is the model's first op;
 * - `logits` (prefill and decode outputs) become fp32: sampling on the host (softmax with a
 *   temperature over ~150k entries) wants fp32, and one cast of a [1, vocab] row is cheap;
 * - everything else stays fp16: the image features, embeddings and above all the KV caches,
 *   which travel in and out of every decode step, so fp32 would double that traffic.
 *
 * On ios15 Core ML has no fp16 multiarray features (they need specification version 7), so
 * every fp16 input and output becomes fp32 with a cast inside the model.
 * @module
 */
import { type DType, type Func, Op, type Program, Value, checkOp, getOp, verifyProgram } from '@fastvlm/graph';
import type { Target } from '@fastvlm/emit-coreml';

/** Outputs FastVLM keeps in fp32 in an fp16 build (see the module doc). */
export const FP32_OUTPUTS: readonly string[] = ['logits'];

/** Which fp16 function outputs become fp32 (with a cast inside the function). */
export interface IoPrecisionPolicy {
  /** Output names made fp32 (default {@link FP32_OUTPUTS}). */
  readonly fp32Outputs?: readonly string[];
}

/** What {@link applyIoPrecision} changed. */
export interface IoChange {
  readonly function: string;
  readonly kind: 'input' | 'output';
  readonly name: string;
  readonly from: DType;
  readonly to: DType;
}

/** The dtype a function input or output should have on `target`. */
export function wantedIoDtype(kind: 'input' | 'output', name: string, dtype: DType, target: Target, policy: IoPrecisionPolicy = {}): DType {
  if (dtype !== 'fp16') return dtype;
  if (target === 'ios15') return 'fp32';
  return kind === 'output' && (policy.fp32Outputs ?? FP32_OUTPUTS).includes(name) ? 'fp32' : 'fp16';
}

function freshNamer(fn: Func): (base: string) => string {
  const used = new Set<string>([...fn.inputs.map((v) => v.name), ...fn.body.ops.flatMap((op) => op.outputs.map((o) => o.name))]);
  return (base) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
}

function castOp(x: Value, out: Value): Op {
  const { attrs } = checkOp(getOp('cast'), { x: x.type }, { dtype: out.type.dtype }, 'cast');
  return new Op('cast', { x }, attrs, [out]);
}

/**
 * Rewrites the fp16 inputs and outputs of every function of `program` to the dtype
 * {@link wantedIoDtype} picks, with a `cast` inside the function; names stay the same (the
 * function-internal value is renamed `<name>_fp16`). Returns the changes, in order.
 */
export function applyIoPrecision(program: Program, target: Target, policy: IoPrecisionPolicy = {}): IoChange[] {
  const changes: IoChange[] = [];
  for (const fn of program.functions.values()) {
    const fresh = freshNamer(fn);
    let inserted = 0;
    fn.inputs.forEach((v, i) => {
      const to = wantedIoDtype('input', v.name, v.type.dtype, target, policy);
      if (to === v.type.dtype) return;
      const outer = new Value(v.name, { dtype: to, shape: v.type.shape });
      const from = v.type.dtype;
      v.name = fresh(`${v.name}_${from}`);
      // The casts start the body, in input order.
      fn.body.ops.splice(inserted++, 0, castOp(outer, v));
      fn.inputs[i] = outer;
      // An input returned as is: the output is the outer value, under its own name.
      fn.body.outputs.forEach((o, j) => {
        if (o === v) fn.body.outputs[j] = outer;
      });
      changes.push({ function: fn.name, kind: 'input', name: outer.name, from, to });
    });
    const replaced = new Map<Value, Value>();
    fn.body.outputs.forEach((o, j) => {
      const done = replaced.get(o);
      if (done) {
        fn.body.outputs[j] = done;
        return;
      }
      const to = wantedIoDtype('output', o.name, o.type.dtype, target, policy);
      // A function input returned as an output keeps its type (renaming it would rename the input).
      if (to === o.type.dtype || o.producer === null) return;
      const from = o.type.dtype;
      const outer = new Value(o.name, { dtype: to, shape: o.type.shape });
      o.name = fresh(`${o.name}_${from}`);
      fn.body.ops.push(castOp(o, outer));
      fn.body.outputs[j] = outer;
      replaced.set(o, outer);
      changes.push({ function: fn.name, kind: 'output', name: outer.name, from, to });
    });
  }
  if (changes.length) verifyProgram(program);
  return changes;
}
