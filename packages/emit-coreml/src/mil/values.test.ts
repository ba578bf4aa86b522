import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor } from '@fastvlm/graph';
import { encodeMessage, decodeMessage } from '../proto/codec.js';
import type { MilValue } from '../proto/mil-types.js';
import { type MilDType, blobCodeOf, milDTypeInfo, milDTypeOfBlobCode, milDTypeOfCode } from './dtypes.js';
import { fp8e4m3fnToNumber, fp8e5m2ToNumber, packElements, unpackElements } from './elements.js';
import { decodeMilValue, immediateFromTensor, immediateTensor, toGraphTensor } from './values.js';
import { errorCode } from '../../../graph/src/testing/errors.js';

/** Naive packing: write each element's bits (two's complement) one by one into a bit list, LSB first. */
function naivePack(bits: number, values: readonly number[]): number[] {
  const stream: number[] = [];
  for (const v of values) for (let k = 0; k < bits; k++) stream.push((((v % 2 ** bits) + 2 ** bits) % 2 ** bits >> k) & 1);
  while (stream.length % 8 !== 0) stream.push(0);
  const out: number[] = [];
  for (let i = 0; i < stream.length; i += 8) out.push(stream.slice(i, i + 8).reduce((acc, b, k) => acc + b * 2 ** k, 0));
  return out;
}

const SUB: [MilDType, number, number, number][] = [
  ['int4', 4, -8, 7], ['uint4', 4, 0, 15], ['uint1', 1, 0, 1], ['uint2', 2, 0, 3], ['uint3', 3, 0, 7], ['uint6', 6, 0, 63],
];

describe('element packing', () => {
  for (const [dtype, bits, lo, hi] of SUB) {
    it(`packs ${dtype} LSB first like a naive bit writer and unpacks back`, () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: lo, max: hi }), { maxLength: 40 }), (vals) => {
          const packed = packElements(dtype, vals);
          expect([...packed]).toEqual(naivePack(bits, vals));
          expect([...unpackElements(dtype, packed, vals.length)]).toEqual(vals);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('encodes byte types little-endian (literal bytes)', () => {
    expect([...packElements('fp16', [1, -2, 65504, 2 ** -24])]).toEqual([0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00]);
    expect([...packElements('fp32', [1.5])]).toEqual([0, 0, 0xc0, 0x3f]);
    expect([...packElements('int32', [-2])]).toEqual([0xfe, 0xff, 0xff, 0xff]);
    expect([...packElements('uint32', [0x01020304])]).toEqual([4, 3, 2, 1]);
    expect([...packElements('int16', [-1, 258])]).toEqual([0xff, 0xff, 2, 1]);
    expect([...packElements('int8', [-128, 127])]).toEqual([0x80, 0x7f]);
    expect([...packElements('bf16', [1, -2.5])]).toEqual([0x80, 0x3f, 0x20, 0xc0]);
    expect([...unpackElements('bf16', Uint8Array.from([0x80, 0x3f, 0x20, 0xc0]), 2)]).toEqual([1, -2.5]);
    expect([...unpackElements('uint16', Uint8Array.from([0xff, 0xff]), 1)]).toEqual([65535]);
    expect([...unpackElements('int16', Uint8Array.from([0xff, 0xff]), 1)]).toEqual([-1]);
  });

  it('decodes fp8 bytes', () => {
    expect([0x38, 0xb8, 0x7e, 0x7f, 0x01].map(fp8e4m3fnToNumber)).toEqual([1, -1, 448, NaN, 2 ** -9]);
    expect([0x3c, 0x7b, 0x7c, 0xfc, 0x01].map(fp8e5m2ToNumber)).toEqual([1, 57344, Infinity, -Infinity, 2 ** -16]);
    expect([...unpackElements('fp8e4m3fn', Uint8Array.from([0x40]), 1)]).toEqual([2]);
  });

  it('rejects out-of-range elements and wrong byte counts', () => {
    expect(errorCode(() => packElements('uint3', [8]))).toBe('E_VALUE');
    expect(errorCode(() => packElements('int4', [-9]))).toBe('E_VALUE');
    expect(errorCode(() => packElements('int8', [1.5]))).toBe('E_VALUE');
    expect(errorCode(() => packElements('uint8', [256]))).toBe('E_VALUE');
    expect(errorCode(() => packElements('int64', [1]))).toBe('E_VALUE');
    expect(errorCode(() => unpackElements('uint3', new Uint8Array(4), 12))).toBe('E_VALUE');
    expect(errorCode(() => unpackElements('fp32', new Uint8Array(5), 1))).toBe('E_VALUE');
  });
});

