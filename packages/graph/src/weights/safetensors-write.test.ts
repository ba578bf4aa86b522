import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { DType } from '../dtype.js';

import { fp16BitsToFp32, fp32ToFp16Bits, roundToFp16 } from '../fp16.js';
import { type Tensor, tensor } from '../tensor.js';
import { arbShape, fillTensor } from '../testing/arb.js';
import { loadSafetensors, loadSafetensorsDir, openSafetensors } from './safetensors.js';
import { type SafetensorsDTypeMap, shardFileName, writeSafetensors, writeShardedSafetensors } from './safetensors-write.js';
import { type WeightSource, WeightStore, memorySource } from './store.js';
import { syntheticSource } from './synthetic.js';
import { expectCode } from '../testing/errors.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fastvlm-st-write-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let counter = 0;
const fresh = (ext = '.safetensors'): string => path.join(tmp, `w${counter++}${ext}`);

/** Independent, naive parse of a file: length, raw header text, header JSON, data section. */
function parse(p: string): { n: number; text: string; header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; meta: unknown; data: Buffer } {
  const b = fs.readFileSync(p);
  const n = Number(b.readBigUInt64LE(0));
  const text = b.subarray(8, 8 + n).toString('utf8');
  const json = JSON.parse(text) as Record<string, unknown>;
  const meta = json['__metadata__'];
  delete json['__metadata__'];
  return { n, text, header: json as never, meta, data: b.subarray(8 + n) };
}

function bitsOf(t: Tensor): number[] {
  if (t.data instanceof Float32Array) return [...new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)];
  return [...t.data];
}

/** Reference fp32 -> bf16 rounding (nearest, ties to even), by comparing the two candidates. */
function refBf16(x: number): number {
  const b = Buffer.alloc(4);
  b.writeFloatLE(x, 0);
  const bits = b.readUInt32LE(0);
  if (Number.isNaN(x)) return 0x7fc0 | ((bits >>> 16) & 0x8000) | ((bits >>> 16) & 0x7fff);
  if (!Number.isFinite(x)) return bits >>> 16;
  const val = (h: number): number => {
    if ((h & 0x7fff) === 0x7f80) return h & 0x8000 ? -(2 ** 128) : 2 ** 128; // IEEE overflow rule
    const c = Buffer.alloc(4);
    c.writeUInt32LE((h & 0xffff) * 65536, 0);
    return c.readFloatLE(0);
  };
  const lo = bits >>> 16; // truncation: toward zero in magnitude
  const hi = lo + 1; // one step away from zero
  const x32 = Math.fround(x);
  const dl = Math.abs(x32 - val(lo));
  const dh = Math.abs(val(hi) - x32);
  if (dl < dh) return lo;
  if (dh < dl) return hi;
  return lo % 2 === 0 ? lo : hi;
}

