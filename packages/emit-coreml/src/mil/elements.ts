/**
 * Element storage of MIL dtypes: packing numbers to the little-endian byte form used in
 * weight.bin and in `TensorValue.bytes` (fp16 as IEEE bits, sub-byte types packed LSB first,
 * int4 in two's complement), and unpacking it again.
 * @module
 */
import { bf16BitsToFp32, fp16BitsToFp32, fp32ToFp16Bits } from '@fastvlm/graph';
import { emitError } from '../errors.js';
import { type MilDType, isSubByteMil, milByteSize, milDTypeInfo } from './dtypes.js';

/** Decoded elements: floats in Float32Array (fp64 and 64-bit ints in Float64Array), smaller ints in Int32Array, uint32 in Uint32Array, bool 0/1 in Uint8Array, strings in an array. */
export type MilElements = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array | readonly string[];

const INT_RANGE: Partial<Record<MilDType, readonly [number, number]>> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int16: [-(2 ** 15), 2 ** 15 - 1],
  int8: [-128, 127],
  int4: [-8, 7],
  uint32: [0, 2 ** 32 - 1],
  uint16: [0, 2 ** 16 - 1],
  uint8: [0, 255],
  uint6: [0, 63],
  uint4: [0, 15],
  uint3: [0, 7],
  uint2: [0, 3],
  uint1: [0, 1],
};

/** Throws `E_VALUE` unless `v` is an integer in the range of `dtype`. */
export function checkIntElement(dtype: MilDType, v: number, i: number, where: string): void {
  const r = INT_RANGE[dtype];
  const ok = r ? Number.isInteger(v) && v >= r[0] && v <= r[1] : Number.isSafeInteger(v) && (dtype !== 'uint64' || v >= 0);
  if (!ok) {
    throw emitError('E_VALUE', `element ${i} (${v}) is not representable as ${dtype}${r ? ` [${r[0]}, ${r[1]}]` : ''}`, { where });
  }
}

/** bf16 bits of a number, rounded to nearest even (NaN stays NaN). */
function bf16Bits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return (u >>> 16) | 0x40;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Value of an fp8 E4M3FN byte (no infinities; S.1111.111 is NaN). */
export function fp8e4m3fnToNumber(b: number): number {
  const s = b & 0x80 ? -1 : 1;
  const e = (b >>> 3) & 0xf;
  const m = b & 7;
  if (e === 0xf && m === 7) return NaN;
  return e === 0 ? s * (m / 8) * 2 ** -6 : s * (1 + m / 8) * 2 ** (e - 7);
}

/** Value of an fp8 E5M2 byte (IEEE-like: exponent 31 is infinity or NaN). */
export function fp8e5m2ToNumber(b: number): number {
  const s = b & 0x80 ? -1 : 1;
  const e = (b >>> 2) & 0x1f;
  const m = b & 3;
  if (e === 0x1f) return m === 0 ? s * Infinity : NaN;
  return e === 0 ? s * (m / 4) * 2 ** -14 : s * (1 + m / 4) * 2 ** (e - 15);
}

/**
 * Packs numbers into the storage bytes of `dtype`. Integers are range-checked; fp16 and bf16 are
 * rounded to nearest even. fp8, fp64, 64-bit integers, bool and string have no byte form here.
 */
