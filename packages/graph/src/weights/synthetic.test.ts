import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType } from '../dtype.js';

import { roundToFp16 } from '../fp16.js';
import { encodeTensor } from './encode.js';
import { WeightStore, memorySource } from './store.js';
import { SyntheticWeights, syntheticBits, syntheticFanIn, syntheticKey, syntheticSource } from './synthetic.js';
import { expectCode } from '../testing/errors.js';

// Reference generator written with BigInt arithmetic, from the documented algorithm.
const M32 = (1n << 32n) - 1n;
const mul = (a: bigint, b: bigint): bigint => (a * b) & M32;
function refFmix(h: bigint): bigint {
  h ^= h >> 16n;
  h = mul(h, 0x85ebca6bn);
  h ^= h >> 13n;
  h = mul(h, 0xc2b2ae35n);
  h ^= h >> 16n;
  return h;
}
function refKey(seed: number, name: string): bigint {
  let h = 0x811c9dc5n;
  const s = BigInt(seed);
  const bytes = [...Array.from({ length: 8 }, (_, i) => Number((s >> BigInt(8 * i)) & 0xffn)), ...Buffer.from(name, 'utf8')];
  for (const b of bytes) h = mul(h ^ BigInt(b), 0x01000193n);
  return refFmix(h);
}
function refBits(key: bigint, counter: bigint): bigint {
  const hi = counter >> 32n;
  const k = hi === 0n ? key : refFmix(key ^ mul(hi, 0x27d4eb2fn));
  return refFmix((k + mul(counter & M32, 0x9e3779b9n)) & M32);
}
function refNormal(key: bigint, i: number, mean: number, std: number): number {
  let s = 0;
  for (let k = 0; k < 2; k++) {
    const r = Number(refBits(key, BigInt(i * 2 + k)));
    s += Math.floor(r / 65536) + (r % 65536);
  }
  return mean + std * (((s + 2) / 65536 - 2) * 1.7320508075688772);
}

function bytesOf(it: Iterable<Uint8Array>): string {
  return Buffer.concat([...it]).toString('hex');
}