describe('writeSafetensors: layout', () => {
  it('writes a sorted, space-padded, 8-byte aligned header and aligned, gapless data', () => {
    const p = fresh();
    const res = writeSafetensors(p, [
      ['zz', tensor('uint8', [3], [1, 2, 3])],
      ['b', tensor('fp16', [3], [1, 2, 3])],
      ['a', tensor('fp32', [2], [1, 2])],
      ['c', tensor('int32', [1], [-1])],
      ['m', tensor('bool', [2], [1, 0])],
    ], { metadata: { z: '1', format: 'pt' } });
    const { n, text, header, meta, data } = parse(p);
    expect((8 + n) % 8).toBe(0);
    expect(text.trimEnd().length).toBeGreaterThan(text.length - 8);
    expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
    expect(text.trimEnd()).not.toMatch(/\s/); // compact JSON
    // Keys appear in sorted order, inner keys too.
    const keyOrder = [...text.matchAll(/"([^"]+)":\{/g)].map((m) => m[1]);
    expect(keyOrder).toEqual(['__metadata__', 'a', 'b', 'c', 'm', 'zz']);
    expect(text).toContain('"__metadata__":{"format":"pt","z":"1"}');
    expect(text).toContain('"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}');
    expect(meta).toEqual({ format: 'pt', z: '1' });
    // Data: 4-byte types first (a, c), then 2-byte (b), then 1-byte (m, zz), each by name.
    expect(header['a']!.data_offsets).toEqual([0, 8]);
    expect(header['c']!.data_offsets).toEqual([8, 12]);
    expect(header['b']!.data_offsets).toEqual([12, 18]);
    expect(header['m']!.data_offsets).toEqual([18, 20]);
    expect(header['zz']!.data_offsets).toEqual([20, 23]);
    expect(data.length).toBe(23);
    expect(data.readFloatLE(4)).toBe(2);
    expect(data.readInt32LE(8)).toBe(-1);
    expect(data.readUInt16LE(14)).toBe(0x4000);
    expect([...data.subarray(18)]).toEqual([1, 0, 1, 2, 3]);
    expect(res.bytes).toBe(fs.statSync(p).size);
    expect(res.tensors.map((t) => t.name)).toEqual(['a', 'c', 'b', 'm', 'zz']);
  });

  it('omits __metadata__ unless given, and writes an empty file of no tensors', () => {
    const p = fresh();
    writeSafetensors(p, []);
    const { n, text, data } = parse(p);
    expect(text.trimEnd()).toBe('{}');
    expect(n).toBe(8);
    expect(data.length).toBe(0);
    expect(openSafetensors(p).names()).toEqual([]);
  });

  it('escapes names and metadata as JSON', () => {
    const p = fresh();
    const name = 'we"ird\\name\u00e9\n';
    writeSafetensors(p, [[name, tensor('int8', [1], [5])]], { metadata: { 'k"': 'v\u2028' } });
    const f = openSafetensors(p);
    expect(f.names()).toEqual([name]);
    expect(f.metadata).toEqual({ 'k"': 'v\u2028' });
  });

  it('is deterministic: same tensors, from a list or a store, in any order -> identical bytes', () => {
    const ts: [string, Tensor][] = [
      ['w', fillTensor('fp32', [4, 5], 3)],
      ['h', fillTensor('fp16', [7], 4)],
      ['i', fillTensor('int8', [3, 3], 5)],
    ];
    const p1 = fresh(), p2 = fresh(), p3 = fresh();
    writeSafetensors(p1, ts, { metadata: { a: 'b' } });
    writeSafetensors(p2, [...ts].reverse(), { metadata: { a: 'b' } });
    const store = new WeightStore();
    for (const [n, t] of ts) store.add(n, memorySource(t));
    writeSafetensors(p3, store, { metadata: { a: 'b' }, chunkBytes: 5 });
    const b1 = fs.readFileSync(p1);
    expect(fs.readFileSync(p2).equals(b1)).toBe(true);
    expect(fs.readFileSync(p3).equals(b1)).toBe(true);
  });

  it('writes atomically: a failure leaves no file and no temporary behind', () => {
    const dir = path.join(tmp, 'atomic');
    fs.mkdirSync(dir);
    const p = path.join(dir, 'x.safetensors');
    writeSafetensors(p, [['a', tensor('fp32', [1], [1])]]);
    const before = fs.readFileSync(p);
    const store = new WeightStore();
    const liar: WeightSource = {
      dtype: 'fp32',
      shape: [4],
      read: () => tensor('fp32', [4], [1, 2, 3, 4]),
      stream: function* () {
        yield new Uint8Array(8); // half the bytes
      },
      describe: () => 'liar',
    };
    store.add('liar', liar);
    expectCode(() => writeSafetensors(p, store), 'E_WEIGHT_MISMATCH', "'liar'", '8 bytes', '16');
    expect(fs.readdirSync(dir)).toEqual(['x.safetensors']);
    expect(fs.readFileSync(p).equals(before)).toBe(true);
    const greedy: WeightSource = { ...liar, stream: function* () { yield new Uint8Array(12); yield new Uint8Array(12); } };
    store.replace('liar', greedy);
    expectCode(() => writeSafetensors(p, store), 'E_WEIGHT_MISMATCH', 'more than');
    const greedy16: WeightSource = { ...liar, stream: function* () { yield new Uint8Array(12); yield new Uint8Array(12); } };
    store.replace('liar', greedy16);
    expectCode(() => writeSafetensors(p, store, { dtypes: { fp32: 'F16' } }), 'E_WEIGHT_MISMATCH', 'more than');
    expect(fs.readdirSync(dir)).toEqual(['x.safetensors']);
  });
});

