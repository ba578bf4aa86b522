/**
 * Runs one op on concrete tensors: validates and infers like the DSL does, runs the reference
 * kernel, rounds fp16 results, and checks the kernel's output types against inference.
 * @module
 */
import { graphError } from '../errors.js';
import type { Attrs, TensorType } from '../ir/types.js';
import type { InferInputs, KernelInputs } from '../ops/def.js';
import { getOp } from '../ops/registry.js';
import { checkOp, fmtType } from '../ops/validate.js';
import { roundArrayToFp16 } from '../fp16.js';
import { type Dim, formatShape, isStatic } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { WeightStore } from '../weights/store.js';

function typeOf(t: Tensor): TensorType {
  return { dtype: t.dtype, shape: t.shape };
}

/** Substitutes bound symbolic dims; throws when one stays unbound. */
export function concretize(t: TensorType, symbols: ReadonlyMap<string, number>, where: string): TensorType {
  const shape: Dim[] = t.shape.map((d) => {
    if (typeof d === 'number') return d;
    const v = symbols.get(d);
    if (v === undefined) throw graphError('E_INTERPRET', `symbolic dimension '${d}' is not bound by any input`, { where });
    return v;
  });
  return { dtype: t.dtype, shape };
}

/**
 * Runs `kernel` of `def` after type checking; `inferred` are the op's declared output types with
 * symbols bound. Shared by {@link runOp} and the interpreter.
 */
export function execKernel(kind: string, inputs: KernelInputs, attrs: Attrs, outTypes: readonly TensorType[], weights: WeightStore, where: string): Tensor[] {
  const def = getOp(kind);
  const outs = def.kernel(inputs, attrs, { outTypes, weights });
  if (outs.length !== outTypes.length) {
    throw graphError('E_INTERPRET', `${kind} kernel returned ${outs.length} outputs, inference said ${outTypes.length}`, { where });
  }
  outs.forEach((o, i) => {
    const want = outTypes[i]!;
    if (!isStatic(want.shape) || o.dtype !== want.dtype || o.shape.length !== want.shape.length || o.shape.some((d, k) => d !== want.shape[k])) {
      throw graphError('E_INTERPRET', `${kind} kernel output ${i} is ${o.dtype}${formatShape(o.shape)}, inference said ${fmtType(want)}`, { where });
    }
    if (o.dtype === 'fp16') roundArrayToFp16(o.data as Float32Array);
  });
  return outs;
}

/** Applies op `kind` to tensors; returns the outputs (fp16 results rounded to fp16). */
export function runOp(kind: string, inputs: KernelInputs, attrs: Attrs = {}, weights: WeightStore = new WeightStore()): Tensor[] {
  const def = getOp(kind);
  const types: Record<string, TensorType | TensorType[] | undefined> = {};
  for (const [k, v] of Object.entries(inputs)) {
    if (v === undefined) continue;
    types[k] = Array.isArray(v) ? (v as readonly Tensor[]).map(typeOf) : typeOf(v as Tensor);
  }
  const { attrs: resolved, outputs } = checkOp(def, types as InferInputs, attrs);
  return execKernel(kind, inputs, resolved, outputs, weights, kind);
}
