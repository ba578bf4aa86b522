/**
 * Helpers shared by the nn layers: option checks with coded errors at the author's call site,
 * and the optional sub-scope every layer takes.
 * @module
 */
import { show } from '../builder/show.js';
import type { FloatDType } from '../dtype.js';
import { graphError } from '../errors.js';
import { type Dim, formatShape, normAxis } from '../shape.js';
import { captureCallSite } from '../builder/call-site.js';
import type { GraphFunction } from '../builder/graph-function.js';
import type { AnyTensor, TensorHandle } from '../builder/handle.js';

/** A float tensor handle of any rank. */
export type FloatTensor<R extends number = number> = TensorHandle<FloatDType, R>;

/** Throws E_ATTR for a bad layer option, located at the author's call. */
export function optionError(layer: string, f: GraphFunction, message: string): never {
  const loc = captureCallSite();
  const where = f.scopeName ? `${layer} in ${f.scopeName}` : layer;
  throw graphError('E_ATTR', `nn.${layer}: ${message}`, { where, ...(loc ? { loc } : {}) });
}

/** Throws E_RANK or E_SHAPE_INVALID for a bad layer input, located at the author's call. */
export function inputError(layer: string, f: GraphFunction, code: 'E_RANK' | 'E_SHAPE_INVALID' | 'E_SHAPE_MISMATCH', message: string): never {
  const loc = captureCallSite();
  const where = f.scopeName ? `${layer} in ${f.scopeName}` : layer;
  throw graphError(code, `nn.${layer}: ${message}`, { where, ...(loc ? { loc } : {}) });
}

/** A positive safe integer option. */
export function positiveInt(layer: string, f: GraphFunction, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) optionError(layer, f, `option '${name}' must be a positive integer, got ${show(v)}`);
  return v;
}

/** A static dim of `x` (negative axes count from the end), or an error naming the layer. */
export function staticDim(layer: string, f: GraphFunction, x: AnyTensor, axis: number, what: string): number {
  const a = normAxis(axis, x.rank);
  const d: Dim | undefined = a === undefined ? undefined : x.shape[a];
  if (typeof d !== 'number') {
    inputError(layer, f, 'E_SHAPE_INVALID', `${what} (axis ${axis} of %${x.name} ${formatShape(x.shape)}) must be static`);
  }
  return d;
}

/** Throws unless `x` has one of `ranks`. */
export function expectRank(layer: string, f: GraphFunction, x: AnyTensor, ...ranks: number[]): void {
  if (!ranks.includes(x.rank)) inputError(layer, f, 'E_RANK', `input %${x.name} ${formatShape(x.shape)} has rank ${x.rank}; expected rank ${ranks.join(' or ')}`);
}

/** Throws unless `x` is fp16 or fp32. */
export function expectFloat(layer: string, f: GraphFunction, x: AnyTensor): asserts x is FloatTensor {
  if (x.dtype !== 'fp16' && x.dtype !== 'fp32') {
    const loc = captureCallSite();
    throw graphError('E_DTYPE_MISMATCH', `nn.${layer}: input %${x.name} has dtype ${x.dtype}; expected fp16 or fp32`, { where: layer, ...(loc ? { loc } : {}) });
  }
}

/** Runs `body` inside the layer's sub-scope when it has a name, else in the current scope. */
export function inScope<T>(f: GraphFunction, name: string | undefined, body: () => T): T {
  return name === undefined ? body() : f.scope(name, body);
}
