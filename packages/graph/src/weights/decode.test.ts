import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DType, DTYPES } from '../dtype.js';

import { arbShape, fillTensor } from '../testing/arb.js';
import { convertChunk, decodeTensor, isSafetensorsDType, safetensorsDTypeSize, safetensorsTargetDType } from './decode.js';
import { encodeTensor } from './encode.js';
import { fp32ToFp16Bits } from '../fp16.js';
import { errorCode } from '../testing/errors.js';

const site = { file: 'f.safetensors', tensor: 't' };

describe('decodeTensor', () => {
  it('inverts encodeTensor for every dtype (property)', () => {
    fc.assert(fc.property(fc.constantFrom<DType>(...DTYPES), arbShape(0, 3, 7), fc.integer({ min: 1, max: 1e9 }), (dt, shape, seed) => {
      const t = fillTensor(dt, shape, seed, 100);
      const back = decodeTensor(dt, shape, encodeTensor(t));
      expect(back.dtype).toBe(dt);
      expect(back.shape).toEqual(shape);
      expect(back.data.constructor).toBe(t.data.constructor);
      expect([...back.data]).toEqual([...t.data]);
    }), { numRuns: 300 });
  });

  it('decodes packed sub-byte values LSB first with int4 sign extension', () => {
    // int4 [1, -1, -8]: nibbles 0x1, 0xF, 0x8 -> bytes 0xF1, 0x08.
    expect([...decodeTensor('int4', [3], Uint8Array.of(0xf1, 0x08)).data]).toEqual([1, -1, -8]);
    // uint3 [5, 2, 7]: bits 101 010 111 -> 0b11_010_101 = 0xD5, then 0b1.
    expect([...decodeTensor('uint3', [3], Uint8Array.of(0xd5, 0x01)).data]).toEqual([5, 2, 7]);
  });

  it('rejects a byte count that does not match dtype and shape', () => {
    expect(errorCode(() => decodeTensor('fp32', [2], new Uint8Array(7)))).toBe('E_WEIGHT_MISMATCH');
    expect(errorCode(() => decodeTensor('uint3', [3], new Uint8Array(1)))).toBe('E_WEIGHT_MISMATCH');
  });
});

describe('safetensors dtype helpers', () => {
  it('knows the sizes and targets of the supported dtypes', () => {
    expect(['F32', 'F16', 'BF16', 'I8', 'U8', 'I32', 'I64', 'BOOL'].map((d) => (isSafetensorsDType(d) ? safetensorsDTypeSize(d) : 0))).toEqual([4, 2, 2, 1, 1, 4, 8, 1]);
    expect(isSafetensorsDType('F64')).toBe(false);
    expect(isSafetensorsDType('toString')).toBe(false);
    expect(safetensorsTargetDType('BF16')).toBe('fp32');
    expect(safetensorsTargetDType('BF16', 'fp16')).toBe('fp16');
    expect(safetensorsTargetDType('F16', 'fp32')).toBe('fp32');
    expect(safetensorsTargetDType('F32', 'fp16')).toBe('fp16');
    expect(safetensorsTargetDType('I64', 'fp16')).toBe('int32');
    expect(safetensorsTargetDType('U8')).toBe('uint8');
  });

  it('convertChunk rejects partial elements and conversions it does not define', () => {
    expect(errorCode(() => convertChunk(new Uint8Array(3), 'F16', 'fp32', 0, site))).toBe('E_SAFETENSORS');
    expect(errorCode(() => convertChunk(new Uint8Array(4), 'F32', 'int32', 0, site))).toBe('E_SAFETENSORS');
    expect(errorCode(() => convertChunk(new Uint8Array(8), 'I64', 'int32', 0, site))).toBe('ok');
  });
});

describe('convertChunk to fp16', () => {
  /** The fp32 value of IEEE bits `b`, through a DataView (independent of the typed-array paths). */
  const f32 = (b: number): number => {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setUint32(0, b >>> 0);
    return dv.getFloat32(0);
  };

  it('F32 and BF16 chunks at any byte offset give fp32ToFp16Bits of every element (property)', () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 40 }), fc.nat({ max: 3 }), fc.boolean(), (words, shift, bf16) => {
      const size = bf16 ? 2 : 4;
      // The chunk sits at byte offset `shift` of its buffer, so typed-array views may be unaligned.
      const buf = new Uint8Array(shift + words.length * size);
      const dv = new DataView(buf.buffer);
      words.forEach((w, i) => (bf16 ? dv.setUint16(shift + 2 * i, w >>> 16, true) : dv.setUint32(shift + 4 * i, w, true)));
      const out = convertChunk(buf.subarray(shift), bf16 ? 'BF16' : 'F32', 'fp16', 0, site);
      expect(out.byteLength).toBe(words.length * 2);
      const ov = new DataView(out.buffer, out.byteOffset, out.byteLength);
      words.forEach((w, i) => {
        const bits = bf16 ? (w >>> 16) << 16 : w;
        expect(ov.getUint16(2 * i, true), `word ${w.toString(16)}`).toBe(fp32ToFp16Bits(f32(bits)));
      });
      // The input is left as it was.
      words.forEach((w, i) => expect(bf16 ? dv.getUint16(shift + 2 * i, true) : dv.getUint32(shift + 4 * i, true)).toBe(bf16 ? w >>> 16 : w));
    }), { numRuns: 300 });
  });
});