describe('dtype tables', () => {
  it('maps names to MIL DataType codes and blob codes of the format', () => {
    const mil: [MilDType, number][] = [['bool', 1], ['string', 2], ['fp16', 10], ['fp32', 11], ['fp64', 12], ['bf16', 13], ['int8', 21], ['int16', 22], ['int32', 23], ['int64', 24], ['int4', 25], ['uint8', 31], ['uint16', 32], ['uint32', 33], ['uint64', 34], ['uint4', 35], ['uint2', 36], ['uint1', 37], ['uint6', 38], ['uint3', 39], ['fp8e4m3fn', 40], ['fp8e5m2', 41]];
    for (const [d, c] of mil) {
      expect(milDTypeInfo(d).code).toBe(c);
      expect(milDTypeOfCode(c)).toBe(d);
    }
    const blob: [MilDType, number][] = [['fp16', 1], ['fp32', 2], ['uint8', 3], ['int8', 4], ['bf16', 5], ['int16', 6], ['uint16', 7], ['int4', 8], ['uint1', 9], ['uint2', 10], ['uint4', 11], ['uint3', 12], ['uint6', 13], ['int32', 14], ['uint32', 15], ['fp8e4m3fn', 16], ['fp8e5m2', 17]];
    for (const [d, c] of blob) {
      expect(blobCodeOf(d)).toBe(c);
      expect(milDTypeOfBlobCode(c)).toBe(d);
    }
    expect(errorCode(() => blobCodeOf('int64'))).toBe('E_VALUE');
    expect(errorCode(() => milDTypeOfCode(99))).toBe('E_VALUE');
    expect(errorCode(() => milDTypeInfo('fp128'))).toBe('E_VALUE');
  });
});

