import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { WeightStore, memorySource, tensor } from '@fastvlm/graph';
import { FaultyFs } from '../testing/faulty-fs.js';
import { BlobWriter } from './blob-writer.js';
import { readBlob, readWeightBin } from './blob-reader.js';
import { errorCode, fastVlmRejection } from '../../../graph/src/testing/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'blob-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(dir, `w${n++}.bin`);

/** Independent parse of the file: header and records read with DataView at the offsets the format defines. */
function parse(path: string): { count: number; version: number; size: number; bytes: Uint8Array; rec: (off: number) => { sentinel: number; code: number; size: number; data: number; pad: number; reserved: bigint[] } } {
  const bytes = new Uint8Array(readFileSync(path));
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    count: v.getUint32(0, true),
    version: v.getUint32(4, true),
    size: bytes.length,
    bytes,
    rec: (off) => ({
      sentinel: v.getUint32(off, true),
      code: v.getUint32(off + 4, true),
      size: Number(v.getBigUint64(off + 8, true)),
      data: Number(v.getBigUint64(off + 16, true)),
      pad: Number(v.getBigUint64(off + 24, true)),
      reserved: [0, 1, 2, 3].map((i) => v.getBigUint64(off + 32 + 8 * i, true)),
    }),
  };
}

const seq = (len: number, seed = 1): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (i * 31 + seed * 7) & 0xff);

