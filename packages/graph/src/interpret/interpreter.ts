/**
 * The reference interpreter: evaluates a function of a Program on concrete tensors, op by op,
 * with fp32 arithmetic (fp16 results rounded to fp16). It is the ground truth of the property
 * tests and of pass verification.
 * @module
 */
import { graphError } from '../errors.js';
import type { Func, Program, TensorType, Value } from '../ir/types.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import type { KernelInputs } from '../ops/def.js';
import { concretize, execKernel } from './run-op.js';

/** Options of {@link interpret}. */
export interface InterpretOptions {
  /** Called after each op with its outputs (for tracing or collecting intermediates). */
  readonly onOp?: (kind: string, outputs: readonly Value[], values: readonly Tensor[]) => void;
}

/** Binds symbolic dims of `decl` to the sizes of `actual`, checking static ones. */
function bindInput(decl: TensorType, actual: Tensor, symbols: Map<string, number>, where: string): void {
  if (actual.dtype !== decl.dtype || actual.shape.length !== decl.shape.length) {
    throw graphError('E_INTERPRET', `input is ${actual.dtype}${formatShape(actual.shape)}, function declares ${decl.dtype}${formatShape(decl.shape)}`, { where });
  }
  decl.shape.forEach((d, i) => {
    const n = actual.shape[i]!;
    if (typeof d === 'number') {
      if (d !== n) throw graphError('E_INTERPRET', `input dim ${i} is ${n}, function declares ${d}`, { where });
    } else {
      const prev = symbols.get(d);
      if (prev !== undefined && prev !== n) throw graphError('E_INTERPRET', `symbol '${d}' is ${prev} elsewhere but ${n} here`, { where });
      symbols.set(d, n);
    }
  });
}

/**
 * Runs function `fnName` (default: the only or `main` function) with inputs given by input name.
 * Returns the outputs by output value name, in order.
 */
export function interpret(program: Program, fnName: string | undefined, inputs: Readonly<Record<string, Tensor>>, opts: InterpretOptions = {}): Map<string, Tensor> {
  const fn: Func = fnName !== undefined ? program.fn(fnName) : program.functions.size === 1 ? [...program.functions.values()][0]! : program.fn('main');
  const env = new Map<Value, Tensor>();
  const symbols = new Map<string, number>();
  for (const v of fn.inputs) {
    const t = inputs[v.name];
    if (!t) throw graphError('E_INTERPRET', `missing input '${v.name}' of function '${fn.name}'`, { where: `${fn.name}.${v.name}` });
    bindInput(v.type, t, symbols, `${fn.name}.${v.name}`);
    env.set(v, t);
  }
  for (const k of Object.keys(inputs)) {
    if (!fn.inputs.some((v) => v.name === k)) throw graphError('E_INTERPRET', `function '${fn.name}' has no input '${k}'`, { where: fn.name });
  }
  const get = (v: Value, where: string): Tensor => {
    const t = env.get(v);
    if (!t) throw graphError('E_INTERPRET', `value %${v.name} is used before it is defined`, { where });
    return t;
  };
  for (const op of fn.body.ops) {
    const where = `${fn.name}: ${op.kind} -> %${op.outputs.map((o) => o.name).join(', %')}`;
    const kin: Record<string, Tensor | Tensor[]> = {};
    for (const [k, v] of Object.entries(op.inputs)) {
      kin[k] = Array.isArray(v) ? (v as readonly Value[]).map((x) => get(x, where)) : get(v as Value, where);
    }
    const outTypes = op.outputs.map((o) => concretize(o.type, symbols, where));
    let outs: Tensor[];
    try {
      outs = execKernel(op.kind, kin as KernelInputs, op.attrs, outTypes, program.weights, where);
    } catch (e) {
      if (e instanceof Error && !(e as { code?: string }).code) {
        throw graphError('E_INTERPRET', `kernel failed: ${e.message}`, { where, cause: e });
      }
      throw e;
    }
    op.outputs.forEach((o, i) => env.set(o, outs[i]!));
    opts.onOp?.(op.kind, op.outputs, outs);
  }
  const result = new Map<string, Tensor>();
  for (const o of fn.outputs) result.set(o.name, get(o, `${fn.name} outputs`));
  return result;
}
