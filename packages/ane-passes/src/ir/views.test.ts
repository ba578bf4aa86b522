import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type Tensor, type WeightSource, WeightStore, tensor } from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { TestFn, seeded } from '../testing/support.js';
import { viewSource } from './views.js';
import { errorCode } from '../../../graph/src/testing/errors.js';

/** Counts of the calls a source received. */
interface Calls {
  read: number;
  readRange: number;
  stream: number;
  streamRange: number;
  /** Largest element count asked of readRange. */
  maxRange: number;
}

/**
 * An fp32 weight over `values` whose every method is counted; `readRange`/`stream`/`streamRange`
 * are present only when asked for.
 */
function spySource(shape: number[], values: readonly number[], has: { range?: boolean; stream?: boolean; streamRange?: boolean } = {}): { src: WeightSource; calls: Calls } {
  const calls: Calls = { read: 0, readRange: 0, stream: 0, streamRange: 0, maxRange: 0 };
  const data = Float32Array.from(values);
  const bytesOf = (from: number, n: number): Uint8Array => new Uint8Array(data.buffer.slice(from * 4, (from + n) * 4));
  const src: WeightSource = {
    dtype: 'fp32',
    shape,
    read: (): Tensor => {
      calls.read++;
      return { dtype: 'fp32', shape: [...shape], data: data.slice() };
    },
    ...(has.range
      ? {
          readRange: (start: number, n: number): Tensor => {
            calls.readRange++;
            calls.maxRange = Math.max(calls.maxRange, n);
            return { dtype: 'fp32', shape: [n], data: data.slice(start, start + n) };
          },
        }
      : {}),
    ...(has.stream
      ? {
          stream: (): Iterable<Uint8Array> => {
            calls.stream++;
            return [bytesOf(0, data.length)];
          },
        }
      : {}),
    ...(has.streamRange
      ? {
          streamRange: (start: number, n: number): Iterable<Uint8Array> => {
            calls.streamRange++;
            return [bytesOf(start, n)];
          },
        }
      : {}),
    describe: () => 'spy',
  };
  return { src, calls };
}