describe('synthetic generator', () => {
  it('keys and bits match the BigInt reference, including counters past 2^32', () => {
    fc.assert(fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), (seed, name, counter) => {
      const key = syntheticKey(seed, name);
      expect(BigInt(key)).toBe(refKey(seed, name));
      expect(BigInt(syntheticBits(key, counter))).toBe(refBits(BigInt(key), BigInt(counter)));
    }), { numRuns: 300 });
  });

  it('normal fp32 and fp16 values equal the reference, with the default std 1/sqrt(fan_in)', () => {
    const shape = [6, 4, 4];
    const key = refKey(11, 'conv.weight');
    const std = 1 / Math.sqrt(16);
    const f32 = syntheticSource('conv.weight', 'fp32', shape, { seed: 11 }).read();
    const f16 = syntheticSource('conv.weight', 'fp16', shape, { seed: 11 }).read();
    for (let i = 0; i < 96; i++) {
      const v = refNormal(key, i, 0, std);
      expect(f32.data[i]).toBe(Math.fround(v));
      expect(f16.data[i]).toBe(roundToFp16(v));
    }
    const m = syntheticSource('b', 'fp32', [5], { seed: 2, mean: 3, std: 0.5 }).read();
    const kb = refKey(2, 'b');
    for (let i = 0; i < 5; i++) expect(m.data[i]).toBe(Math.fround(refNormal(kb, i, 3, 0.5)));
  });

  it('uniform values equal the reference for floats and integers', () => {
    const k = refKey(0, 'u');
    const f = syntheticSource('u', 'fp32', [50], { kind: 'uniform', low: -2, high: 6 }).read();
    const i8 = syntheticSource('u', 'int8', [50]).read(); // default: full int8 range
    const i32 = syntheticSource('u', 'int32', [50], { kind: 'uniform', low: -3, high: 3 }).read();
    for (let i = 0; i < 50; i++) {
      const r = Number(refBits(k, BigInt(i)));
      expect(f.data[i]).toBe(Math.fround(-2 + 8 * ((r + 0.5) / 2 ** 32)));
      expect(i8.data[i]).toBe(-128 + Math.floor((r * 256) / 2 ** 32));
      expect(i32.data[i]).toBe(-3 + Math.floor((r * 7) / 2 ** 32));
    }
  });

  it('is deterministic, and differs by seed, name and element', () => {
    const a = bytesOf(syntheticSource('x', 'fp16', [64, 8], { seed: 5 }).stream!(1 << 20));
    expect(bytesOf(syntheticSource('x', 'fp16', [64, 8], { seed: 5 }).stream!(1 << 20))).toBe(a);
    expect(bytesOf(syntheticSource('x', 'fp16', [64, 8], { seed: 6 }).stream!(1 << 20))).not.toBe(a);
    expect(bytesOf(syntheticSource('y', 'fp16', [64, 8], { seed: 5 }).stream!(1 << 20))).not.toBe(a);
    const vals = syntheticSource('x', 'fp32', [1000], { kind: 'uniform' }).read().data;
    expect(new Set(vals).size).toBeGreaterThan(990);
  });

  it('stream yields the same bytes as read for every dtype and chunk size, chunk by chunk', () => {
    const dts: DType[] = ['fp32', 'fp16', 'int32', 'int16', 'int8', 'uint8', 'bool', 'int4', 'uint4', 'uint1', 'uint2', 'uint3', 'uint6'];
    fc.assert(fc.property(
      fc.constantFrom(...dts),
      fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 3 }),
      fc.integer({ min: 1, max: 100 }),
      fc.nat({ max: 1000 }),
      (dt, shape, chunk, seed) => {
        const src = syntheticSource('w', dt, shape, { seed });
        const chunks = [...src.stream!(chunk)];
        expect(Buffer.concat(chunks).toString('hex')).toBe(Buffer.from(encodeTensor(src.read())).toString('hex'));
        const bits = dt === 'fp32' || dt === 'int32' ? 32 : dt === 'fp16' || dt === 'int16' ? 16 : { int4: 4, uint4: 4, uint1: 1, uint2: 2, uint3: 3, uint6: 6 }[dt as string] ?? 8;
        const maxChunk = Math.max(chunk, bits); // at least 8 elements per chunk
        for (const c of chunks) expect(c.byteLength).toBeLessThanOrEqual(maxChunk);
      },
    ), { numRuns: 200 });
  });

  it('streamRange yields the bytes of the element range, as encoding readRange would (property)', () => {
    const dts: DType[] = ['fp32', 'fp16', 'int8', 'int4', 'uint2'];
    fc.assert(fc.property(fc.constantFrom(...dts), fc.integer({ min: 1, max: 60 }), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 40 }), (dt, n, a, b, chunk) => {
      const src = syntheticSource('w', dt, [n], { seed: 4 });
      // Sub-byte ranges start on a byte boundary (8 elements covers every width).
      const start = dt === 'int4' || dt === 'uint2' ? (a % Math.ceil(n / 8)) * 8 : a % n;
      const count = b % (n - start + 1);
      expect(bytesOf(src.streamRange!(start, count, chunk))).toBe(Buffer.from(encodeTensor(src.readRange!(start, count))).toString('hex'));
    }), { numRuns: 200 });
    expectCode(() => syntheticSource('w', 'fp32', [4]).streamRange!(2, 3, 64), 'E_ATTR', 'outside');
    expectCode(() => syntheticSource('w', 'int4', [16]).streamRange!(1, 2, 64), 'E_ATTR', 'byte-aligned');
  });

  it('chunk k holds exactly the elements the reference generator gives for its index range', () => {
    // Counter-based: element i depends only on (key, i); rank 1 means fan_in 1, std 1.
    const src = syntheticSource('big', 'fp32', [1 << 16], { seed: 3 });
    const it = src.stream!(4096)[Symbol.iterator]();
    for (let k = 0; k < 5; k++) it.next();
    const sixth = it.next().value!;
    const key = refKey(3, 'big');
    const dv = new DataView(sixth.buffer, sixth.byteOffset, sixth.byteLength);
    for (let j = 0; j < 1024; j += 97) expect(dv.getFloat32(j * 4, true)).toBe(Math.fround(refNormal(key, 5 * 1024 + j, 0, 1)));
  });
});

