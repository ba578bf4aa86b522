/**
 * Deep copies of functions and programs, for passes that keep the original (pass verification,
 * before/after dumps) and for building variants of a function.
 * @module
 */
import type { AttrValue, Attrs, OpInputs } from './types.js';
import { Block, Func, Op, Program, Value } from './types.js';

function copyAttrs(attrs: Attrs): Attrs {
  const out: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(attrs)) out[k] = Array.isArray(v) ? [...(v as readonly (number | string)[])] : v;
  return out;
}

/**
 * A deep copy of `fn`: new Values (same names and types), new Ops (same kinds, copied
 * attributes and locations), a new Block. Values used but not defined in `fn` (a broken
 * function) stay shared, so the copy verifies exactly like the original.
 * @param name the copy's name (default: the same name)
 * @param valueMap filled with original value -> copy, for callers that need the mapping
 */
export function cloneFunction(fn: Func, name: string = fn.name, valueMap: Map<Value, Value> = new Map()): Func {
  const map = (v: Value): Value => valueMap.get(v) ?? v;
  const inputs = fn.inputs.map((v) => {
    const c = new Value(v.name, { dtype: v.type.dtype, shape: [...v.type.shape] });
    valueMap.set(v, c);
    return c;
  });
  // Results are copied before any op so a use-before-definition maps to the copy as well.
  const results = fn.body.ops.map((op) =>
    op.outputs.map((o) => {
      const c = new Value(o.name, { dtype: o.type.dtype, shape: [...o.type.shape] });
      if (!valueMap.has(o)) valueMap.set(o, c);
      return c;
    }),
  );
  const ops = fn.body.ops.map((op, i) => {
    const ins: Record<string, Value | readonly Value[]> = {};
    for (const [k, v] of Object.entries(op.inputs)) ins[k] = Array.isArray(v) ? (v as readonly Value[]).map(map) : map(v as Value);
    return new Op(op.kind, ins as OpInputs, copyAttrs(op.attrs), results[i]!, op.loc ? { ...op.loc } : undefined);
  });
  return new Func(name, inputs, new Block(ops, fn.body.outputs.map(map)));
}

/** A deep copy of every function of `p`, in the same order, sharing `p`'s WeightStore. */
export function cloneProgram(p: Program): Program {
  const q = new Program(p.weights);
  // Keyed by the original map key so even a program with a mismatched key copies faithfully.
  for (const [key, fn] of p.functions) q.functions.set(key, cloneFunction(fn));
  return q;
}