describe('immediate values', () => {
  it('puts each dtype in the TensorValue member coremltools reads', () => {
    const member = (d: MilDType, vals: readonly (number | boolean | string)[]): string[] => Object.keys(immediateTensor(d, [vals.length], vals as number[]).immediateValue!.tensor!);
    expect(member('fp32', [1])).toEqual(['floats']);
    expect(member('fp64', [1])).toEqual(['doubles']);
    for (const d of ['fp16', 'int8', 'uint8', 'uint32', 'int4', 'uint1', 'uint2', 'uint3', 'uint4', 'uint6'] as const) expect(member(d, [1])).toEqual(['bytes']);
    for (const d of ['int16', 'uint16', 'int32'] as const) expect(member(d, [1])).toEqual(['ints']);
    for (const d of ['int64', 'uint64'] as const) expect(member(d, [1])).toEqual(['longInts']);
    expect(member('bool', [true])).toEqual(['bools']);
    expect(member('string', ['a'])).toEqual(['strings']);
    expect(errorCode(() => immediateTensor('bf16', [1], [1]))).toBe('E_VALUE');
  });

  it('writes the type with rank and constant dimensions, and the elements', () => {
    const v = immediateTensor('fp16', [2, 1], [0.5, -1]);
    expect(v.type).toEqual({ tensorType: { dataType: 10, rank: 2, dimensions: [{ constant: { size: 2 } }, { constant: { size: 1 } }] } });
    expect([...v.immediateValue!.tensor!.bytes!.values!]).toEqual([0x00, 0x38, 0x00, 0xbc]);
    const s = immediateTensor('int32', [], [7]);
    expect(s.type).toEqual({ tensorType: { dataType: 23, rank: 0, dimensions: [] } });
    // An empty tensor still sets its member, as coremltools does.
    const e = immediateTensor('fp32', [0, 3], []);
    expect(Object.keys(e.immediateValue!.tensor!)).toEqual(['floats']);
  });

  it('round-trips through the wire and decodes back to the same elements', () => {
    const cases: [MilDType, number[], (number | boolean | string)[]][] = [
      ['fp32', [2, 2], [1.5, -2, 0, 3.25]], ['fp16', [3], [0.5, -65504, 6e-8]], ['int32', [2], [-5, 2 ** 31 - 1]], ['int16', [1], [-32768]],
      ['uint16', [1], [65535]], ['int8', [2], [-128, 5]], ['uint8', [1], [255]], ['uint32', [1], [2 ** 32 - 1]], ['int64', [2], [-(2 ** 53) + 1, 7]],
      ['int4', [3], [-8, 7, 0]], ['uint3', [5], [7, 0, 1, 2, 3]], ['fp64', [1], [Math.PI]], ['bool', [2], [true, false]], ['string', [2], ['a', 'bc']],
    ];
    for (const [d, shape, vals] of cases) {
      const v = immediateTensor(d, shape, vals as number[]);
      const back = decodeMessage('CoreML.Specification.MILSpec.Value', encodeMessage('CoreML.Specification.MILSpec.Value', v)) as MilValue;
      const t = decodeMilValue(back);
      expect([d, t.dtype, t.shape]).toEqual([d, d, shape]);
      const want = d === 'fp16' ? [0.5, -65504, 2 ** -24 * 1] : d === 'bool' ? [1, 0] : vals;
      expect([d, ...Array.from(t.data as ArrayLike<number | string>)]).toEqual([d, ...want]);
    }
  });

  it('converts graph tensors and back', () => {
    const t = tensor('int4', [2, 2], [-8, 7, 1, 0]);
    const v = immediateFromTensor(t);
    expect([...v.immediateValue!.tensor!.bytes!.values!]).toEqual([0x78, 0x01]);
    const g = toGraphTensor(decodeMilValue(v));
    expect(g).toEqual({ dtype: 'int4', shape: [2, 2], data: Int32Array.from([-8, 7, 1, 0]) });
    expect(errorCode(() => toGraphTensor(decodeMilValue(immediateTensor('int64', [1], [1]))))).toBe('E_VALUE');
  });

  it('rejects bad immediate values with E_VALUE', () => {
    expect(errorCode(() => immediateTensor('fp32', [2], [1]))).toBe('E_VALUE');
    expect(errorCode(() => immediateTensor('fp32', ['n'], [1]))).toBe('E_VALUE');
    expect(errorCode(() => immediateTensor('int32', [1], [2 ** 31]))).toBe('E_VALUE');
    expect(errorCode(() => immediateTensor('bool', [1], [2]))).toBe('E_VALUE');
    expect(errorCode(() => immediateTensor('string', [1], [1]))).toBe('E_VALUE');
    const ft = { tensorType: { dataType: 11, rank: 1, dimensions: [{ constant: { size: 2 } }] } };
    expect(errorCode(() => decodeMilValue({ type: ft, immediateValue: { tensor: { ints: { values: [1, 2] } } } }))).toBe('E_VALUE');
    expect(errorCode(() => decodeMilValue({ type: ft, immediateValue: { tensor: { floats: { values: [1] } } } }))).toBe('E_VALUE');
    expect(errorCode(() => decodeMilValue({ type: { tensorType: { dataType: 11, rank: 2, dimensions: [{ constant: { size: 2 } }] } }, immediateValue: { tensor: { floats: { values: [1, 2] } } } }))).toBe('E_VALUE');
    expect(errorCode(() => decodeMilValue({ type: { tensorType: { dataType: 11, rank: 1, dimensions: [{ unknown: {} }] } }, immediateValue: { tensor: { floats: { values: [] } } } }))).toBe('E_VALUE');
    expect(errorCode(() => decodeMilValue({ type: ft, blobFileValue: { fileName: '@model_path/weights/weight.bin', offset: 64 } }))).toBe('E_VALUE');
    expect(errorCode(() => decodeMilValue({ type: { listType: {} } }))).toBe('E_VALUE');
    expect(errorCode(() => decodeMilValue({ type: ft }))).toBe('E_VALUE');
  });
});