describe('writeSafetensors: every dtype round trips through the reader', () => {
  const specials = [0, -0, 1, -1, 0.1, 65504, 65520, 1e-8, -3.4028234663852886e38, 1.401298464324817e-45, Infinity, -Infinity, NaN];

  it('fp32 -> F32 keeps every bit, NaN and -0 included', () => {
    const t = tensor('fp32', [specials.length], specials);
    const p = fresh();
    writeSafetensors(p, [['x', t]]);
    expect(bitsOf(loadSafetensors(p).read('x'))).toEqual(bitsOf(t));
  });

  it('fp16 -> F16 and fp32 -> F16 round as fp16.ts does', () => {
    const p = fresh();
    writeSafetensors(p, [['h', tensor('fp16', [specials.length], specials)], ['f', tensor('fp32', [specials.length], specials)]], { dtypes: { fp32: 'F16' } });
    const { header, data } = parse(p);
    expect(header['f']!.dtype).toBe('F16');
    for (const name of ['h', 'f']) {
      const [b] = header[name]!.data_offsets;
      specials.forEach((v, i) => expect(data.readUInt16LE(b + 2 * i)).toBe(fp32ToFp16Bits(v)));
    }
    const back = loadSafetensors(p).read('f');
    expect(back.dtype).toBe('fp16');
    specials.forEach((v, i) => expect(Object.is(back.data[i], roundToFp16(v)) || Number.isNaN(v)).toBe(true));
  });

  it('fp32 and fp16 -> BF16 round to nearest even, and read back exactly', () => {
    const vals = [...specials, 1.00390625, 1.01171875, 3.3895313892515355e38, 3.3961775292304957e38, -2.5e-40];
    const p = fresh();
    writeSafetensors(p, [['b', tensor('fp32', [vals.length], vals)], ['h', tensor('fp16', [3], [1, 0.5, -2])]], { dtypes: { fp32: 'BF16', fp16: 'BF16' } });
    const { header, data } = parse(p);
    const [b0] = header['b']!.data_offsets;
    vals.forEach((v, i) => expect(data.readUInt16LE(b0 + 2 * i), `value ${v}`).toBe(refBf16(v)));
    const back = loadSafetensors(p);
    expect(back.info('b').dtype).toBe('fp32');
    expect([...back.read('h').data]).toEqual([1, 0.5, -2]);
    expect(loadSafetensors(p, { floatDtype: 'fp16' }).info('b').dtype).toBe('fp16');
  });

  const intCases: [DType, number[], SafetensorsDTypeMap | undefined, string, DType][] = [
    ['int8', [-128, -1, 0, 127], undefined, 'I8', 'int8'],
    ['uint8', [0, 1, 254, 255], undefined, 'U8', 'uint8'],
    ['int32', [-2147483648, -5, 0, 2147483647], undefined, 'I32', 'int32'],
    ['int32', [-2147483648, -5, 0, 2147483647], { int32: 'I64' }, 'I64', 'int32'],
    ['int16', [-32768, 7, 32767], undefined, 'I32', 'int32'],
    ['int8', [-128, 3, 127], { int8: 'I32' }, 'I32', 'int32'],
    ['int4', [-8, -1, 0, 7, 3], undefined, 'I8', 'int8'],
    ['uint3', [0, 7, 5, 1, 2, 3, 4, 6, 7], undefined, 'U8', 'uint8'],
    ['bool', [1, 0, 0, 1], undefined, 'BOOL', 'bool'],
    ['bool', [1, 0, 0, 1], { bool: 'U8' }, 'U8', 'uint8'],
  ];
  for (const [dt, vals, map, st, back] of intCases) {
    it(`${dt} -> ${st} -> ${back} keeps values`, () => {
      const p = fresh();
      writeSafetensors(p, [['t', tensor(dt, [vals.length], vals)]], map ? { dtypes: map } : {});
      expect(parse(p).header['t']!.dtype).toBe(st);
      const r = loadSafetensors(p).read('t');
      expect(r.dtype).toBe(back);
      expect([...r.data]).toEqual(vals);
    });
  }

  it('I64 writes the sign-extended 64-bit value', () => {
    const p = fresh();
    writeSafetensors(p, [['t', tensor('int32', [3], [-2, 2147483647, -2147483648])]], { dtypes: () => 'I64' });
    const { data } = parse(p);
    expect([0, 8, 16].map((o) => data.readBigInt64LE(o))).toEqual([-2n, 2147483647n, -2147483648n]);
  });

  it('random tensors of every dtype round trip (property)', () => {
    const dts: DType[] = ['fp32', 'fp16', 'int32', 'int8', 'uint8', 'bool'];
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.constantFrom(...dts), arbShape(0, 3, 4), fc.integer({ min: 1, max: 1e9 })), { minLength: 1, maxLength: 5 }),
      (specs) => {
        const ts = specs.map(([dt, sh, seed], i): [string, Tensor] => [`t${i}.${dt}`, fillTensor(dt, sh, seed, 1000)]);
        const p = fresh();
        writeSafetensors(p, ts);
        const s = loadSafetensors(p);
        expect(s.names().sort()).toEqual(ts.map(([n]) => n).sort());
        for (const [n, t] of ts) {
          const r = s.read(n);
          expect(r.dtype).toBe(t.dtype);
          expect(r.shape).toEqual(t.shape);
          expect(bitsOf(r)).toEqual(bitsOf(t));
        }
        fs.rmSync(p);
      },
    ), { numRuns: 60 });
  });

  it('zero-size and scalar tensors round trip', () => {
    const p = fresh();
    writeSafetensors(p, [['e', tensor('fp32', [0, 4], [])], ['s', tensor('int32', [], [9])]]);
    const s = loadSafetensors(p);
    expect(s.read('e').shape).toEqual([0, 4]);
    expect([...s.read('s').data]).toEqual([9]);
    expect(s.read('s').shape).toEqual([]);
  });
});

