/**
 * Constructors of MIL value types: tensors (static or symbolic dims), scalars, states, and
 * the multiarray feature descriptions that mirror function inputs and outputs.
 * @module
 */
import { type Shape, formatShape } from '@fastvlm/graph';
import { emitError } from '../errors.js';
import type { MilDimension, MilNamedValueType, MilValueType } from '../proto/mil-types.js';
import type { ArrayFeatureType, FeatureDescription } from '../proto/model-types.js';
import { type MilDType, milDTypeInfo, milDTypeOfCode } from './dtypes.js';

/** Names of MIL values and ops: `[A-Za-z_][A-Za-z0-9_@]*`. */
export const MIL_NAME_RE = /^[A-Za-z_][A-Za-z0-9_@]*$/;

/** Throws `E_VALUE` unless `name` is a valid MIL value or op name. */
export function checkMilName(name: string, what = 'name'): void {
  if (typeof name !== 'string' || !MIL_NAME_RE.test(name)) {
    throw emitError('E_VALUE', `${what} '${String(name)}' is not a valid MIL name (expected [A-Za-z_][A-Za-z0-9_@]*)`, { where: String(name) });
  }
}

/** Dimensions of a shape: sizes become constants, symbols unknown (non-variadic) dimensions. */
export function milDims(shape: Shape): MilDimension[] {
  return shape.map((d) => {
    if (typeof d === 'number') {
      if (!Number.isSafeInteger(d) || d < 0) throw emitError('E_VALUE', `dimension ${d} of ${formatShape(shape)} is not a non-negative integer`, { where: formatShape(shape) });
      return { constant: { size: d } };
    }
    return { unknown: { variadic: false } };
  });
}

/** A tensor type; rank 0 (`[]`) is a scalar. */
export function tensorType(dtype: MilDType, shape: Shape): MilValueType {
  const info = milDTypeInfo(dtype);
  return { tensorType: { dataType: info.code, rank: shape.length, dimensions: milDims(shape) } };
}

/** A rank-0 tensor type. */
export function scalarType(dtype: MilDType): MilValueType {
  return tensorType(dtype, []);
}

/** The type of a state value (iOS18) wrapping a tensor. */
export function stateType(dtype: MilDType, shape: Shape): MilValueType {
  return { stateType: { wrappedType: tensorType(dtype, shape) } };
}

/** A named, typed value (function input or op output). */
export function namedValue(name: string, type: MilValueType): MilNamedValueType {
  checkMilName(name, 'value name');
  return { name, type };
}

/** The dtype and shape of a tensor type (symbolic dims as `null`); `E_VALUE` for other types. */
export function describeTensorType(t: MilValueType | undefined, where = 'type'): { dtype: MilDType; shape: (number | null)[] } {
  const tt = t?.tensorType;
  if (!tt) throw emitError('E_VALUE', 'expected a tensor type', { where });
  const dims = tt.dimensions ?? [];
  return { dtype: milDTypeOfCode(tt.dataType ?? 0, where), shape: dims.map((d) => (d.constant ? (d.constant.size ?? 0) : null)) };
}

/** Options of {@link arrayFeature}. */
export interface ArrayFeatureOptions {
  readonly shortDescription?: string;
  /** Allowed shapes (enumerated flexibility); the feature's `shape` is the default. */
  readonly enumeratedShapes?: readonly (readonly number[])[];
  /** A [lower, upper] range per dimension (upper -1 = unbounded). */
  readonly shapeRange?: readonly (readonly [number, number])[];
}

/**
 * A multiarray input/output description. `dtype` must be one Core ML allows for features
 * (fp32, fp16, fp64, int32, int8); `E_VALUE` otherwise.
 */
export function arrayFeature(name: string, dtype: MilDType, shape: readonly number[], opts: ArrayFeatureOptions = {}): FeatureDescription {
  checkMilName(name, 'feature name');
  const code = milDTypeInfo(dtype).arrayDataType;
  if (code === undefined) throw emitError('E_VALUE', `dtype ${dtype} cannot be a model input or output; use fp32, fp16, fp64, int32 or int8`, { where: name });
  const arr: ArrayFeatureType = { shape: [...shape], dataType: code };
  if (opts.enumeratedShapes && opts.shapeRange) throw emitError('E_VALUE', 'give enumeratedShapes or shapeRange, not both', { where: name });
  if (opts.enumeratedShapes) arr.enumeratedShapes = { shapes: opts.enumeratedShapes.map((s) => ({ shape: [...s] })) };
  if (opts.shapeRange) arr.shapeRange = { sizeRanges: opts.shapeRange.map(([lowerBound, upperBound]) => ({ lowerBound, upperBound })) };
  const out: FeatureDescription = { name, type: { multiArrayType: arr } };
  if (opts.shortDescription) out.shortDescription = opts.shortDescription;
  return out;
}

/** A state feature description (iOS18): an fp16 multiarray of fixed shape. */
export function stateFeature(name: string, shape: readonly number[]): FeatureDescription {
  checkMilName(name, 'state name');
  return { name, type: { stateType: { arrayType: { shape: [...shape], dataType: milDTypeInfo('fp16').arrayDataType! } } } };
}
