/**
 * Byte-level conversions shared by the safetensors reader and writer: the safetensors dtypes we
 * support, their mapping to IR dtypes, chunk-wise conversion of safetensors bytes to IR storage
 * bytes, and {@link decodeTensor}, the inverse of `encodeTensor`.
 *
 * Everything here reads and writes little-endian explicitly (or through typed arrays only on
 * little-endian hosts), so results never depend on the platform.
 * @module
 */
import { type DType, dtypeInfo } from '../dtype.js';
import { type FastVlmError, graphError } from '../errors.js';
import { bf16BitsToFp32, decodeFp16Range, encodeFp16Range, fp16BitsOfFp32Bits, fp16BitsToFp32, fp32ToFp16Bits } from '../fp16.js';
import { type StaticShape, formatShape, numel } from '../shape.js';
import { type Tensor, allocData } from '../tensor.js';

/** The safetensors element types this toolkit reads (`F32`, `F16`, `BF16`, `I8`, `U8`, `I32`, `I64`, `BOOL`). */
export const SAFETENSORS_DTYPES = ['F32', 'F16', 'BF16', 'I8', 'U8', 'I32', 'I64', 'BOOL'] as const;

/** A safetensors element type name, as written in a file header. */
export type SafetensorsDType = (typeof SAFETENSORS_DTYPES)[number];

const ST_SIZE: Readonly<Record<SafetensorsDType, number>> = { F32: 4, F16: 2, BF16: 2, I8: 1, U8: 1, I32: 4, I64: 8, BOOL: 1 };

/** True when `s` is a safetensors dtype name this toolkit supports. */
export function isSafetensorsDType(s: string): s is SafetensorsDType {
  return Object.prototype.hasOwnProperty.call(ST_SIZE, s);
}

/** Bytes per element of a safetensors dtype. */
export function safetensorsDTypeSize(d: SafetensorsDType): number {
  return ST_SIZE[d];
}

/**
 * What floating-point tensors become when loaded: `'keep'` keeps F32 as fp32 and F16 as fp16 and
 * widens BF16 to fp32 (exact, as the IR has no bf16); `'fp16'` and `'fp32'` convert every float
 * tensor to that type (to fp16 with round-to-nearest-even).
 */
export type FloatPolicy = 'keep' | 'fp16' | 'fp32';

/** The IR dtype a safetensors tensor of dtype `d` is loaded as. I64 narrows to int32 (checked). */
export function safetensorsTargetDType(d: SafetensorsDType, floatPolicy: FloatPolicy = 'keep'): DType {
  switch (d) {
    case 'F32':
    case 'F16':
    case 'BF16':
      if (floatPolicy === 'fp16' || floatPolicy === 'fp32') return floatPolicy;
      return d === 'F16' ? 'fp16' : 'fp32';
    case 'I8':
      return 'int8';
    case 'U8':
      return 'uint8';
    case 'I32':
    case 'I64':
      return 'int32';
    case 'BOOL':
      return 'bool';
  }
}

/** True when the safetensors bytes of `src` are already the IR storage bytes of `dst`. */
export function isPassthrough(src: SafetensorsDType, dst: DType): boolean {
  return (
    (src === 'F32' && dst === 'fp32') ||
    (src === 'F16' && dst === 'fp16') ||
    (src === 'I8' && dst === 'int8') ||
    (src === 'U8' && dst === 'uint8') ||
    (src === 'I32' && dst === 'int32')
  );
}

/** Where a conversion happens, for error messages. */
export interface ConvertSite {
  readonly file: string;
  readonly tensor: string;
}