describe('writeSafetensors: streaming from a store', () => {
  it('converts streamed weights chunk by chunk, for any chunk size, to the same bytes as whole tensors', () => {
    const store = new WeightStore();
    store.add('w', syntheticSource('w', 'fp32', [37, 3], { seed: 1 }));
    store.add('h', syntheticSource('h', 'fp16', [29], { seed: 2 }));
    store.add('q', syntheticSource('q', 'int4', [45], { seed: 3 }));
    store.add('u', syntheticSource('u', 'uint3', [21], { seed: 4 }));
    store.add('s', syntheticSource('s', 'int16', [11], { seed: 5 }));
    const dtypes: SafetensorsDTypeMap = { fp32: 'BF16', fp16: 'F32', int4: 'I32' };
    const whole = fresh();
    writeSafetensors(whole, store.names().map((n): [string, Tensor] => [n, store.read(n)]), { dtypes });
    for (const chunkBytes of [1, 2, 3, 5, 8, 13, 64, 1 << 20]) {
      const p = fresh();
      writeSafetensors(p, store, { dtypes, chunkBytes });
      expect(fs.readFileSync(p).equals(fs.readFileSync(whole)), `chunkBytes ${chunkBytes}`).toBe(true);
    }
    // And the values are the store's, converted as the dtype map says.
    const back = loadSafetensors(whole);
    expect([...back.read('q').data]).toEqual([...store.read('q').data]);
    expect([...back.read('u').data]).toEqual([...store.read('u').data]);
    expect([...back.read('s').data]).toEqual([...store.read('s').data]);
    expect([...back.read('h').data]).toEqual([...store.read('h').data]);
    const w = store.read('w');
    const wb = back.read('w');
    w.data.forEach((v, i) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(refBf16(v) * 65536);
      expect(wb.data[i]).toBe(b.readFloatLE(0));
    });
  });

  it('writes a subset of a store with names', () => {
    const store = new WeightStore();
    store.add('a', memorySource(tensor('int8', [1], [1])));
    store.add('b', memorySource(tensor('int8', [1], [2])));
    const p = fresh();
    writeSafetensors(p, store, { names: ['b'] });
    expect(openSafetensors(p).names()).toEqual(['b']);
    expectCode(() => writeSafetensors(fresh(), store, { names: ['nope'] }), 'E_WEIGHT_MISSING', "'nope'");
  });
});

