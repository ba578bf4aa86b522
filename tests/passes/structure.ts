/**
 * Structural measures of a function after the ANE pipeline: highest rank, where the
 * transposes are, and which float values are not fp16.
 * @module
 */
import { type Func, type Op, type Use, type Value, computeUses, isFloat } from '@fastvlm/graph';

/** Ops that only move or re-type data: what may sit between a transpose and the boundary. */
const LAYOUT_OPS: ReadonlySet<string> = new Set(['cast', 'reshape', 'expand_dims', 'squeeze', 'transpose']);

/**
 * Ops that mix channels: attention's transposes must reach an attention product before one of
 * these. A matmul of two activations (no constant operand) is an attention product, not a
 * projection: the per-head `matmul` form of chunk-attention.
 */
const PROJECTION_OPS: ReadonlySet<string> = new Set(['conv2d', 'linear', 'matmul']);

/** The per-head products of attention: an einsum, or a matmul of two non-constant operands. */
function isAttentionProduct(op: Op): boolean {
  if (op.kind === 'einsum') return true;
  return op.kind === 'matmul' && op.inputValues().every((v) => v.producer?.kind !== 'const');
}

/** The highest rank of any function input or op result. */
export function maxRank(fn: Func): number {
  let r = 0;
  for (const v of fn.inputs) r = Math.max(r, v.type.shape.length);
  for (const op of fn.body.ops) for (const o of op.outputs) r = Math.max(r, o.type.shape.length);
  return r;
}

/** Transposes of a function by where they sit. */
export interface TransposeSites {
  /** Reached from a function input, or reaching the outputs, through layout ops only. */
  readonly boundary: readonly Op[];
  /** Inside attention: every path from it reaches an attention product (einsum, or matmul of two activations) or a function output before any projection. */
  readonly attention: readonly Op[];
  /** Anywhere else. */
  readonly other: readonly Op[];
}

/** Classifies every transpose of `fn` (see {@link TransposeSites}). */
export function transposeSites(fn: Func): TransposeSites {
  const uses = computeUses(fn);
  const outputs = new Set(fn.outputs);
  const usesOf = (v: Value): readonly Use[] => uses.get(v) ?? [];

  const fromInput = (op: Op): boolean => {
    let v = op.inputs['x'] as Value | undefined;
    while (v?.producer && LAYOUT_OPS.has(v.producer.kind)) v = v.producer.inputs['x'] as Value | undefined;
    return v !== undefined && v.producer === null;
  };
  const toOutputMemo = new Map<Value, boolean>();
  const toOutput = (v: Value): boolean => {
    const hit = toOutputMemo.get(v);
    if (hit !== undefined) return hit;
    const us = usesOf(v);
    const r = (outputs.has(v) || us.length > 0) && us.every((u) => LAYOUT_OPS.has(u.op.kind) && u.op.outputs.every(toOutput));
    toOutputMemo.set(v, r);
    return r;
  };
  const inAttentionMemo = new Map<Value, boolean>();
  const inAttention = (v: Value): boolean => {
    const hit = inAttentionMemo.get(v);
    if (hit !== undefined) return hit;
    inAttentionMemo.set(v, false); // SSA has no cycles; this only guards malformed input
    const r = usesOf(v).every((u) => isAttentionProduct(u.op) || (!PROJECTION_OPS.has(u.op.kind) && u.op.outputs.every(inAttention)));
    inAttentionMemo.set(v, r);
    return r;
  };

  const boundary: Op[] = [];
  const attention: Op[] = [];
  const other: Op[] = [];
  for (const op of fn.body.ops) {
    if (op.kind !== 'transpose') continue;
    if (fromInput(op) || op.outputs.every(toOutput)) boundary.push(op);
    else if (op.outputs.every(inAttention)) attention.push(op);
    else other.push(op);
  }
  return { boundary, attention, other };
}

/** A float value of a function that is not fp16, with the reason it is allowed or not. */
export interface NonFp16Value {
  readonly value: Value;
  /** `input` / `output cast`: the kept fp32 I/O; `interior`: an fp32 op inside. */
  readonly site: 'input' | 'output cast' | 'interior';
}

/**
 * Every float value that is not fp16. Allowed are the fp32 function inputs when only casts use
 * them and the results of the casts that are function outputs; anything else is `interior`.
 */
export function nonFp16Values(fn: Func): NonFp16Value[] {
  const uses = computeUses(fn);
  const outputs = new Set(fn.outputs);
  const out: NonFp16Value[] = [];
  for (const v of fn.inputs) {
    if (!isFloat(v.type.dtype) || v.type.dtype === 'fp16') continue;
    const onlyCasts = (uses.get(v) ?? []).every((u) => u.op.kind === 'cast' && u.op.output.type.dtype === 'fp16');
    out.push({ value: v, site: onlyCasts ? 'input' : 'interior' });
  }
  for (const op of fn.body.ops) {
    for (const o of op.outputs) {
      if (!isFloat(o.type.dtype) || o.type.dtype === 'fp16') continue;
      out.push({ value: o, site: op.kind === 'cast' && outputs.has(o) ? 'output cast' : 'interior' });
    }
  }
  return out;
}

/** Casts inside a function that convert between float types (boundary casts excluded). */
export function interiorFloatCasts(fn: Func): Op[] {
  const outputs = new Set(fn.outputs);
  return fn.body.ops.filter((op) => {
    if (op.kind !== 'cast') return false;
    const x = op.inputs['x'] as Value;
    const atBoundary = x.producer === null || outputs.has(op.output);
    return !atBoundary && isFloat(x.type.dtype) && isFloat(op.output.type.dtype);
  });
}

/** Op counts by kind, sorted by kind. */
export function opKinds(fn: Func): Map<string, number> {
  const m = new Map<string, number>();
  for (const op of fn.body.ops) m.set(op.kind, (m.get(op.kind) ?? 0) + 1);
  return new Map([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
