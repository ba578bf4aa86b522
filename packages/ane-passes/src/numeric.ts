/**
 * The numeric check of the PassManager: seeded random inputs, the reference interpreter on
 * every function, and an output comparison with per-dtype tolerances.
 * @module
 */
import {
  type Dim,
  type DType,
  type Func,
  type Program,
  type Tensor,
  allocData,
  dtypeInfo,
  interpret,
  isFloat,
  roundToFp16,
} from '@fastvlm/graph';
import { describeError, passError } from './errors.js';

/** An element passes when |actual - expected| <= abs + rel * |expected|. */
export interface Tolerance {
  readonly abs: number;
  readonly rel: number;
}

/** Options of the numeric check mode. */
export interface NumericCheckOptions {
  /** Seed of the random inputs (default 1). */
  readonly seed?: number;
  /**
   * Tolerance per dtype: fp16 applies when either side computes anything in fp16 (after
   * to-fp16 with kept fp32 I/O too), else fp32.
   */
  readonly tolerance?: Partial<Record<'fp32' | 'fp16', Tolerance>>;
  /** Sizes of symbolic dimensions (default 4 for any symbol not listed). */
  readonly symbols?: Readonly<Record<string, number>>;
  /** Float inputs are uniform in [-range, range] (default 1), rounded to fp16 so a later fp16 cast is exact. */
  readonly range?: number;
  /** Integer inputs are uniform in [lo, hi) (default [0, 4)). */
  readonly intRange?: readonly [number, number];
  /** Explicit inputs per function name (override the random ones). */
  readonly inputs?: Readonly<Record<string, Readonly<Record<string, Tensor>>>>;
  /** Functions to check (default: all). */
  readonly functions?: readonly string[];
}

/** Default tolerances: fp32 outputs to 1e-4 + 1e-3 relative, fp16 outputs to 1e-2 + 1e-2 relative. */
export const DEFAULT_TOLERANCE: Readonly<Record<'fp32' | 'fp16', Tolerance>> = {
  fp32: { abs: 1e-4, rel: 1e-3 },
  fp16: { abs: 1e-2, rel: 1e-2 },
};

/**
 * The outputs of every checked function, by function name, in output order, and whether the
 * function computes anything in fp16 (then fp16 tolerances apply even to fp32 outputs).
 */
export type ProgramOutputs = Map<string, { readonly names: readonly string[]; readonly tensors: readonly Tensor[]; readonly usesFp16: boolean }>;