describe('writeSafetensors: errors', () => {
  it('rejects bad inputs with coded errors', () => {
    const one = tensor('fp32', [1], [1]);
    expectCode(() => writeSafetensors(fresh(), [['a', one], ['a', one]]), 'E_NAME', "'a'");
    expectCode(() => writeSafetensors(fresh(), [['__metadata__', one]]), 'E_NAME', '__metadata__');
    expectCode(() => writeSafetensors(fresh(), [['a', one]], { dtypes: { fp32: 'I32' } }), 'E_DTYPE_MISMATCH', "'a'", 'fp32', 'I32');
    expectCode(() => writeSafetensors(fresh(), [['a', tensor('int32', [1], [1])]], { dtypes: { int32: 'F32' } }), 'E_DTYPE_MISMATCH', 'int32', 'F32');
    expectCode(() => writeSafetensors(fresh(), [['a', one]], { dtypes: { fp32: 'F64' as never } }), 'E_DTYPE_MISMATCH', 'F64');
    expectCode(() => writeSafetensors(fresh(), [['big', tensor('int32', [3], [1, 300, 2])]], { dtypes: { int32: 'I8' } }), 'E_DTYPE_MISMATCH', "'big'", 'element 1', '300');
    expectCode(() => writeSafetensors(fresh(), [['neg', tensor('int8', [2], [0, -1])]], { dtypes: { int8: 'U8' } }), 'E_DTYPE_MISMATCH', 'element 1');
    expectCode(() => writeSafetensors(fresh(), [['a', one]], { metadata: { k: 3 as never } }), 'E_ATTR', "'k'");
    expectCode(() => writeSafetensors(fresh(), [['a', one]], { names: ['a'] }), 'E_ATTR', 'names');
    expectCode(() => writeSafetensors(fresh(), [['a', one]], { chunkBytes: 0 }), 'E_ATTR', 'chunkBytes');
    expectCode(() => writeSafetensors(fresh(), [['a', { dtype: 'fp32', shape: [2], data: new Float32Array(3) }]]), 'E_WEIGHT_MISMATCH', "'a'");
    expectCode(() => writeSafetensors(fresh(), [['a', { dtype: 'f32' as never, shape: [1], data: new Float32Array(1) }]]), 'E_DTYPE_MISMATCH', "'a'");
    expectCode(() => writeSafetensors(fresh(), [['a', { dtype: 'fp32', shape: [-1], data: new Float32Array(1) }]]), 'E_SHAPE_INVALID');
    expectCode(() => writeSafetensors(path.join(tmp, 'no-such-dir', 'x.safetensors'), [['a', one]]), 'E_IO', 'no-such-dir');
  });
});

