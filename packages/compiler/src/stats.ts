/**
 * The report statistics of one IR function: op counts by kind, the transposes and reshapes
 * left, the highest rank, the largest intermediate tensor and the share of ops computing in
 * fp16.
 * @module
 */
import { type Func, byteSize, fmtType, isStatic, numel } from '@fastvlm/graph';

/** The largest tensor an op of a function produces. */
export interface LargestTensor {
  /** Bytes of the tensor (elements times the dtype's size). */
  readonly bytes: number;
  /** The value's name. */
  readonly value: string;
  /** The op producing it. */
  readonly op: string;
  /** `fp16[1,24,1024,1024]`. */
  readonly type: string;
}

/** Statistics of one function. */
export interface FunctionStats {
  readonly function: string;
  /** Ops other than `const`. */
  readonly ops: number;
  readonly consts: number;
  /** Every op kind (const included) and its count, sorted by kind. */
  readonly opCounts: Readonly<Record<string, number>>;
  readonly transposes: number;
  readonly reshapes: number;
  /** The highest rank of any value (function inputs and op results). */
  readonly highestRank: number;
  /** The largest tensor computed by an op other than `const`; null when there is none (or only symbolic shapes). */
  readonly largestIntermediate: LargestTensor | null;
  /**
   * Of the ops that compute on floats (all but `const` and the boundary `cast`s, counting an op
   * when one of its inputs or outputs is a float tensor), the fraction whose float tensors are
   * all fp16. Null when the function has no such op.
   */
  readonly fp16Share: number | null;
  /** The ops counted in {@link fp16Share}: how many compute in fp16 and in total. */
  readonly fp16Ops: number;
  readonly floatOps: number;
}

/** Op kinds that are pure conversions at a precision boundary (not counted in the fp16 share). */
const CONVERSIONS = new Set(['cast']);

/** Computes {@link FunctionStats} of `fn`. */
export function functionStats(fn: Func): FunctionStats {
  const counts = new Map<string, number>();
  let highestRank = 0;
  for (const v of fn.inputs) highestRank = Math.max(highestRank, v.type.shape.length);
  let largest: LargestTensor | null = null;
  let floatOps = 0;
  let fp16Ops = 0;
  for (const op of fn.body.ops) {
    counts.set(op.kind, (counts.get(op.kind) ?? 0) + 1);
    for (const o of op.outputs) highestRank = Math.max(highestRank, o.type.shape.length);
    if (op.kind === 'const') continue;
    for (const o of op.outputs) {
      if (!isStatic(o.type.shape)) continue;
      const bytes = byteSize(o.type.dtype, numel(o.type.shape));
      if (largest === null || bytes > largest.bytes) largest = { bytes, value: o.name, op: op.kind, type: fmtType(o.type) };
    }
    if (CONVERSIONS.has(op.kind)) continue;
    const floats = [...op.inputValues(), ...op.outputs].map((v) => v.type.dtype).filter((d) => d === 'fp16' || d === 'fp32');
    if (floats.length === 0) continue;
    floatOps++;
    if (floats.every((d) => d === 'fp16')) fp16Ops++;
  }
  const opCounts: Record<string, number> = {};
  for (const k of [...counts.keys()].sort()) opCounts[k] = counts.get(k)!;
  const consts = counts.get('const') ?? 0;
  return {
    function: fn.name,
    ops: fn.body.ops.length - consts,
    consts,
    opCounts,
    transposes: counts.get('transpose') ?? 0,
    reshapes: counts.get('reshape') ?? 0,
    highestRank,
    largestIntermediate: largest,
    fp16Share: floatOps === 0 ? null : fp16Ops / floatOps,
    fp16Ops,
    floatOps,
  };
}

/** One function's statistics before and after the passes, in the package it went to. */
export interface FunctionReport {
  /** The unit (model part) the function belongs to: `vision`, `llm`, or the program's name. */
  readonly part: string;
  /** The package file name (`fastvlm-0.5b-llm.mlpackage`). */
  readonly package: string;
  readonly function: string;
  readonly before: FunctionStats;
  readonly after: FunctionStats;
}