function concat(chunks: Iterable<Uint8Array>): Uint8Array {
  const parts = [...chunks];
  const out = new Uint8Array(parts.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of parts) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Naive little-endian fp32 bytes. */
function fp32Bytes(values: readonly number[]): Uint8Array {
  const dv = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  return new Uint8Array(dv.buffer);
}

/** Naive fp16 bits of values that are exactly representable in fp16 (k/64 with |k| <= 64). */
function fp16Bytes(values: readonly number[]): Uint8Array {
  const dv = new DataView(new ArrayBuffer(values.length * 2));
  values.forEach((v, i) => {
    let bits = 0;
    if (v !== 0) {
      const sign = v < 0 ? 0x8000 : 0;
      const a = Math.abs(v);
      const e = Math.floor(Math.log2(a));
      bits = sign | ((e + 15) << 10) | Math.round((a / 2 ** e - 1) * 1024);
    } else if (Object.is(v, -0)) bits = 0x8000;
    dv.setUint16(i * 2, bits, true);
  });
  return new Uint8Array(dv.buffer);
}

describe('viewSource', () => {
  it('streams a row slice chunk by chunk from range reads, never reading the parent whole (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 }), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 64 }), fc.nat(), (rows, cols, a, b, chunkBytes, seed) => {
        const values = seeded(rows * cols, seed);
        const start = a % rows;
        const size = 1 + (b % (rows - start));
        const { src, calls } = spySource([rows, cols], values, { range: true });
        const v = viewSource(src, 'fp32', [size, cols], { offset: start * cols, describe: 'part' });
        const want = values.slice(start * cols, (start + size) * cols);
        expect(concat(v.stream!(chunkBytes))).toEqual(fp32Bytes(want));
        // Each chunk read at most max(8, chunkBytes / 4 rounded down to 8) elements.
        expect(calls.maxRange).toBeLessThanOrEqual(Math.max(8, Math.floor(chunkBytes / 4 / 8) * 8));
        expect(Array.from(v.read().data)).toEqual(want);
        expect(v.read().shape).toEqual([size, cols]);
        expect(Array.from(v.readRange!(1 % want.length, want.length - (1 % want.length)).data)).toEqual(want.slice(1 % want.length));
        expect(calls.read).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('streams a chunked cast element-wise without reading the parent whole', () => {
    const values = seeded(40, 3);
    const { src, calls } = spySource([40], values, { range: true });
    const v = viewSource(src, 'fp16', [5, 8], { convert: (t) => ({ dtype: 'fp16', shape: t.shape, data: Float32Array.from(t.data) }), describe: 'half' });
    expect(concat(v.stream!(16))).toEqual(fp16Bytes(values));
    expect(calls.read).toBe(0);
    expect(calls.readRange).toBe(5);
    expect(calls.maxRange).toBe(8);
  });

  it('hands a whole reshape to the parent stream, and a slice (also of a view) to its range stream', () => {
    const values = seeded(24, 5);
    const { src, calls } = spySource([6, 4], values, { range: true, stream: true, streamRange: true });
    const reshaped = viewSource(src, 'fp32', [6, 4, 1, 1], { describe: 'conv' });
    expect(concat(reshaped.stream!(1 << 20))).toEqual(fp32Bytes(values));
    expect(calls.stream).toBe(1);
    const part = viewSource(reshaped, 'fp32', [2, 4, 1, 1], { offset: 8, describe: 'part1' });
    expect(concat(part.stream!(1 << 20))).toEqual(fp32Bytes(values.slice(8, 16)));
    expect(calls.streamRange).toBe(1);
    expect(calls.read + calls.readRange).toBe(0);
  });

  it('reads a parent without range reads once per stream, not once per chunk', () => {
    const values = seeded(32, 9);
    const { src, calls } = spySource([32], values);
    const v = viewSource(src, 'fp32', [16], { offset: 16, describe: 'tail' });
    expect(concat(v.stream!(8))).toEqual(fp32Bytes(values.slice(16)));
    expect(calls.read).toBe(1);
  });

  it('rejects ranges outside the parent and dtype changes without a conversion (coded)', () => {
    const { src } = spySource([4], [1, 2, 3, 4], { range: true });
    expect(errorCode(() => viewSource(src, 'fp32', [3], { offset: 2, describe: 'x' }))).toBe('E_SHAPE_MISMATCH');
    expect(errorCode(() => viewSource(src, 'fp16', [4], { describe: 'x' }))).toBe('E_SHAPE_MISMATCH');
    const v = viewSource(src, 'fp32', [2], { offset: 1, describe: 'x' });
    expect(errorCode(() => v.streamRange!(1, 2, 64))).toBe('E_ATTR');
    expect(errorCode(() => v.stream!(0))).toBe('E_ATTR');
  });
});

describe('derived weights of passes stream from their source', () => {
  it('linear-to-conv + split-wide-ops + to-fp16 weights stream without reading the original whole', () => {
    const [o, i] = [32, 4];
    const values = seeded(o * i, 11);
    const { src, calls } = spySource([o, i], values, { range: true });
    const store = new WeightStore();
    store.add('w', src);
    const t = new TestFn();
    const x = t.input('x', 'fp32', [1, 3, i]);
    const w = t.op('const', {}, { dtype: 'fp32', shape: [o, i], weight: 'w' }, 'w');
    const p = t.done([t.op('linear', { x, weight: w }, {}, 'y')], store);
    const q = new PassManager().add('linear-to-conv').add('split-wide-ops', { maxChannels: 8, parts: 0, align: 1 }).add('to-fp16', { keepIO: true }).run(p).program;
    // The weights the program now uses, in op order: the four fp16 row parts of the conv weight.
    const used = q.functions.get('main')!.body.ops.filter((op) => op.kind === 'const' && op.attrs.weight !== undefined).map((op) => op.attrs.weight as string);
    expect(used.length).toBe(4);
    expect(used.every((n) => q.weights.source(n).dtype === 'fp16')).toBe(true);
    expect(concat(used.flatMap((n) => [...q.weights.stream(n, 12)]))).toEqual(fp16Bytes(values));
    expect(calls.read).toBe(0);
  });
});

describe('tensor helper used above', () => {
  it('fp16Bytes agrees with fp16 rounding of exact values', () => {
    // Values k/64 are exact in fp16: the naive encoder must round-trip them through tensor().
    const v = [0.5, -0.25, 1, -1, 0.015625, 0];
    expect(Array.from(tensor('fp16', [6], v).data)).toEqual(v);
    expect(Array.from(new Uint16Array(fp16Bytes(v).buffer))).toEqual([0x3800, 0xb400, 0x3c00, 0xbc00, 0x2400, 0]);
  });
});