/** A seeded xorshift32 generator in [0, 1). */
function rng(seed: number): () => number {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function hashName(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/**
 * Seeded inputs for a function: floats uniform in [-range, range] rounded to fp16 (so they are
 * exact in any float dtype), integers in [lo, hi), bools 0/1. Each input's stream depends on
 * the seed and its name only, so adding an input does not change the others.
 */
export function seededInputs(fn: Func, opts: NumericCheckOptions = {}): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  const range = opts.range ?? 1;
  const [lo, hi] = opts.intRange ?? [0, 4];
  for (const v of fn.inputs) {
    const shape = v.type.shape.map((d: Dim) => (typeof d === 'number' ? d : (opts.symbols?.[d] ?? 4)));
    const n = shape.reduce((a, b) => a * b, 1);
    const data = allocData(v.type.dtype, n);
    const next = rng(((opts.seed ?? 1) * 2654435761) ^ hashName(`${fn.name}.${v.name}`));
    const info = dtypeInfo(v.type.dtype);
    for (let i = 0; i < n; i++) {
      if (info.kind === 'float') data[i] = roundToFp16((next() * 2 - 1) * range);
      else if (info.kind === 'bool') data[i] = next() < 0.5 ? 1 : 0;
      else data[i] = Math.max(info.min, Math.min(info.max, Math.floor(lo + next() * (hi - lo))));
    }
    out[v.name] = { dtype: v.type.dtype, shape, data };
  }
  return out;
}

/** Converts an input tensor to the dtype a (possibly re-typed) function input now declares. */
function adaptInput(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const data = allocData(dtype, t.data.length);
  for (let i = 0; i < data.length; i++) data[i] = dtype === 'fp16' ? roundToFp16(t.data[i]!) : t.data[i]!;
  return { dtype, shape: t.shape, data };
}

/**
 * Runs every checked function of `program` on `inputs` (by function name; each input converted
 * to the dtype the function declares now). Throws the interpreter's error as is.
 */
export function evaluateProgram(program: Program, inputs: ReadonlyMap<string, Record<string, Tensor>>): ProgramOutputs {
  const out: ProgramOutputs = new Map();
  for (const [name, ins] of inputs) {
    const fn = program.fn(name);
    const adapted: Record<string, Tensor> = {};
    for (const v of fn.inputs) {
      const t = ins[v.name];
      if (t) adapted[v.name] = adaptInput(t, v.type.dtype);
    }
    const res = interpret(program, name, adapted);
    const usesFp16 = fn.inputs.some((v) => v.type.dtype === 'fp16') || fn.body.ops.some((op) => op.outputs.some((o) => o.type.dtype === 'fp16'));
    out.set(name, { names: fn.outputs.map((o) => o.name), tensors: fn.outputs.map((o) => res.get(o.name)!), usesFp16 });
  }
  return out;
}

/** Inputs for every checked function of a program. */
export function checkInputs(program: Program, opts: NumericCheckOptions): Map<string, Record<string, Tensor>> {
  const m = new Map<string, Record<string, Tensor>>();
  for (const fn of program.functions.values()) {
    if (opts.functions && !opts.functions.includes(fn.name)) continue;
    m.set(fn.name, { ...seededInputs(fn, opts), ...(opts.inputs?.[fn.name] ?? {}) });
  }
  return m;
}

/** The result of comparing two evaluations. */
export interface Comparison {
  /** Largest |actual - expected| over all float outputs. */
  readonly maxAbs: number;
  /** Largest |actual - expected| / |expected| (expected != 0). */
  readonly maxRel: number;
  /** First failing output, when any: `function.output`. */
  readonly failure?: string;
  readonly detail?: string;
}

function toleranceFor(a: DType, b: DType, fp16: boolean, opts: NumericCheckOptions): Tolerance {
  const d = fp16 || a === 'fp16' || b === 'fp16' ? 'fp16' : 'fp32';
  return opts.tolerance?.[d] ?? DEFAULT_TOLERANCE[d];
}

/** Compares `actual` against `expected` output by output. */
export function compareOutputs(expected: ProgramOutputs, actual: ProgramOutputs, opts: NumericCheckOptions): Comparison {
  let maxAbs = 0;
  let maxRel = 0;
  let failure: string | undefined;
  let detail: string | undefined;
  const fail = (where: string, why: string): void => {
    if (failure === undefined) {
      failure = where;
      detail = why;
    }
  };
  for (const [fnName, exp] of expected) {
    const act = actual.get(fnName);
    if (!act || act.tensors.length !== exp.tensors.length) {
      fail(fnName, `function '${fnName}' has ${act?.tensors.length ?? 0} outputs, expected ${exp.tensors.length}`);
      continue;
    }
    exp.tensors.forEach((e, i) => {
      const a = act.tensors[i]!;
      const where = `${fnName}.${exp.names[i] ?? i}`;
      if (a.shape.length !== e.shape.length || a.shape.some((d, k) => d !== e.shape[k])) {
        fail(where, `shape [${a.shape.join(',')}] differs from [${e.shape.join(',')}]`);
        return;
      }
      const floats = isFloat(a.dtype) && isFloat(e.dtype);
      const tol = toleranceFor(a.dtype, e.dtype, exp.usesFp16 || act.usesFp16, opts);
      for (let k = 0; k < e.data.length; k++) {
        const x = a.data[k]!;
        const y = e.data[k]!;
        if (!floats) {
          if (x !== y) fail(where, `element ${k} is ${x}, expected ${y} (exact for ${e.dtype})`);
          continue;
        }
        if (Number.isNaN(x) || Number.isNaN(y)) {
          if (Number.isNaN(x) !== Number.isNaN(y)) fail(where, `element ${k} is ${x}, expected ${y}`);
          continue;
        }
        if (x === y) continue; // equal infinities included
        const abs = Math.abs(x - y);
        const rel = y !== 0 ? abs / Math.abs(y) : Number.POSITIVE_INFINITY;
        if (Number.isFinite(abs)) maxAbs = Math.max(maxAbs, abs);
        if (y !== 0 && Number.isFinite(rel)) maxRel = Math.max(maxRel, rel);
        if (!(abs <= tol.abs + tol.rel * Math.abs(y))) fail(where, `element ${k} is ${x}, expected ${y} (tolerance ${tol.abs} + ${tol.rel} * |expected|)`);
      }
    });
  }
  return { maxAbs, maxRel, ...(failure !== undefined ? { failure, detail: detail! } : {}) };
}

/** Evaluates for the numeric check, turning interpreter failures into E_PASS_NUMERIC. */
export function evaluateForCheck(program: Program, inputs: ReadonlyMap<string, Record<string, Tensor>>, stage: string): ProgramOutputs {
  try {
    return evaluateProgram(program, inputs);
  } catch (e) {
    throw passError('E_PASS_NUMERIC', `numeric check: the program ${stage} could not be evaluated: ${describeError(e)}`, { where: stage, cause: e });
  }
}