describe('BlobWriter layout', () => {
  it('writes the header, 64-aligned records and data, zero gaps, and no end padding', () => {
    const p = fresh();
    const w = BlobWriter.create(p);
    const a = w.appendBytes('fp32', seq(12), { where: 'a' }); // 3 floats
    const b = w.appendBytes('fp16', seq(130, 2));
    const c = w.appendBytes('int8', seq(64, 3));
    const s = w.finish();
    // Offsets by hand: a at 64 (data 128..140), b at 192 (data 256..386), c at 448 (data 512..576).
    expect([a, b, c]).toEqual([64, 192, 448]);
    expect(s).toEqual({ path: p, count: 3, size: 576, deduplicated: 0 });
    const f = parse(p);
    expect([f.count, f.version, f.size]).toEqual([3, 2, 576]);
    expect(f.bytes.subarray(8, 64).every((x) => x === 0)).toBe(true);
    expect(f.rec(64)).toEqual({ sentinel: 0xdeadbeef, code: 2, size: 12, data: 128, pad: 0, reserved: [0n, 0n, 0n, 0n] });
    expect(f.rec(192)).toMatchObject({ sentinel: 0xdeadbeef, code: 1, size: 130, data: 256, pad: 0 });
    expect(f.rec(448)).toMatchObject({ code: 4, size: 64, data: 512 });
    expect(f.bytes.subarray(128, 140)).toEqual(seq(12));
    expect(f.bytes.subarray(140, 192).every((x) => x === 0)).toBe(true);
    expect(f.bytes.subarray(256, 386)).toEqual(seq(130, 2));
    expect(f.bytes.subarray(386, 448).every((x) => x === 0)).toBe(true);
  });

  it('uses the blob type codes of the format', () => {
    const p = fresh();
    const w = BlobWriter.create(p);
    const cases: [Parameters<BlobWriter['appendBytes']>[0], number, number][] = [
      ['fp16', 1, 2], ['fp32', 2, 4], ['uint8', 3, 1], ['int8', 4, 1], ['bf16', 5, 2], ['int16', 6, 2], ['uint16', 7, 2],
      ['int32', 14, 4], ['uint32', 15, 4], ['fp8e4m3fn', 16, 1], ['fp8e5m2', 17, 1],
    ];
    const offs = cases.map(([d, , bytes], i) => w.appendBytes(d, seq(bytes * 2, i)));
    w.finish();
    const f = parse(p);
    expect(offs.map((o) => f.rec(o).code)).toEqual(cases.map(([, code]) => code));
  });

  it('sets sub-byte sizes and padding bits from the element count', () => {
    const p = fresh();
    const w = BlobWriter.create(p);
    // [dtype, code, elements, bytes = ceil(n*bits/8), padding = bytes*8 - n*bits]
    const cases: [Parameters<BlobWriter['appendBytes']>[0], number, number, number, number][] = [
      ['int4', 8, 15, 8, 4], ['uint1', 9, 21, 3, 3], ['uint2', 10, 5, 2, 6], ['uint4', 11, 16, 8, 0],
      ['uint3', 12, 12, 5, 4], ['uint6', 13, 1, 1, 2], ['uint3', 12, 8, 3, 0],
    ];
    const offs = cases.map(([d, , el, bytes], i) => w.appendBytes(d, seq(bytes, i + 10), { elements: el }));
    w.finish();
    const f = parse(p);
    expect(offs.map((o) => [f.rec(o).code, f.rec(o).size, f.rec(o).pad])).toEqual(cases.map(([, code, , bytes, pad]) => [code, bytes, pad]));
    expect(readWeightBin(p).blobs.map((b) => b.elements)).toEqual(cases.map(([, , el]) => el));
  });

  it('stores identical blobs once and truncates the duplicate away', () => {
    const p = fresh();
    const w = BlobWriter.create(p);
    const a = w.appendBytes('fp16', seq(100));
    const sizeAfterA = w.size;
    const dup = w.append('fp16', [seq(100).subarray(0, 33), seq(100).subarray(33)]);
    expect(dup).toBe(a);
    expect(w.size).toBe(sizeAfterA);
    const otherType = w.appendBytes('uint8', seq(100)); // same bytes, other dtype: a new blob
    const otherBytes = w.appendBytes('fp16', seq(100, 9));
    const s = w.finish();
    expect(new Set([a, otherType, otherBytes]).size).toBe(3);
    expect(s.count).toBe(3);
    expect(s.deduplicated).toBe(1);
    expect(statSync(p).size).toBe(s.size);
    expect(parse(p).count).toBe(3);
    const nodup = BlobWriter.create(fresh(), { dedup: false });
    const x = nodup.appendBytes('fp16', seq(10));
    expect(nodup.appendBytes('fp16', seq(10))).not.toBe(x);
    nodup.finish();
  });

  it('gives the same file for any chunking of the same blobs (streaming)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 64 })), { minLength: 1, maxLength: 5 }), (blobs) => {
        const whole = fresh();
        const chunked = fresh();
        const w1 = BlobWriter.create(whole, { fsync: false });
        const w2 = BlobWriter.create(chunked, { fsync: false });
        blobs.forEach(([len, chunk], i) => {
          const data = seq(len * 2, i);
          const parts: Uint8Array[] = [];
          for (let k = 0; k < data.length; k += chunk) parts.push(data.subarray(k, k + chunk));
          expect(w2.append('fp16', parts)).toBe(w1.appendBytes('fp16', data));
        });
        w1.finish();
        w2.finish();
        expect(readFileSync(chunked).equals(readFileSync(whole))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('streams async sources and WeightStore weights', async () => {
    const p = fresh();
    const w = BlobWriter.create(p);
    async function* gen(): AsyncGenerator<Uint8Array> {
      yield seq(6);
      yield seq(10, 4);
    }
    const a = await w.appendAsync('uint8', gen());
    const store = new WeightStore();
    store.add('t', memorySource(tensor('fp16', [2, 3], [1, -2, 0.5, 65504, 0, -0.25])));
    store.add('q', memorySource(tensor('int4', [3], [-8, 7, -1])));
    const t = w.appendWeight(store, 't');
    const q = w.appendWeight(store, 'q');
    w.finish();
    expect(readBlob(p, a, 'uint8').data).toEqual(Uint8Array.from([...seq(6), ...seq(10, 4)]));
    // fp16 bits, little-endian: 1 = 0x3c00, -2 = 0xc000, 0.5 = 0x3800, 65504 = 0x7bff, 0, -0.25 = 0xb400.
    expect(readBlob(p, t, 'fp16').data).toEqual(Uint8Array.from([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38, 0xff, 0x7b, 0, 0, 0x00, 0xb4]));
    // int4 LSB first: -8 -> 0x8, 7 -> 0x7 => 0x78; -1 -> 0xf => 0x0f.
    const qb = readBlob(p, q, 'int4');
    expect([...qb.data]).toEqual([0x78, 0x0f]);
    expect(qb.record.paddingBits).toBe(4);
  });
});

describe('BlobWriter errors', () => {
  it('needs an element count for sub-byte types and checks counts against bytes', () => {
    const p = fresh();
    const w = BlobWriter.create(p);
    expect(errorCode(() => w.appendBytes('uint4', seq(3)))).toBe('E_BLOB_SIZE');
    expect(errorCode(() => w.appendBytes('uint4', seq(3), { elements: 7 }))).toBe('E_BLOB_SIZE');
    expect(errorCode(() => w.appendBytes('fp32', seq(6)))).toBe('E_BLOB_SIZE');
    expect(errorCode(() => w.appendBytes('fp32', seq(8), { elements: 3 }))).toBe('E_BLOB_SIZE');
    expect(errorCode(() => w.appendBytes('fp32', seq(8), { elements: -1 }))).toBe('E_BLOB_SIZE');
    expect(errorCode(() => w.appendBytes('bool', seq(8)))).toBe('E_VALUE');
    expect(errorCode(() => w.append('fp32', [seq(4), 'x' as never]))).toBe('E_VALUE');
    // Failed appends leave nothing behind; the writer stays usable.
    expect(w.size).toBe(64);
    expect(w.appendBytes('fp32', seq(8))).toBe(64);
    w.finish();
    expect(readWeightBin(p).count).toBe(1);
    expect(errorCode(() => w.finish())).toBe('E_STATE');
    expect(errorCode(() => w.appendBytes('fp32', seq(4)))).toBe('E_STATE');
  });

  it('reports a full disk as E_NO_SPACE, truncates back, and continues once space is free', () => {
    const p = fresh();
    const ffs = new FaultyFs({ noSpaceAfterBytes: 64 + 64 + 40 });
    const w = BlobWriter.create(p, { fs: ffs });
    const chunks = [seq(32), seq(32, 2), seq(32, 3)];
    expect(errorCode(() => w.append('fp16', chunks, { where: 'big' }))).toBe('E_NO_SPACE');
    expect(statSync(p).size).toBe(64);
    ffs.heal();
    expect(w.append('fp16', chunks)).toBe(64);
    w.finish();
    expect(readBlob(p, 64, 'fp16').data).toEqual(Uint8Array.from([...seq(32), ...seq(32, 2), ...seq(32, 3)]));
  });

  it('names the blob and file when an async source or write fails', async () => {
    const p = fresh();
    const ffs = new FaultyFs({ only: ['write'], failAt: 2, code: 'EIO' });
    const w = BlobWriter.create(p, { fs: ffs });
    const e = await fastVlmRejection(w.appendAsync('fp32', [seq(8), seq(8)], { where: 'layer.weight' }), 'E_IO');
    expect(e.message).toContain('layer.weight');
    expect(e.message).toContain(p);
    expect(errorCode(() => BlobWriter.create(join(dir, 'no', 'such', 'dir', 'w.bin')))).toBe('E_IO');
    // Appends may not overlap; errors of the weight source pass through.
    const w2 = BlobWriter.create(fresh());
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield seq(4);
      await gate;
      yield seq(4, 2);
    }
    const first = w2.appendAsync('fp32', slow());
    await expect(w2.appendAsync('fp32', [seq(4)])).rejects.toMatchObject({ code: 'E_STATE' });
    release();
    expect(await first).toBe(64);
    expect(errorCode(() => w2.appendWeight(new WeightStore(), 'missing'))).toBe('E_WEIGHT_MISSING');
    expect(w2.finish().count).toBe(1);
    w.abort();
    expect(errorCode(() => w.appendBytes('fp32', seq(4)))).toBe('E_STATE');
  });
});
