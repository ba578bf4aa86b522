/**
 * MIL values <-> tensors. {@link immediateTensor} puts elements where coremltools expects them
 * for each dtype; {@link decodeMilValue} reads a tensor value back, inline or from weight.bin.
 * @module
 */
import { type Shape, type Tensor, type DType, formatShape, isStatic, numel } from '@fastvlm/graph';
import { emitError } from '../errors.js';
import type { MilBlobFileValue, MilTensorValue, MilValue } from '../proto/mil-types.js';
import { type MilDType, graphDTypeOfMil, milDTypeInfo, milDTypeOfCode } from './dtypes.js';
import { type MilElements, checkIntElement, packElements, unpackElements } from './elements.js';
import { tensorType } from './types.js';

/** A decoded tensor value. */
export interface MilTensor {
  readonly dtype: MilDType;
  readonly shape: readonly number[];
  readonly data: MilElements;
}

/** Element values accepted by {@link immediateTensor}: numbers, booleans (bool) or strings (string). */
export type ImmediateElements = ArrayLike<number> | readonly boolean[] | readonly string[];

function count(shape: Shape, where: string): number {
  if (!isStatic(shape)) throw emitError('E_VALUE', `a constant needs a static shape, got ${formatShape(shape)}`, { where });
  return numel(shape, where);
}

/**
 * An inline tensor value. Element placement follows coremltools: fp32 -> floats; fp64 ->
 * doubles; fp16, int8, uint8, uint32, int4 and uint1..uint6 -> one bytes field (little-endian,
 * sub-byte packed LSB first); int16, uint16, int32 -> ints; int64, uint64 -> longInts;
 * bool -> bools; string -> strings. The element count must match the shape (`E_VALUE`).
 */
export function immediateTensor(dtype: MilDType, shape: Shape, values: ImmediateElements, where = `${dtype}${formatShape(shape)} constant`): MilValue {
  const n = count(shape, where);
  if (values.length !== n) {
    throw emitError('E_VALUE', `a ${dtype}${formatShape(shape)} value needs ${n} elements, got ${values.length}`, { where, details: { expected: n, found: values.length } });
  }
  const field = milDTypeInfo(dtype).immediate;
  const tensor: MilTensorValue = {};
  const nums = (): ArrayLike<number> => {
    if (n > 0 && typeof values[0] !== 'number') throw emitError('E_VALUE', `${dtype} elements must be numbers, got ${typeof values[0]}`, { where });
    return values as ArrayLike<number>;
  };
  switch (field) {
    case 'floats':
      tensor.floats = { values: Float32Array.from(nums()) };
      break;
    case 'doubles':
      tensor.doubles = { values: Float64Array.from(nums()) };
      break;
    case 'ints': {
      const src = nums();
      for (let i = 0; i < n; i++) checkIntElement(dtype, src[i]!, i, where);
      tensor.ints = { values: Int32Array.from(src) };
      break;
    }
    case 'longInts': {
      const src = nums();
      for (let i = 0; i < n; i++) checkIntElement(dtype, src[i]!, i, where);
      tensor.longInts = { values: Array.from(src) };
      break;
    }
    case 'bools': {
      const out: boolean[] = [];
      for (let i = 0; i < n; i++) {
        const x = values[i];
        if (x !== true && x !== false && x !== 0 && x !== 1) throw emitError('E_VALUE', `bool element ${i} must be true/false or 0/1, got ${String(x)}`, { where });
        out.push(x === true || x === 1);
      }
      tensor.bools = { values: out };
      break;
    }
    case 'strings': {
      for (let i = 0; i < n; i++) if (typeof values[i] !== 'string') throw emitError('E_VALUE', `string element ${i} is not a string`, { where });
      tensor.strings = { values: Array.from(values as readonly string[]) };
      break;
    }
    case 'bytes':
      tensor.bytes = { values: packElements(dtype, nums(), where) };
      break;
    default:
      throw emitError('E_VALUE', `${dtype} has no inline form in Core ML; store it in weight.bin`, { where });
  }
  return { type: tensorType(dtype, shape), immediateValue: { tensor } };
}

/** An inline value holding a @fastvlm/graph tensor. */
export function immediateFromTensor(t: Tensor, where?: string): MilValue {
  return immediateTensor(t.dtype, t.shape, t.data, where);
}

