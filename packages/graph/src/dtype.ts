/**
 * Data types of the IR. Tensor types (usable by any op) and the sub-byte storage types used by
 * compressed constants (palettization indices, 4-bit quantized data).
 * @module
 */
import { graphError } from './errors.js';

/** All data types the IR knows. */
export const DTYPES = [
  'fp32', 'fp16', 'int32', 'int16', 'int8', 'uint8', 'bool',
  'int4', 'uint4', 'uint1', 'uint2', 'uint3', 'uint6',
] as const;

/** A data type name. */
export type DType = (typeof DTYPES)[number];
/** Floating-point types. */
export type FloatDType = 'fp32' | 'fp16';
/** Integer types of at least 8 bits. */
export type IntDType = 'int32' | 'int16' | 'int8' | 'uint8';
/** Sub-byte types, only for compressed constants. */
export type SubByteDType = 'int4' | 'uint4' | 'uint1' | 'uint2' | 'uint3' | 'uint6';

/** Facts about a data type. */
export interface DTypeInfo {
  readonly name: DType;
  readonly bits: number;
  readonly kind: 'float' | 'int' | 'bool';
  readonly signed: boolean;
  /** Smallest and largest representable value (for integers). */
  readonly min: number;
  readonly max: number;
}

function intInfo(name: DType, bits: number, signed: boolean): DTypeInfo {
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  return { name, bits, kind: 'int', signed, min, max };
}

const INFO: Readonly<Record<DType, DTypeInfo>> = {
  fp32: { name: 'fp32', bits: 32, kind: 'float', signed: true, min: -3.4028234663852886e38, max: 3.4028234663852886e38 },
  fp16: { name: 'fp16', bits: 16, kind: 'float', signed: true, min: -65504, max: 65504 },
  int32: intInfo('int32', 32, true),
  int16: intInfo('int16', 16, true),
  int8: intInfo('int8', 8, true),
  uint8: intInfo('uint8', 8, false),
  bool: { name: 'bool', bits: 8, kind: 'bool', signed: false, min: 0, max: 1 },
  int4: intInfo('int4', 4, true),
  uint4: intInfo('uint4', 4, false),
  uint1: intInfo('uint1', 1, false),
  uint2: intInfo('uint2', 2, false),
  uint3: intInfo('uint3', 3, false),
  uint6: intInfo('uint6', 6, false),
};

/** Facts about `d`. */
export function dtypeInfo(d: DType): DTypeInfo {
  return INFO[d];
}

/** True for a known dtype name. */
export function isDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(INFO, s);
}

/** Parses a dtype name, throwing a coded error for unknown names. */
export function parseDType(s: string, where?: string): DType {
  if (!isDType(s)) {
    throw graphError('E_DTYPE_UNKNOWN', `unknown dtype '${s}'; expected one of ${DTYPES.join(', ')}`, where !== undefined ? { where } : {});
  }
  return s;
}

export function isFloat(d: DType): d is FloatDType {
  return d === 'fp32' || d === 'fp16';
}

export function isInteger(d: DType): boolean {
  return INFO[d].kind === 'int';
}

export function isSubByte(d: DType): d is SubByteDType {
  return INFO[d].bits < 8;
}

/** Bytes needed to store `count` elements of `d` (sub-byte types packed, rounded up). */
export function byteSize(d: DType, count: number): number {
  return Math.ceil((count * INFO[d].bits) / 8);
}

/** Dtype domains shared by many ops (named as in MIL's op definitions). */
export const FLOATS: readonly DType[] = ['fp16', 'fp32'];
export const FLOATS_INT32: readonly DType[] = ['fp16', 'fp32', 'int32'];
export const FLOATS_INT32_BOOL: readonly DType[] = ['fp16', 'fp32', 'int32', 'bool'];
export const ANY_TENSOR: readonly DType[] = ['fp16', 'fp32', 'int32', 'int16', 'int8', 'uint8', 'bool'];