describe('writeShardedSafetensors', () => {
  it('splits greedily by maxShardBytes and writes an index the dir loader reads', () => {
    const dir = path.join(tmp, 'sharded');
    const ts: [string, Tensor][] = [
      ['l0.w', fillTensor('fp32', [4, 4], 1)], // 64 bytes
      ['l0.b', fillTensor('fp32', [4], 2)], // 16
      ['l1.w', fillTensor('fp16', [40], 3)], // 80
      ['huge', fillTensor('int8', [300], 4)], // 300, alone
      ['l2.b', fillTensor('int32', [2], 5)], // 8
    ];
    const res = writeShardedSafetensors(dir, ts, { maxShardBytes: 100, metadata: { format: 'pt' } });
    const names = [1, 2, 3, 4].map((i) => shardFileName(i, 4));
    expect(names[0]).toBe('model-00001-of-00004.safetensors');
    expect(fs.readdirSync(dir).sort()).toEqual([...names, 'model.safetensors.index.json'].sort());
    expect(res.totalSize).toBe(64 + 16 + 80 + 300 + 8);
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8')) as { metadata: { total_size: number }; weight_map: Record<string, string> };
    expect(index.metadata.total_size).toBe(468);
    expect(Object.keys(index.weight_map)).toEqual(['huge', 'l0.b', 'l0.w', 'l1.w', 'l2.b']);
    expect(index.weight_map).toEqual({ 'l0.w': names[0], 'l0.b': names[0], 'l1.w': names[1], huge: names[2], 'l2.b': names[3] });
    for (const n of names) expect(openSafetensors(path.join(dir, n)).metadata).toEqual({ format: 'pt' });
    const s = loadSafetensorsDir(dir);
    for (const [n, t] of ts) expect(bitsOf(s.read(n))).toEqual(bitsOf(t));
  });

  it('round trips random tensor sets for random shard sizes (property)', () => {
    let k = 0;
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.constantFrom<DType>('fp32', 'fp16', 'int8', 'int32', 'bool'), arbShape(0, 2, 6), fc.integer({ min: 1, max: 1e9 })), { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 1, max: 200 }),
      (specs, max) => {
        const dir = path.join(tmp, `prop-shards-${k++}`);
        const ts = specs.map(([dt, sh, seed], i): [string, Tensor] => [`p.${i}`, fillTensor(dt, sh, seed, 50)]);
        const res = writeShardedSafetensors(dir, ts, { maxShardBytes: max });
        for (const sh of res.shards) {
          const dataBytes = sh.tensors.reduce((a, t) => a + t.dataOffsets[1] - t.dataOffsets[0], 0);
          expect(dataBytes <= max || sh.tensors.length === 1).toBe(true);
        }
        const s = loadSafetensorsDir(dir);
        expect(s.names().sort()).toEqual(ts.map(([n]) => n).sort());
        for (const [n, t] of ts) expect(bitsOf(s.read(n))).toEqual(bitsOf(t));
        fs.rmSync(dir, { recursive: true });
      },
    ), { numRuns: 30 });
  });

  it('writes shards from a store and rejects a bad maxShardBytes', () => {
    const store = new WeightStore();
    store.add('a', syntheticSource('a', 'fp16', [10, 10]));
    store.add('b', syntheticSource('b', 'fp16', [10]));
    const dir = path.join(tmp, 'store-shards');
    writeShardedSafetensors(dir, store, { maxShardBytes: 150, chunkBytes: 7 });
    const s = loadSafetensorsDir(dir);
    expect([...s.read('a').data]).toEqual([...store.read('a').data]);
    expect(fp16BitsToFp32(fp32ToFp16Bits(s.read('b').data[3]!))).toBe(store.read('b').data[3]);
    expectCode(() => writeShardedSafetensors(dir, store, { maxShardBytes: 0 }), 'E_ATTR', 'maxShardBytes');
    expectCode(() => writeShardedSafetensors(dir, store, { maxShardBytes: 1.5 }), 'E_ATTR', 'maxShardBytes');
  });
});