function siteError(site: ConvertSite, index: number, message: string): FastVlmError {
  return graphError('E_SAFETENSORS', `${site.file}: tensor '${site.tensor}': ${message}`, {
    where: `${site.file}:${site.tensor}`,
    details: { file: site.file, tensor: site.tensor, index },
  });
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Converts a chunk of safetensors bytes of dtype `src` (a whole number of elements) to the IR
 * storage bytes of `dst`. `firstIndex` is the element index of the chunk's first element, so
 * errors name the element within the whole tensor. Checks that I64 values fit int32 and that
 * BOOL bytes are 0 or 1. Returns `bytes` itself when no conversion is needed.
 */
export function convertChunk(bytes: Uint8Array, src: SafetensorsDType, dst: DType, firstIndex: number, site: ConvertSite): Uint8Array {
  const size = ST_SIZE[src];
  const n = bytes.byteLength / size;
  if (!Number.isInteger(n)) {
    throw siteError(site, firstIndex, `chunk of ${bytes.byteLength} bytes is not a whole number of ${src} elements`);
  }
  if (isPassthrough(src, dst)) return bytes;
  const inp = view(bytes);
  if (src === 'BOOL' && dst === 'bool') {
    for (let i = 0; i < n; i++) {
      const v = bytes[i]!;
      if (v > 1) throw siteError(site, firstIndex + i, `BOOL element ${firstIndex + i} has byte value ${v}; expected 0 or 1`);
    }
    return bytes;
  }
  if (src === 'I64' && dst === 'int32') {
    const out = new Uint8Array(n * 4);
    const o = view(out);
    for (let i = 0; i < n; i++) {
      const lo = inp.getUint32(i * 8, true);
      const hi = inp.getInt32(i * 8 + 4, true);
      // In int32 range exactly when the high word is the sign extension of the low word.
      if (hi !== (lo >= 0x80000000 ? -1 : 0)) {
        const value = (BigInt(hi) << 32n) + BigInt(lo);
        throw siteError(site, firstIndex + i, `I64 element ${firstIndex + i} is ${value}, outside the int32 range [-2147483648, 2147483647]`);
      }
      o.setUint32(i * 4, lo, true);
    }
    return out;
  }
  if (dst === 'fp32') {
    const out = new Uint8Array(n * 4);
    const o = view(out);
    if (src === 'BF16') {
      // bf16 is the top half of an fp32: a shift keeps every bit, NaN payloads included.
      for (let i = 0; i < n; i++) o.setUint32(i * 4, inp.getUint16(i * 2, true) << 16 >>> 0, true);
      return out;
    }
    if (src === 'F16') {
      for (let i = 0; i < n; i++) o.setFloat32(i * 4, fp16BitsToFp32(inp.getUint16(i * 2, true)), true);
      return out;
    }
  }
  if (dst === 'fp16' && LITTLE_ENDIAN_HOST) {
    // Bulk paths on the bit patterns: no per-element number conversion or DataView call.
    if (src === 'F32') {
      const f = bytes.byteOffset % 4 === 0 ? new Float32Array(bytes.buffer, bytes.byteOffset, n) : new Float32Array(alignedCopy(bytes));
      return new Uint8Array(encodeFp16Range(f, 0, n, new Uint16Array(n)).buffer);
    }
    if (src === 'BF16') {
      const h = bytes.byteOffset % 2 === 0 ? new Uint16Array(bytes.buffer, bytes.byteOffset, n) : new Uint16Array(alignedCopy(bytes));
      const out = new Uint16Array(n);
      // bf16 bits are the top half of the fp32 bits, so the fp32 -> fp16 rounding applies as is.
      for (let i = 0; i < n; i++) out[i] = fp16BitsOfFp32Bits((h[i]! << 16) >>> 0);
      return new Uint8Array(out.buffer);
    }
  }
  if (dst === 'fp16') {
    const out = new Uint8Array(n * 2);
    const o = view(out);
    if (src === 'F32') {
      for (let i = 0; i < n; i++) o.setUint16(i * 2, fp32ToFp16Bits(inp.getFloat32(i * 4, true)), true);
      return out;
    }
    if (src === 'BF16') {
      for (let i = 0; i < n; i++) o.setUint16(i * 2, fp32ToFp16Bits(bf16BitsToFp32(inp.getUint16(i * 2, true))), true);
      return out;
    }
  }
  throw siteError(site, firstIndex, `cannot convert ${src} to ${dst}`);
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A copy of `b` in a fresh, aligned buffer (typed-array views need alignment). */
function alignedCopy(b: Uint8Array): ArrayBuffer {
  const out = new Uint8Array(b.byteLength);
  out.set(b);
  return out.buffer;
}

/**
 * Decodes IR storage bytes (the format `encodeTensor` writes: little-endian, fp16 as IEEE bits,
 * bool as one byte, sub-byte types packed LSB first) into a tensor. fp32 bit patterns, NaN
 * payloads included, are kept on little-endian hosts.
 */
export function decodeTensor(dtype: DType, shape: StaticShape, bytes: Uint8Array, where?: string): Tensor {
  const n = numel(shape, where);
  const info = dtypeInfo(dtype);
  const want = Math.ceil((n * info.bits) / 8);
  if (bytes.byteLength !== want) {
    throw graphError('E_WEIGHT_MISMATCH', `${dtype}${formatShape(shape)} needs ${want} bytes of storage, got ${bytes.byteLength}`, where !== undefined ? { where } : {});
  }
  const v = view(bytes);
  const s = [...shape];
  switch (dtype) {
    case 'fp32': {
      if (LITTLE_ENDIAN_HOST) return { dtype, shape: s, data: new Float32Array(alignedCopy(bytes)) };
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = v.getFloat32(i * 4, true);
      return { dtype, shape: s, data };
    }
    case 'fp16': {
      const data = new Float32Array(n);
      if (LITTLE_ENDIAN_HOST) {
        const h = bytes.byteOffset % 2 === 0 ? new Uint16Array(bytes.buffer, bytes.byteOffset, n) : new Uint16Array(alignedCopy(bytes));
        return { dtype, shape: s, data: decodeFp16Range(h, 0, n, data) };
      }
      for (let i = 0; i < n; i++) data[i] = fp16BitsToFp32(v.getUint16(i * 2, true));
      return { dtype, shape: s, data };
    }
    case 'int32': {
      if (LITTLE_ENDIAN_HOST) return { dtype, shape: s, data: new Int32Array(alignedCopy(bytes)) };
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = v.getInt32(i * 4, true);
      return { dtype, shape: s, data };
    }
    case 'int16': {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = v.getInt16(i * 2, true);
      return { dtype, shape: s, data };
    }
    case 'int8':
      return { dtype, shape: s, data: Int32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, n)) };
    case 'uint8':
      return { dtype, shape: s, data: Int32Array.from(bytes) };
    case 'bool':
      return { dtype, shape: s, data: Uint8Array.from(bytes) };
    default: {
      // Sub-byte: element i occupies bits [i*b, i*b+b), LSB first; int4 is sign-extended.
      const bits = info.bits;
      const data = allocData(dtype, n);
      for (let i = 0; i < n; i++) {
        let x = 0;
        let bit = i * bits;
        for (let k = 0; k < bits; k++, bit++) x |= ((bytes[bit >> 3]! >> (bit & 7)) & 1) << k;
        data[i] = info.signed && x >= 1 << (bits - 1) ? x - (1 << bits) : x;
      }
      return { dtype, shape: s, data };
    }
  }
}