export function packElements(dtype: MilDType, values: ArrayLike<number>, where: string = dtype): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(milByteSize(dtype, n));
  const v = new DataView(out.buffer);
  switch (dtype) {
    case 'fp32':
      for (let i = 0; i < n; i++) v.setFloat32(i * 4, values[i]!, true);
      return out;
    case 'fp16':
      for (let i = 0; i < n; i++) v.setUint16(i * 2, fp32ToFp16Bits(values[i]!), true);
      return out;
    case 'bf16':
      for (let i = 0; i < n; i++) v.setUint16(i * 2, bf16Bits(values[i]!), true);
      return out;
    case 'int32':
    case 'uint32':
    case 'int16':
    case 'uint16':
    case 'int8':
    case 'uint8': {
      const bytes = milDTypeInfo(dtype).bits / 8;
      for (let i = 0; i < n; i++) {
        const x = values[i]!;
        checkIntElement(dtype, x, i, where);
        if (bytes === 4) v.setUint32(i * 4, x >>> 0, true);
        else if (bytes === 2) v.setUint16(i * 2, x & 0xffff, true);
        else out[i] = x & 0xff;
      }
      return out;
    }
    default:
      if (isSubByteMil(dtype)) {
        const bits = milDTypeInfo(dtype).bits;
        const mask = (1 << bits) - 1;
        for (let i = 0; i < n; i++) {
          const x = values[i]!;
          checkIntElement(dtype, x, i, where);
          const u = x & mask;
          let bit = i * bits;
          for (let k = 0; k < bits; k++, bit++) if ((u >> k) & 1) out[bit >> 3]! |= 1 << (bit & 7);
        }
        return out;
      }
      throw emitError('E_VALUE', `packing ${dtype} elements from numbers is not supported`, { where });
  }
}

/**
 * Unpacks `count` elements of `dtype` from storage bytes. The byte length must be exactly what
 * `count` elements take (`E_VALUE` otherwise).
 */
export function unpackElements(dtype: MilDType, bytes: Uint8Array, count: number, where: string = dtype): Exclude<MilElements, readonly string[]> {
  const want = milByteSize(dtype, count);
  if (bytes.length !== want) {
    throw emitError('E_VALUE', `${count} ${dtype} elements take ${want} bytes, found ${bytes.length}`, { where, details: { expected: want, found: bytes.length } });
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'fp32': {
      const o = new Float32Array(count);
      for (let i = 0; i < count; i++) o[i] = v.getFloat32(i * 4, true);
      return o;
    }
    case 'fp16':
    case 'bf16': {
      const o = new Float32Array(count);
      const conv = dtype === 'fp16' ? fp16BitsToFp32 : bf16BitsToFp32;
      for (let i = 0; i < count; i++) o[i] = conv(v.getUint16(i * 2, true));
      return o;
    }
    case 'fp8e4m3fn':
    case 'fp8e5m2': {
      const o = new Float32Array(count);
      const conv = dtype === 'fp8e4m3fn' ? fp8e4m3fnToNumber : fp8e5m2ToNumber;
      for (let i = 0; i < count; i++) o[i] = conv(bytes[i]!);
      return o;
    }
    case 'int32': {
      const o = new Int32Array(count);
      for (let i = 0; i < count; i++) o[i] = v.getInt32(i * 4, true);
      return o;
    }
    case 'uint32': {
      const o = new Uint32Array(count);
      for (let i = 0; i < count; i++) o[i] = v.getUint32(i * 4, true);
      return o;
    }
    case 'int16':
    case 'uint16': {
      const o = new Int32Array(count);
      for (let i = 0; i < count; i++) o[i] = dtype === 'int16' ? v.getInt16(i * 2, true) : v.getUint16(i * 2, true);
      return o;
    }
    case 'int8':
    case 'uint8': {
      const o = new Int32Array(count);
      for (let i = 0; i < count; i++) o[i] = dtype === 'int8' ? v.getInt8(i) : v.getUint8(i);
      return o;
    }
    default:
      if (isSubByteMil(dtype)) {
        const bits = milDTypeInfo(dtype).bits;
        const o = new Int32Array(count);
        for (let i = 0; i < count; i++) {
          let x = 0;
          let bit = i * bits;
          for (let k = 0; k < bits; k++, bit++) if ((bytes[bit >> 3]! >> (bit & 7)) & 1) x |= 1 << k;
          if (dtype === 'int4' && x >= 8) x -= 16;
          o[i] = x;
        }
        return o;
      }
      throw emitError('E_VALUE', `${dtype} elements have no byte storage form`, { where });
  }
}
