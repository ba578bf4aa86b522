/**
 * Small helpers shared by op definitions: typed access to inputs and attributes, and coded
 * shape errors.
 * @module
 */
import { graphError } from '../errors.js';
import type { Attrs, TensorType } from '../ir/types.js';
import type { Tensor } from '../tensor.js';
import { type Shape, formatShape, isStatic, normAxis } from '../shape.js';
import type { InferInputs, KernelInputs } from './def.js';

/** A required single-tensor input type. */
export function inType(inputs: InferInputs, name: string): TensorType {
  const t = inputs[name];
  if (t === undefined || Array.isArray(t)) throw graphError('E_INPUT', `input '${name}' must be one tensor`);
  return t as TensorType;
}

/** An optional single-tensor input type. */
export function optType(inputs: InferInputs, name: string): TensorType | undefined {
  const t = inputs[name];
  if (t === undefined) return undefined;
  if (Array.isArray(t)) throw graphError('E_INPUT', `input '${name}' must be one tensor`);
  return t as TensorType;
}

/** A variadic input's types. */
export function listType(inputs: InferInputs, name: string): readonly TensorType[] {
  const t = inputs[name];
  if (!Array.isArray(t)) throw graphError('E_INPUT', `input '${name}' must be a list of tensors`);
  return t as readonly TensorType[];
}

/** A required single-tensor kernel input. */
export function inTensor(inputs: KernelInputs, name: string): Tensor {
  const t = inputs[name];
  if (t === undefined || Array.isArray(t)) throw graphError('E_INTERPRET', `input '${name}' must be one tensor`);
  return t as Tensor;
}

/** An optional kernel input. */
export function optTensor(inputs: KernelInputs, name: string): Tensor | undefined {
  const t = inputs[name];
  if (t === undefined) return undefined;
  if (Array.isArray(t)) throw graphError('E_INTERPRET', `input '${name}' must be one tensor`);
  return t as Tensor;
}

/** A variadic kernel input. */
export function listTensor(inputs: KernelInputs, name: string): readonly Tensor[] {
  const t = inputs[name];
  if (!Array.isArray(t)) throw graphError('E_INTERPRET', `input '${name}' must be a list of tensors`);
  return t as readonly Tensor[];
}

export function attrInt(attrs: Attrs, name: string): number {
  return attrs[name] as number;
}
export function attrNum(attrs: Attrs, name: string): number {
  return attrs[name] as number;
}
export function attrBool(attrs: Attrs, name: string): boolean {
  return attrs[name] as boolean;
}
export function attrStr(attrs: Attrs, name: string): string {
  return attrs[name] as string;
}
export function attrInts(attrs: Attrs, name: string): readonly number[] {
  return attrs[name] as readonly number[];
}
export function attrFloats(attrs: Attrs, name: string): readonly number[] {
  return attrs[name] as readonly number[];
}
/** An optional attribute (no default): undefined when not given. */
export function attrOpt<T>(attrs: Attrs, name: string): T | undefined {
  return attrs[name] as T | undefined;
}

/** Throws a shape mismatch error. */
export function shapeError(msg: string): never {
  throw graphError('E_SHAPE_MISMATCH', msg);
}

/** Throws unless `t` has one of the given ranks. */
export function expectRank(t: TensorType, name: string, ...ranks: number[]): void {
  if (!ranks.includes(t.shape.length)) {
    throw graphError('E_RANK', `input '${name}' has rank ${t.shape.length} (${formatShape(t.shape)}); expected rank ${ranks.join(' or ')}`);
  }
}

/** Throws unless `t` has rank >= `min`. */
export function expectMinRank(t: TensorType, name: string, min: number): void {
  if (t.shape.length < min) throw graphError('E_RANK', `input '${name}' has rank ${t.shape.length} (${formatShape(t.shape)}); expected at least ${min}`);
}

/** Normalizes an axis attribute or throws E_ATTR. */
export function axisOf(axis: number, rank: number, what = 'axis'): number {
  const a = normAxis(axis, rank);
  if (a === undefined) throw graphError('E_ATTR', `${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Throws unless the shape is static (for ops whose inference needs concrete sizes). */
export function expectStatic(s: Shape, name: string): asserts s is readonly number[] {
  if (!isStatic(s)) throw graphError('E_SHAPE_INVALID', `input '${name}' must have a static shape, got ${formatShape(s)}`);
}
