/**
 * Encodes a runtime tensor to its storage bytes: little-endian, fp16 as IEEE bits, bool as one
 * byte, sub-byte types packed LSB first (element i at bits [i*b, i*b+b)).
 * @module
 */
import { dtypeInfo } from '../dtype.js';
import { encodeFp16, encodeFp16Range } from '../fp16.js';
import type { Tensor } from '../tensor.js';

/** The storage bytes of `t`. */
export function encodeTensor(t: Tensor): Uint8Array {
  const n = t.data.length;
  const info = dtypeInfo(t.dtype);
  switch (t.dtype) {
    case 'fp32':
      // A copy either way (callers may keep the bytes); slice is a memcpy, from() is not.
      return new Uint8Array((t.data instanceof Float32Array ? t.data.slice() : Float32Array.from(t.data)).buffer);
    case 'fp16':
      // fp16 data is a Float32Array by contract; the bulk path reads its bits directly.
      if (t.data instanceof Float32Array) return new Uint8Array(encodeFp16Range(t.data, 0, n, new Uint16Array(n)).buffer);
      return new Uint8Array(encodeFp16(t.data).buffer);
    case 'int32':
      return new Uint8Array((t.data instanceof Int32Array ? t.data.slice() : Int32Array.from(t.data)).buffer);
    case 'int16':
      return new Uint8Array(Int16Array.from(t.data).buffer);
    case 'int8':
      return new Uint8Array(Int8Array.from(t.data).buffer);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(t.data);
    default: {
      const bits = info.bits;
      const out = new Uint8Array(Math.ceil((n * bits) / 8));
      const mask = (1 << bits) - 1;
      for (let i = 0; i < n; i++) {
        const v = t.data[i]! & mask; // two's complement for int4
        let bit = i * bits;
        for (let k = 0; k < bits; k++, bit++) {
          if ((v >> k) & 1) out[bit >> 3]! |= 1 << (bit & 7);
        }
      }
      return out;
    }
  }
}