describe('synthetic scales and kinds', () => {
  it('normal: mean about 0 and std about 1/sqrt(fan_in)', () => {
    const t = [...syntheticSource('fc.weight', 'fp32', [256, 64]).read().data];
    const n = t.length;
    const mean = t.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(t.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    expect(Math.abs(mean)).toBeLessThan((4 * 0.125) / Math.sqrt(n));
    expect(Math.abs(sd - 0.125) / 0.125).toBeLessThan(0.03);
    expect(syntheticFanIn([256, 64])).toBe(64);
    expect(syntheticFanIn([8, 3, 3, 3])).toBe(27);
    expect(syntheticFanIn([7])).toBe(1);
    expect(syntheticFanIn([])).toBe(1);
    expect(syntheticFanIn([4, 0])).toBe(1);
  });

  it('fp16 values are fp16-representable', () => {
    const t = syntheticSource('h', 'fp16', [500], { std: 3 }).read().data;
    for (const v of t) expect(roundToFp16(v)).toBe(v);
  });

  it('uniform stays in range and covers small integer ranges; bool has both values', () => {
    const f = syntheticSource('u', 'fp32', [2000], { kind: 'uniform', low: 1, high: 1.5 }).read().data;
    for (const v of f) expect(v >= 1 && v <= 1.5).toBe(true);
    const d = syntheticSource('d', 'fp16', [2000], { kind: 'uniform' }).read().data; // ±1/sqrt(1)
    for (const v of d) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    const q = syntheticSource('q', 'int4', [400]).read().data;
    expect(new Set(q)).toEqual(new Set([-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7]));
    const u = syntheticSource('u2', 'uint2', [200]).read().data;
    expect(new Set(u)).toEqual(new Set([0, 1, 2, 3]));
    const w = syntheticSource('w', 'int32', [2000]).read().data;
    expect(Math.min(...w)).toBe(-128);
    expect(Math.max(...w)).toBe(127);
    const b = syntheticSource('m', 'bool', [100]).read().data;
    expect(b).toBeInstanceOf(Uint8Array);
    expect(new Set(b)).toEqual(new Set([0, 1]));
    const big = syntheticSource('r', 'int32', [50], { kind: 'uniform', low: -2147483648, high: 2147483647 }).read().data;
    expect(new Set(big).size).toBe(50);
  });

  it('ones, zeros, constant; integer normals are rounded and clamped', () => {
    expect([...syntheticSource('a', 'fp16', [3], { kind: 'ones' }).read().data]).toEqual([1, 1, 1]);
    expect([...syntheticSource('a', 'int8', [2], { kind: 'zeros' }).read().data]).toEqual([0, 0]);
    expect([...syntheticSource('a', 'fp16', [2], { kind: 'constant', value: 0.1 }).read().data]).toEqual([roundToFp16(0.1), roundToFp16(0.1)]);
    expect([...syntheticSource('a', 'fp32', [1], { kind: 'constant', value: 0.1 }).read().data]).toEqual([Math.fround(0.1)]);
    expect([...syntheticSource('a', 'bool', [2], { kind: 'ones' }).read().data]).toEqual([1, 1]);
    const n = syntheticSource('n', 'int8', [300], { kind: 'normal', std: 100 }).read().data;
    for (const v of n) expect(Number.isInteger(v) && v >= -128 && v <= 127).toBe(true);
    expect(n.some((v) => v === 127 || v === -128)).toBe(true);
  });

  it('describes its origin', () => {
    const d = syntheticSource('a', 'fp16', [4, 4], { seed: 9 }).describe();
    expect(d).toContain('normal');
    expect(d).toContain('seed=9');
    expect(d).toContain('[4,4]');
  });
});

describe('synthetic option errors', () => {
  it('rejects bad options, dtypes and shapes with coded errors', () => {
    expectCode(() => syntheticSource('w', 'fp32', [2], { std: -1 }), 'E_ATTR', "'w'", 'std');
    expectCode(() => syntheticSource('w', 'fp32', [2], { std: Number.NaN }), 'E_ATTR', 'std');
    expectCode(() => syntheticSource('w', 'fp32', [2], { kind: 'uniform', std: 1 }), 'E_ATTR', "'std'", 'uniform');
    expectCode(() => syntheticSource('w', 'fp32', [2], { value: 1 }), 'E_ATTR', "'value'");
    expectCode(() => syntheticSource('w', 'fp32', [2], { kind: 'uniform', low: 2, high: 1 }), 'E_ATTR', 'low <= high');
    expectCode(() => syntheticSource('w', 'int8', [2], { kind: 'uniform', low: 0.5, high: 3 }), 'E_ATTR', 'integers');
    expectCode(() => syntheticSource('w', 'uint8', [2], { kind: 'uniform', low: 0, high: 256 }), 'E_ATTR', 'uint8');
    expectCode(() => syntheticSource('w', 'fp32', [2], { kind: 'constant' }), 'E_ATTR', "'value'");
    expectCode(() => syntheticSource('w', 'int8', [2], { kind: 'constant', value: 200 }), 'E_ATTR', 'int8');
    expectCode(() => syntheticSource('w', 'bool', [2], { kind: 'constant', value: 2 }), 'E_ATTR', 'bool');
    expectCode(() => syntheticSource('w', 'fp32', [2], { kind: 'gauss' as never }), 'E_ATTR', 'gauss');
    expectCode(() => syntheticSource('w', 'fp32', [2], { seed: -1 }), 'E_ATTR', 'seed');
    expectCode(() => syntheticSource('w', 'fp32', [2], { seed: 1.5 }), 'E_ATTR', 'seed');
    expectCode(() => syntheticSource('w', 'f32' as never, [2]), 'E_DTYPE_UNKNOWN', 'f32');
    expectCode(() => syntheticSource('w', 'fp32', [-1]), 'E_SHAPE_INVALID');
    expectCode(() => syntheticSource('w', 'fp32', [2 ** 30, 2 ** 30, 2 ** 30]), 'E_SHAPE_OVERFLOW');
    expectCode(() => syntheticSource('w', 'fp32', [2]).stream!(0), 'E_ATTR', 'chunkBytes');
  });
});

describe('SyntheticWeights', () => {
  it('registers weights with shared defaults, and ensure() reuses or checks', () => {
    const sw = new SyntheticWeights({ seed: 42 });
    sw.add('a', 'fp16', [4, 4]);
    sw.addAll([{ name: 'b', dtype: 'fp32', shape: [3] }, { name: 'n.weight', dtype: 'fp32', shape: [3], kind: 'ones' }]);
    expect(sw.store.names()).toEqual(['a', 'b', 'n.weight']);
    expect(bytesOf(sw.store.stream('a'))).toBe(bytesOf(syntheticSource('a', 'fp16', [4, 4], { seed: 42 }).stream!(64)));
    expect([...sw.store.read('n.weight').data]).toEqual([1, 1, 1]);
    expect(sw.ensure('a', 'fp16', [4, 4])).toBe(sw.store.source('a'));
    expectCode(() => sw.ensure('a', 'fp32', [4, 4]), 'E_WEIGHT_MISMATCH', "'a'", 'fp16[4,4]', 'fp32[4,4]');
    expectCode(() => sw.ensure('a', 'fp16', [16]), 'E_WEIGHT_MISMATCH', '[16]');
    expectCode(() => sw.add('a', 'fp16', [4, 4]), 'E_NAME', "'a'");
    const fresh = sw.ensure('c', 'int8', [2]);
    expect(sw.store.source('c')).toBe(fresh);
  });

  it('per-weight kind replaces the default kind options; works on an existing store', () => {
    const store = new WeightStore();
    store.add('pre', memorySource({ dtype: 'fp32', shape: [1], data: Float32Array.of(7) }));
    const sw = new SyntheticWeights({ seed: 1, kind: 'normal', std: 0.5 }, store);
    sw.add('u', 'fp32', [4], { kind: 'uniform' });
    sw.add('n', 'fp32', [4]);
    expect(bytesOf(store.stream('u'))).toBe(bytesOf(syntheticSource('u', 'fp32', [4], { seed: 1, kind: 'uniform' }).stream!(64)));
    expect(bytesOf(store.stream('n'))).toBe(bytesOf(syntheticSource('n', 'fp32', [4], { seed: 1, std: 0.5 }).stream!(64)));
    expect(store.names()).toEqual(['pre', 'u', 'n']);
  });
});

describe('synthetic fast float paths', () => {
  /** Little-endian fp32 bytes of values already rounded to fp32. */
  const f32Bytes = (vals: number[]): string => {
    const dv = new DataView(new ArrayBuffer(vals.length * 4));
    vals.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    return Buffer.from(dv.buffer).toString('hex');
  };

  it('fp16 and fp32 streams equal the reference generator across generate-then-encode steps (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 12000 }), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 1 << 15 }), fc.constantFrom<'normal' | 'uniform'>('normal', 'uniform'), (n, a, b, chunk, kind) => {
      const key = refKey(8, 'w');
      const start = a % n;
      const count = b % (n - start + 1);
      const ref = (i: number): number => kind === 'normal' ? refNormal(key, i, 0, 1) : -1 + 2 * ((Number(refBits(key, BigInt(i))) + 0.5) / 2 ** 32);
      const want = Array.from({ length: count }, (_, j) => ref(start + j));
      const h = Buffer.concat([...syntheticSource('w', 'fp16', [n], { seed: 8, kind }).streamRange!(start, count, chunk)]);
      const f = Buffer.concat([...syntheticSource('w', 'fp32', [n], { seed: 8, kind }).streamRange!(start, count, chunk)]);
      expect(h.length).toBe(2 * count);
      const hv = new DataView(h.buffer, h.byteOffset, h.byteLength);
      for (let j = 0; j < count; j++) expect(hv.getUint16(2 * j, true), `element ${start + j}`).toBe(f16BitsRef(roundToFp16(want[j]!)));
      expect(f.toString('hex')).toBe(f32Bytes(want.map((v) => Math.fround(v))));
    }), { numRuns: 60 });
  });

  it('element ranges crossing the generator block boundaries (2^31 normals, 2^32 uniforms) equal the reference', () => {
    const key = refKey(0, 'huge');
    const n = 2 ** 33;
    const normal = syntheticSource('huge', 'fp32', [n], { std: 1 });
    const s = 2 ** 31 - 3;
    const t = normal.readRange!(s, 6);
    for (let j = 0; j < 6; j++) expect(t.data[j]).toBe(Math.fround(refNormal(key, s + j, 0, 1)));
    const h = syntheticSource('huge', 'fp16', [n], { std: 1 });
    const bytes = Buffer.concat([...h.streamRange!(s - 1, 8, 6)]);
    for (let j = 0; j < 8; j++) expect(bytes.readUInt16LE(2 * j)).toBe(f16BitsRef(roundToFp16(refNormal(key, s - 1 + j, 0, 1))));
    const u = syntheticSource('huge', 'fp32', [n], { kind: 'uniform', low: 0, high: 1 });
    const us = 2 ** 32 - 2;
    const ut = u.readRange!(us, 4);
    for (let j = 0; j < 4; j++) expect(ut.data[j]).toBe(Math.fround((Number(refBits(key, BigInt(us + j))) + 0.5) / 2 ** 32));
  });
});

/** fp16 bits of an fp16-representable number, from the format's definition (no code under test). */
function f16BitsRef(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | (a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  return sign | ((e + 15) << 10) | ((a / 2 ** e - 1) * 1024);
}