/** Resolves a blob reference to the blob's data bytes, checking its dtype. */
export type BlobResolver = (ref: MilBlobFileValue, dtype: MilDType, where: string) => Uint8Array;

function immediateElements(dtype: MilDType, n: number, t: MilTensorValue, where: string): MilElements {
  const field = milDTypeInfo(dtype).immediate;
  const present = (Object.keys(t) as (keyof MilTensorValue)[]).filter((k) => t[k] !== undefined);
  if (field === undefined || present.length > 1 || (present.length === 1 && present[0] !== field) || (present.length === 0 && n > 0)) {
    throw emitError('E_VALUE', `a ${dtype} immediate value must use TensorValue.${field ?? '(none)'}, found ${present.join(', ') || 'nothing'}`, { where });
  }
  const len = (xs: { length: number } | undefined): number => xs?.length ?? 0;
  const checkLen = (got: number): void => {
    if (got !== n) throw emitError('E_VALUE', `a ${dtype} value of ${n} elements holds ${got}`, { where, details: { expected: n, found: got } });
  };
  switch (field) {
    case 'floats':
      checkLen(len(t.floats?.values));
      return Float32Array.from(t.floats?.values ?? []);
    case 'doubles':
      checkLen(len(t.doubles?.values));
      return Float64Array.from(t.doubles?.values ?? []);
    case 'ints': {
      const src = t.ints?.values ?? [];
      checkLen(src.length);
      for (let i = 0; i < n; i++) checkIntElement(dtype, src[i]!, i, where);
      return Int32Array.from(src);
    }
    case 'longInts':
      checkLen(len(t.longInts?.values));
      return Float64Array.from(t.longInts?.values ?? []);
    case 'bools':
      checkLen(len(t.bools?.values));
      return Uint8Array.from(t.bools?.values ?? [], (b) => (b ? 1 : 0));
    case 'strings':
      checkLen(len(t.strings?.values));
      return [...(t.strings?.values ?? [])];
    case 'bytes':
      return unpackElements(dtype, t.bytes?.values ?? new Uint8Array(0), n, where);
  }
}

/**
 * Decodes a tensor value (inline or in weight.bin through `blobs`). Checks the dtype code, that
 * every dimension is constant and that the element count matches; `E_VALUE` otherwise.
 */
export function decodeMilValue(value: MilValue, blobs?: BlobResolver, where = 'value'): MilTensor {
  const tt = value.type?.tensorType;
  if (!tt) throw emitError('E_VALUE', 'only tensor values can be decoded to elements; this value has no tensorType', { where });
  const dtype = milDTypeOfCode(tt.dataType ?? 0, where);
  const dims = tt.dimensions ?? [];
  if ((tt.rank ?? 0) !== dims.length) throw emitError('E_VALUE', `tensor type has rank ${tt.rank ?? 0} but ${dims.length} dimensions`, { where });
  const shape = dims.map((d, i) => {
    if (!d.constant) throw emitError('E_VALUE', `dimension ${i} of a constant is not a constant size`, { where });
    return d.constant.size ?? 0;
  });
  const n = numel(shape, where);
  if (value.immediateValue) {
    const t = value.immediateValue.tensor;
    if (!t) throw emitError('E_VALUE', 'immediate value is not a tensor (tuple, list or dictionary)', { where });
    return { dtype, shape, data: immediateElements(dtype, n, t, where) };
  }
  if (value.blobFileValue) {
    if (!blobs) throw emitError('E_VALUE', `value refers to ${value.blobFileValue.fileName ?? '?'} @ ${value.blobFileValue.offset ?? 0} but no weight file was given`, { where });
    const bytes = blobs(value.blobFileValue, dtype, where);
    return { dtype, shape, data: unpackElements(dtype, bytes, n, where) };
  }
  throw emitError('E_VALUE', 'value has neither immediateValue nor blobFileValue', { where });
}

/** A decoded value as a @fastvlm/graph tensor; MIL-only dtypes (int64, string...) are `E_VALUE`. */
export function toGraphTensor(t: MilTensor, where = 'value'): Tensor {
  const dtype: DType | undefined = graphDTypeOfMil(t.dtype);
  if (dtype === undefined) throw emitError('E_VALUE', `dtype ${t.dtype} has no @fastvlm/graph counterpart`, { where });
  // The storage kinds chosen in unpackElements match the graph's (Float32Array / Int32Array / Uint8Array).
  return { dtype, shape: [...t.shape], data: t.data as Tensor['data'] };
}
