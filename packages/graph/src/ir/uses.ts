/**
 * Use-def utilities for passes: who uses a value, replacing every use of a value, removing ops.
 * @module
 */
import { graphError } from '../errors.js';
import { fmtType } from '../ops/validate.js';
import { shapeEq } from '../shape.js';
import type { Func, Op, Value } from './types.js';

/** One use of a value: an op input (with the position inside a variadic input). */
export interface Use {
  readonly op: Op;
  /** The input name of `op` that holds the value. */
  readonly input: string;
  /** Position in a variadic input list; undefined for a single-tensor input. */
  readonly index?: number;
}

/**
 * The uses of every value of `fn`, in body order. Every function input and op result has an
 * entry (an empty list when unused), so dead values are easy to find. Uses as a function output
 * are not listed here: see `fn.outputs`.
 */
export function computeUses(fn: Func): Map<Value, Use[]> {
  const uses = new Map<Value, Use[]>();
  const entry = (v: Value): Use[] => {
    let l = uses.get(v);
    if (!l) uses.set(v, (l = []));
    return l;
  };
  for (const v of fn.inputs) entry(v);
  for (const op of fn.body.ops) {
    for (const [input, val] of Object.entries(op.inputs)) {
      if (Array.isArray(val)) (val as readonly Value[]).forEach((v, index) => entry(v).push({ op, input, index }));
      else entry(val as Value).push({ op, input });
    }
    for (const o of op.outputs) entry(o);
  }
  return uses;
}

/** True when `v` is used by an op or is a function output. */
export function isUsed(fn: Func, v: Value): boolean {
  if (fn.outputs.includes(v)) return true;
  return fn.body.ops.some((op) => op.inputValues().includes(v));
}

/**
 * Replaces every use of `from` by `to`: op inputs (variadic lists included) and function
 * outputs. Returns how many uses were replaced. The types must be equal (E_VERIFY otherwise),
 * since consumers' inferred types would silently go stale; keeping SSA order (`to` defined
 * before its new uses) is the caller's job and is checked by the verifier.
 */
export function replaceAllUses(fn: Func, from: Value, to: Value): number {
  if (from === to) return 0;
  if (from.type.dtype !== to.type.dtype || !shapeEq(from.type.shape, to.type.shape)) {
    throw graphError('E_VERIFY', `cannot replace %${from.name} (${fmtType(from.type)}) by %${to.name} (${fmtType(to.type)}): types differ`, { where: fn.name });
  }
  let n = 0;
  for (const op of fn.body.ops) {
    let changed = false;
    const next: Record<string, Value | readonly Value[]> = {};
    for (const [k, v] of Object.entries(op.inputs)) {
      if (Array.isArray(v)) {
        const list = (v as readonly Value[]).map((x) => (x === from ? (n++, (changed = true), to) : x));
        next[k] = list;
      } else if (v === from) {
        next[k] = to;
        n++;
        changed = true;
      } else {
        next[k] = v as Value;
      }
    }
    if (changed) op.inputs = next;
  }
  const outs = fn.body.outputs;
  for (let i = 0; i < outs.length; i++) {
    if (outs[i] === from) {
      outs[i] = to;
      n++;
    }
  }
  return n;
}

/**
 * Removes the ops of `fn` for which `predicate` holds, keeping the order of the rest, and
 * returns the removed ops. Uses of their results are not rewritten: remove only dead ops, or
 * replace the uses first (the verifier reports dangling uses).
 */
export function removeOps(fn: Func, predicate: (op: Op, index: number) => boolean): Op[] {
  const kept: Op[] = [];
  const removed: Op[] = [];
  fn.body.ops.forEach((op, i) => (predicate(op, i) ? removed : kept).push(op));
  fn.body.ops = kept;
  return removed;
}
