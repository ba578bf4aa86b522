/**
 * MIL data types: their `MILSpec.DataType` codes, weight.bin blob codes, bit widths, the
 * TensorValue member that holds their immediate values, and the multiarray feature type they
 * map to. Names extend @fastvlm/graph's dtype names with the MIL-only types.
 * @module
 */
import type { DType } from '@fastvlm/graph';
import { isDType } from '@fastvlm/graph';
import { emitError } from '../errors.js';
import { MilDataType } from '../proto/mil-types.js';
import { ArrayDataType } from '../proto/model-types.js';

/** Every MIL data type we can name. */
export const MIL_DTYPES = [
  'fp32', 'fp16', 'fp64', 'bf16', 'fp8e4m3fn', 'fp8e5m2',
  'int64', 'int32', 'int16', 'int8', 'int4',
  'uint64', 'uint32', 'uint16', 'uint8', 'uint6', 'uint4', 'uint3', 'uint2', 'uint1',
  'bool', 'string',
] as const;

/** A MIL data type name (a superset of @fastvlm/graph's {@link DType}). */
export type MilDType = (typeof MIL_DTYPES)[number];

/** The TensorValue member holding a dtype's immediate values. */
export type ImmediateField = 'floats' | 'doubles' | 'ints' | 'longInts' | 'bools' | 'strings' | 'bytes';

/** Facts about a MIL data type. */
export interface MilDTypeInfo {
  readonly name: MilDType;
  /** `MILSpec.DataType` code. */
  readonly code: number;
  /** Bits per element (string: 0). */
  readonly bits: number;
  /** weight.bin blob type code, when the type can be stored in a blob. */
  readonly blobCode?: number;
  /** Where coremltools puts immediate values of this type; undefined when it has none. */
  readonly immediate?: ImmediateField;
  /** The multiarray element type for model inputs and outputs, when one exists. */
  readonly arrayDataType?: number;
}

const D = MilDataType;
const INFO: Readonly<Record<MilDType, MilDTypeInfo>> = {
  fp32: { name: 'fp32', code: D.FLOAT32, bits: 32, blobCode: 2, immediate: 'floats', arrayDataType: ArrayDataType.FLOAT32 },
  fp16: { name: 'fp16', code: D.FLOAT16, bits: 16, blobCode: 1, immediate: 'bytes', arrayDataType: ArrayDataType.FLOAT16 },
  fp64: { name: 'fp64', code: D.FLOAT64, bits: 64, immediate: 'doubles', arrayDataType: ArrayDataType.DOUBLE },
  bf16: { name: 'bf16', code: D.BFLOAT16, bits: 16, blobCode: 5 },
  fp8e4m3fn: { name: 'fp8e4m3fn', code: D.FLOAT8E4M3FN, bits: 8, blobCode: 16 },
  fp8e5m2: { name: 'fp8e5m2', code: D.FLOAT8E5M2, bits: 8, blobCode: 17 },
  int64: { name: 'int64', code: D.INT64, bits: 64, immediate: 'longInts' },
  int32: { name: 'int32', code: D.INT32, bits: 32, blobCode: 14, immediate: 'ints', arrayDataType: ArrayDataType.INT32 },
  int16: { name: 'int16', code: D.INT16, bits: 16, blobCode: 6, immediate: 'ints' },
  int8: { name: 'int8', code: D.INT8, bits: 8, blobCode: 4, immediate: 'bytes', arrayDataType: ArrayDataType.INT8 },
  int4: { name: 'int4', code: D.INT4, bits: 4, blobCode: 8, immediate: 'bytes' },
  uint64: { name: 'uint64', code: D.UINT64, bits: 64, immediate: 'longInts' },
  uint32: { name: 'uint32', code: D.UINT32, bits: 32, blobCode: 15, immediate: 'bytes' },
  uint16: { name: 'uint16', code: D.UINT16, bits: 16, blobCode: 7, immediate: 'ints' },
  uint8: { name: 'uint8', code: D.UINT8, bits: 8, blobCode: 3, immediate: 'bytes' },
  uint6: { name: 'uint6', code: D.UINT6, bits: 6, blobCode: 13, immediate: 'bytes' },
  uint4: { name: 'uint4', code: D.UINT4, bits: 4, blobCode: 11, immediate: 'bytes' },
  uint3: { name: 'uint3', code: D.UINT3, bits: 3, blobCode: 12, immediate: 'bytes' },
  uint2: { name: 'uint2', code: D.UINT2, bits: 2, blobCode: 10, immediate: 'bytes' },
  uint1: { name: 'uint1', code: D.UINT1, bits: 1, blobCode: 9, immediate: 'bytes' },
  bool: { name: 'bool', code: D.BOOL, bits: 8, immediate: 'bools' },
  string: { name: 'string', code: D.STRING, bits: 0, immediate: 'strings' },
};

const BY_CODE = new Map<number, MilDTypeInfo>(Object.values(INFO).map((i) => [i.code, i]));
const BY_BLOB_CODE = new Map<number, MilDTypeInfo>(
  Object.values(INFO).filter((i) => i.blobCode !== undefined).map((i) => [i.blobCode!, i]),
);

/** True for a MIL dtype name. */
export function isMilDType(s: string): s is MilDType {
  return Object.prototype.hasOwnProperty.call(INFO, s);
}

/** Facts about a MIL dtype; unknown names are an `E_VALUE` error. */
export function milDTypeInfo(d: MilDType | string): MilDTypeInfo {
  if (!isMilDType(d)) throw emitError('E_VALUE', `unknown MIL dtype '${d}'; expected one of ${MIL_DTYPES.join(', ')}`, { where: d });
  return INFO[d];
}

/** The dtype of a `MILSpec.DataType` code; unknown codes are an `E_VALUE` error. */
export function milDTypeOfCode(code: number, where = 'dataType'): MilDType {
  const i = BY_CODE.get(code);
  if (!i) throw emitError('E_VALUE', `unknown MIL DataType code ${code}`, { where });
  return i.name;
}

/** The dtype stored under a weight.bin blob type code, or undefined for an unknown code. */
export function milDTypeOfBlobCode(code: number): MilDType | undefined {
  return BY_BLOB_CODE.get(code)?.name;
}

/** The weight.bin blob code of a dtype; types without one are an `E_VALUE` error. */
export function blobCodeOf(d: MilDType, where: string = d): number {
  const c = milDTypeInfo(d).blobCode;
  if (c === undefined) throw emitError('E_VALUE', `dtype ${d} cannot be stored in weight.bin (no blob type code)`, { where });
  return c;
}

/** True for the packed sub-byte types (int4, uint1..uint6). */
export function isSubByteMil(d: MilDType): boolean {
  const b = milDTypeInfo(d).bits;
  return b > 0 && b < 8;
}

/** Bytes of `count` packed elements of `d` (sub-byte types rounded up to whole bytes). */
export function milByteSize(d: MilDType, count: number): number {
  return Math.ceil((count * milDTypeInfo(d).bits) / 8);
}

/** The MIL dtype of a @fastvlm/graph dtype (same name). */
export function milDTypeOfGraph(d: DType): MilDType {
  return d;
}

/** The @fastvlm/graph dtype of a MIL dtype, or undefined when the graph has no such type. */
export function graphDTypeOfMil(d: MilDType): DType | undefined {
  return isDType(d) ? d : undefined;
}
