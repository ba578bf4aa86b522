import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FastVlmError, isFastVlmError } from '../errors.js';
import { fp16BitsToFp32, fp32ToFp16Bits } from '../fp16.js';
import { encodeTensor } from './encode.js';
import {
  addSafetensorsToStore,
  loadSafetensors,
  loadSafetensorsDir,
  openSafetensors,
  openSafetensorsDir,
  safetensorsSource,
} from './safetensors.js';
import { WeightStore } from './store.js';
import { expectCode } from '../testing/errors.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fastvlm-st-read-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let fileCounter = 0;

/** Naive, independent safetensors builder: u64 LE length, header text, raw data. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(8 + h.length + data.length);
  out.writeBigUInt64LE(BigInt(h.length), 0);
  h.copy(out, 8);
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, 8 + h.length);
  return out;
}

/** Like {@link build} but with raw header bytes. */
function buildRaw(header: Uint8Array, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = Buffer.alloc(8 + header.length + data.length);
  out.writeBigUInt64LE(BigInt(header.length), 0);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

function put(bytes: Uint8Array, name = `f${fileCounter++}.safetensors`, dir = tmp): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}

function f32le(values: number[]): Uint8Array {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b;
}
function u16le(values: number[]): Uint8Array {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeUInt16LE(v, i * 2));
  return b;
}
function i32le(values: number[]): Uint8Array {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeInt32LE(v, i * 4));
  return b;
}
function i64le(values: bigint[]): Uint8Array {
  const b = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => b.writeBigInt64LE(v, i * 8));
  return b;
}
function cat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}
/** Reference bf16 -> fp32: the bf16 bits are the high half of the fp32 bits. */
function bf16ToF32(h: number): number {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(h * 65536, 0);
  return b.readFloatLE(0);
}

function drain(it: Iterable<Uint8Array>): Uint8Array {
  return cat(...[...it]);
}
function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

describe('openSafetensors: header parsing', () => {
  it('reads names, dtypes, shapes, byte ranges and metadata, in file order', () => {
    const a = f32le([1, 2, 3, 4, 5, 6]);
    const b = u16le([0x3c00, 0x4000]);
    const p = put(build({
      __metadata__: { format: 'pt', note: 'é' },
      b: { dtype: 'F16', shape: [2], data_offsets: [24, 28] },
      a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
    }, cat(a, b)));
    const f = openSafetensors(p);
    expect(f.names()).toEqual(['a', 'b']);
    expect(f.metadata).toEqual({ format: 'pt', note: 'é' });
    const ia = f.info('a');
    expect(ia.dtype).toBe('F32');
    expect(ia.shape).toEqual([2, 3]);
    expect(ia.dataOffsets).toEqual([0, 24]);
    expect(ia.offset).toBe(f.dataOffset);
    expect(f.info('b').offset).toBe(f.dataOffset + 24);
    expect([...f.read('a')]).toEqual([...a]);
    expect([...f.read('b')]).toEqual([...b]);
  });

  it('allows gaps between tensors, zero-size tensors and trailing bytes', () => {
    const p = put(build({
      a: { dtype: 'I32', shape: [1], data_offsets: [4, 8] },
      e: { dtype: 'F32', shape: [0, 3], data_offsets: [4, 4] },
      b: { dtype: 'U8', shape: [2], data_offsets: [12, 14] },
    }, new Uint8Array([9, 9, 9, 9, 7, 0, 0, 0, 9, 9, 9, 9, 5, 6, 9, 9])));
    const s = loadSafetensors(p);
    expect([...s.read('a').data]).toEqual([7]);
    expect([...s.read('b').data]).toEqual([5, 6]);
    expect(s.read('e').shape).toEqual([0, 3]);
    expect(s.read('e').data.length).toBe(0);
  });

  it('accepts a header padded with trailing spaces', () => {
    const p = put(build('{"x":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}     ', new Uint8Array([42])));
    expect([...loadSafetensors(p).read('x').data]).toEqual([42]);
  });

  const entry = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  const data8 = new Uint8Array(8);
  const cases: [string, () => Uint8Array, string[]][] = [
    ['an empty file', () => new Uint8Array(0), ['shorter than the 8-byte']],
    ['a 7-byte file', () => new Uint8Array(7), ['7 bytes']],
    ['a header length beyond the file', () => { const b = build({ x: entry }, data8); Buffer.from(b.buffer).writeBigUInt64LE(BigInt(b.length), 0); return b; }, ['runs past the end']],
    ['an absurd header length', () => { const b = build({ x: entry }, data8); Buffer.from(b.buffer).writeBigUInt64LE(2n ** 63n, 0); return b; }, ['exceeds', '100000000']],
    ['a header of 100 MB + 1', () => { const b = build({ x: entry }, data8); Buffer.from(b.buffer).writeBigUInt64LE(100_000_001n, 0); return b; }, ['exceeds']],
    ['a header that is not UTF-8', () => buildRaw(Uint8Array.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d])), ['not valid UTF-8']],
    ['a header with a lone surrogate encoded', () => buildRaw(Uint8Array.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d])), ['not valid UTF-8']],
    ['a header starting with a byte-order mark', () => buildRaw(Uint8Array.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), ['not valid JSON']],
    ['a header that is not JSON', () => build('{"x": {"dtype": "F32",'), ['not valid JSON']],
    ['an empty header', () => build(''), ['not valid JSON']],
    ['a header that is an array', () => build([1, 2]), ['must be a JSON object', 'an array']],
    ['a header that is null', () => build('null'), ['must be a JSON object', 'null']],
    ['a header that is a number', () => build('3'), ['must be a JSON object']],
    ['__metadata__ that is not an object', () => build({ __metadata__: 'x' }), ['__metadata__']],
    ['__metadata__ with a non-string value', () => build({ __metadata__: { k: 1 } }), ['__metadata__', "'k'"]],
  ];
  for (const [what, bytes, mentions] of cases) {
    it(`rejects ${what} with E_SAFETENSORS naming the file`, () => {
      const p = put(bytes());
      expectCode(() => openSafetensors(p), 'E_SAFETENSORS', p, ...mentions);
    });
  }

  const entryCases: [string, unknown, Uint8Array, string[]][] = [
    ['an entry that is not an object', 3, data8, ['must be an object']],
    ['a missing dtype', { shape: [2], data_offsets: [0, 8] }, data8, ["missing 'dtype'"]],
    ['a dtype that is not a string', { dtype: 4, shape: [2], data_offsets: [0, 8] }, data8, ["'dtype' must be a string"]],
    ['an unknown dtype', { dtype: 'F64', shape: [1], data_offsets: [0, 8] }, data8, ["'F64'"]],
    ['a lower-case dtype', { dtype: 'f32', shape: [2], data_offsets: [0, 8] }, data8, ["'f32'"]],
    ['a missing shape', { dtype: 'F32', data_offsets: [0, 8] }, data8, ["missing 'shape'"]],
    ['a shape that is not an array', { dtype: 'F32', shape: 2, data_offsets: [0, 8] }, data8, ["'shape' must be an array"]],
    ['a negative dimension', { dtype: 'F32', shape: [-2], data_offsets: [0, 8] }, data8, ['dimension 0', '-2']],
    ['a fractional dimension', { dtype: 'F32', shape: [2, 1.5], data_offsets: [0, 8] }, data8, ['dimension 1', '1.5']],
    ['a string dimension', { dtype: 'F32', shape: ['2'], data_offsets: [0, 8] }, data8, ['dimension 0']],
    ['a shape of more than 2^53 elements', { dtype: 'U8', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 8] }, data8, ['2^53']],
    ['missing data_offsets', { dtype: 'F32', shape: [2] }, data8, ["missing 'data_offsets'"]],
    ['data_offsets of one number', { dtype: 'F32', shape: [2], data_offsets: [0] }, data8, ["'data_offsets' must be"]],
    ['data_offsets that are not an array', { dtype: 'F32', shape: [2], data_offsets: '0,8' }, data8, ["'data_offsets' must be"]],
    ['fractional data_offsets', { dtype: 'U8', shape: [1], data_offsets: [0.5, 1.5] }, data8, ['non-negative integers']],
    ['negative data_offsets', { dtype: 'U8', shape: [1], data_offsets: [-1, 0] }, data8, ['non-negative integers']],
    ['data_offsets with begin > end', { dtype: 'U8', shape: [0], data_offsets: [4, 2] }, data8, ['begin > end']],
    ['data_offsets past the data section', { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, data8, ['run past the end of the 8-byte data section']],
    ['a byte length that disagrees with dtype x shape', { dtype: 'F32', shape: [3], data_offsets: [0, 8] }, data8, ['needs 12 bytes', 'hold 8']],
    ['an I64 byte length that disagrees', { dtype: 'I64', shape: [2], data_offsets: [0, 8] }, data8, ['needs 16 bytes']],
  ];
  for (const [what, e, data, mentions] of entryCases) {
    it(`rejects ${what} with E_SAFETENSORS naming the file and tensor`, () => {
      const p = put(build({ ok: { dtype: 'U8', shape: [0], data_offsets: [0, 0] }, 'the.tensor': e }, data));
      const err = expectCode(() => openSafetensors(p), 'E_SAFETENSORS', p, "'the.tensor'", ...mentions);
      expect(err.details['tensor']).toBe('the.tensor');
      expect(err.details['file']).toBe(p);
    });
  }

  it('rejects overlapping tensor ranges, naming both tensors', () => {
    const p = put(build({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [1], data_offsets: [12, 16] },
      c: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    }, new Uint8Array(16)));
    expectCode(() => openSafetensors(p), 'E_SAFETENSORS', p, "'c'", "'a'", 'overlap');
  });

  it('rejects a range inside an earlier, longer one', () => {
    const p = put(build({
      big: { dtype: 'U8', shape: [16], data_offsets: [0, 16] },
      mid: { dtype: 'U8', shape: [2], data_offsets: [4, 6] },
    }, new Uint8Array(16)));
    expectCode(() => openSafetensors(p), 'E_SAFETENSORS', "'mid'", "'big'");
  });

  it('reports a missing file as E_IO naming it', () => {
    const p = path.join(tmp, 'does-not-exist.safetensors');
    expectCode(() => openSafetensors(p), 'E_IO', p);
    expectCode(() => loadSafetensors(p), 'E_IO', p);
  });

  it('asks for an unknown tensor with E_SAFETENSORS naming file and tensor', () => {
    const p = put(build({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)));
    expectCode(() => openSafetensors(p).read('zz'), 'E_SAFETENSORS', p, "'zz'");
  });
});

describe('lazy reads', () => {
  const big = 1 << 18;
  const aVals = [1.5, -2.25, 3, 1e-3];
  const bVals = Array.from({ length: big }, (_, i) => (i % 97) - 48);
  const makeFile = (): string =>
    put(build({
      a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
      b: { dtype: 'I32', shape: [big], data_offsets: [16, 16 + 4 * big] },
    }, cat(f32le(aVals), i32le(bVals))));

  it('opening reads only the header; reading a tensor reads only its range', () => {
    const p = makeFile();
    const f = openSafetensors(p);
    expect(f.bytesRead).toBe(8 + f.headerLength);
    const before = f.bytesRead;
    const s = new WeightStore();
    addSafetensorsToStore(s, f);
    expect(f.bytesRead).toBe(before); // registering is free
    expect([...s.read('a').data]).toEqual(aVals.map(Math.fround));
    expect(f.bytesRead - before).toBe(16);
  });

  it('streams chunk by chunk, reading only the chunks consumed', () => {
    const p = makeFile();
    const f = openSafetensors(p);
    const start = f.bytesRead;
    const it = f.stream('b', 1000)[Symbol.iterator]();
    const first = it.next();
    expect(first.done).toBe(false);
    expect(first.value!.byteLength).toBe(1000); // 250 whole int32 elements
    expect(f.bytesRead - start).toBe(1000);
    it.next();
    expect(f.bytesRead - start).toBe(2000);
    expect(drain(f.stream('b', 1001)).byteLength).toBe(4 * big);
    expect(f.stream('b', 3)[Symbol.iterator]().next().value!.byteLength).toBe(4); // at least one element
  });

  it('reads a tensor while another one is corrupted on disk, and sees the corruption only when reading that one', () => {
    const p = makeFile();
    const s = loadSafetensors(p);
    const f = openSafetensors(p);
    // Overwrite b's bytes in place after opening: a still reads, b shows the new bytes.
    const fd = fs.openSync(p, 'r+');
    fs.writeSync(fd, i32le([123456789]), 0, 4, f.info('b').offset + 40);
    fs.closeSync(fd);
    expect([...s.read('a').data]).toEqual(aVals.map(Math.fround));
    expect(s.read('b').data[10]).toBe(123456789);
  });

  it('a file truncated after opening gives E_SAFETENSORS, not a short tensor', () => {
    const p = makeFile();
    const s = loadSafetensors(p);
    const f = openSafetensors(p);
    fs.truncateSync(p, f.info('b').offset + 100);
    expect([...s.read('a').data]).toEqual(aVals.map(Math.fround));
    expectCode(() => s.read('b'), 'E_SAFETENSORS', p, "'b'", 'truncated');
  });

  it('rejects a non-positive chunk size', () => {
    const p = makeFile();
    const f = openSafetensors(p);
    expectCode(() => f.stream('a', 0), 'E_ATTR');
    expectCode(() => safetensorsSource(f, 'a').stream!(Number.NaN), 'E_ATTR');
  });
});

describe('loading into a WeightStore', () => {
  it('maps dtypes to IR dtypes by default and keeps values bit-exact', () => {
    const f32 = [0, -0, 1.25, -3.5e-39, 3.4e38, Infinity];
    const f16 = [0x3c00, 0x8000, 0x7bff, 0x0001, 0xfc00];
    const i8 = [-128, -1, 0, 127];
    const u8 = [0, 1, 200, 255];
    const i32 = [-2147483648, -7, 0, 2147483647];
    const i64 = [-2147483648n, -1n, 0n, 2147483647n];
    const bools = [0, 1, 1, 0];
    const parts: Uint8Array[] = [f32le(f32), u16le(f16), new Uint8Array(Int8Array.from(i8).buffer), Uint8Array.from(u8), i32le(i32), i64le(i64), Uint8Array.from(bools)];
    const header: Record<string, unknown> = {};
    const names = ['f32', 'f16', 'i8', 'u8', 'i32', 'i64', 'bool'];
    const dts = ['F32', 'F16', 'I8', 'U8', 'I32', 'I64', 'BOOL'];
    const lens = [6, 5, 4, 4, 4, 4, 4];
    let off = 0;
    parts.forEach((part, k) => {
      header[names[k]!] = { dtype: dts[k], shape: [lens[k]], data_offsets: [off, off + part.byteLength] };
      off += part.byteLength;
    });
    const s = loadSafetensors(put(build(header, cat(...parts))));
    expect(names.map((n) => s.info(n).dtype)).toEqual(['fp32', 'fp16', 'int8', 'uint8', 'int32', 'int32', 'bool']);
    const got = s.read('f32');
    expect([...new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength)]).toEqual([...parts[0]!]);
    expect([...s.read('f16').data]).toEqual(f16.map(fp16BitsToFp32));
    expect(Object.is(s.read('f16').data[1], -0)).toBe(true);
    expect([...s.read('i8').data]).toEqual(i8);
    expect([...s.read('u8').data]).toEqual(u8);
    expect([...s.read('i32').data]).toEqual(i32);
    expect([...s.read('i64').data]).toEqual(i64.map(Number));
    expect([...s.read('bool').data]).toEqual(bools);
    expect(s.read('bool').data).toBeInstanceOf(Uint8Array);
    for (const n of names) {
      for (const chunk of [1, 3, 8, 4096]) expect(hex(drain(s.stream(n, chunk)))).toBe(hex(encodeTensor(s.read(n))));
    }
    expect(hex(drain(s.stream('f32', 5)))).toBe(hex(parts[0]!));
    expect(hex(drain(s.stream('i64', 5)))).toBe(hex(i32le(i64.map(Number))));
  });

  // Bit patterns covering zeros, subnormals, normals, rounding ties, overflow, Inf, NaN.
  const bf16Bits = [0x0000, 0x8000, 0x0001, 0x0080, 0x3f80, 0xbf80, 0x3f81, 0x4049, 0x477f, 0x4780, 0x7f7f, 0x7f80, 0xff80, 0x7fc0, 0x3a80, 0x33c0, 0x3341, 0x387f];

  it('widens BF16 to fp32 exactly (default) and rounds it to fp16 as fp16.ts does', () => {
    const p = put(build({ w: { dtype: 'BF16', shape: [bf16Bits.length], data_offsets: [0, bf16Bits.length * 2] } }, u16le(bf16Bits)));
    const keep = loadSafetensors(p);
    expect(keep.info('w').dtype).toBe('fp32');
    const want32 = bf16Bits.map(bf16ToF32);
    const got32 = [...keep.read('w').data];
    got32.forEach((v, i) => expect(Object.is(v, want32[i]) || (Number.isNaN(v) && Number.isNaN(want32[i]!))).toBe(true));
    const bytes32 = drain(keep.stream('w', 4));
    bf16Bits.forEach((h, i) => expect(Buffer.from(bytes32).readUInt32LE(i * 4)).toBe(h * 65536)); // NaN bits kept too

    const half = loadSafetensors(p, { floatDtype: 'fp16' });
    expect(half.info('w').dtype).toBe('fp16');
    const bytes16 = drain(half.stream('w', 6));
    bf16Bits.forEach((h, i) => expect(Buffer.from(bytes16).readUInt16LE(i * 2)).toBe(fp32ToFp16Bits(bf16ToF32(h))));
    const vals16 = [...half.read('w').data];
    bf16Bits.forEach((h, i) => {
      const want = fp16BitsToFp32(fp32ToFp16Bits(bf16ToF32(h)));
      expect(Object.is(vals16[i], want) || (Number.isNaN(vals16[i]!) && Number.isNaN(want))).toBe(true);
    });
  });

  it('rounds F32 to fp16 as fp16.ts does, per chunk, and widens F16 to fp32', () => {
    fc.assert(fc.property(
      fc.array(fc.float({ noNaN: true }), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 1, max: 64 }),
      (vals, chunk) => {
        const p = put(build({ x: { dtype: 'F32', shape: [vals.length], data_offsets: [0, vals.length * 4] } }, f32le(vals)));
        const s = loadSafetensors(p, { floatDtype: 'fp16' });
        const bytes = Buffer.from(drain(s.stream('x', chunk)));
        vals.forEach((v, i) => expect(bytes.readUInt16LE(i * 2)).toBe(fp32ToFp16Bits(v)));
        expect([...s.read('x').data]).toEqual(vals.map((v) => fp16BitsToFp32(fp32ToFp16Bits(v))));
        const halves = vals.map(fp32ToFp16Bits);
        const q = put(build({ x: { dtype: 'F16', shape: [vals.length], data_offsets: [0, vals.length * 2] } }, u16le(halves)));
        const w = loadSafetensors(q, { floatDtype: 'fp32' });
        expect(w.info('x').dtype).toBe('fp32');
        expect(hex(drain(w.stream('x', chunk)))).toBe(hex(f32le(halves.map(fp16BitsToFp32))));
      },
    ), { numRuns: 40 });
  });

  it('raises E_SAFETENSORS naming tensor and index for I64 values outside int32, when read', () => {
    const vals = [0n, 5n, -2147483648n, 2147483648n, 1n];
    const p = put(build({ ids: { dtype: 'I64', shape: [5], data_offsets: [0, 40] } }, i64le(vals)));
    const s = loadSafetensors(p); // loading is lazy: no error yet
    const e = expectCode(() => s.read('ids'), 'E_SAFETENSORS', p, "'ids'", 'element 3', '2147483648');
    expect(e.details['index']).toBe(3);
    // Streaming yields the good chunks, then fails at the chunk holding element 3.
    const it = s.stream('ids', 4)[Symbol.iterator]();
    expect(Buffer.from(it.next().value!).readInt32LE(0)).toBe(0);
    it.next();
    it.next();
    expectCode(() => it.next(), 'E_SAFETENSORS', 'element 3');
    const q = put(build({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, i64le([1n, -2147483649n])));
    expectCode(() => loadSafetensors(q).read('ids'), 'E_SAFETENSORS', 'element 1', '-2147483649');
    const r = put(build({ ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, i64le([2n ** 62n])));
    expectCode(() => loadSafetensors(r).read('ids'), 'E_SAFETENSORS', String(2n ** 62n));
  });

  it('rejects BOOL bytes other than 0 and 1 when read', () => {
    const p = put(build({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, new Uint8Array([1, 0, 2])));
    expectCode(() => loadSafetensors(p).read('m'), 'E_SAFETENSORS', "'m'", 'element 2');
  });

  it('strips and adds prefixes and filters', () => {
    const header = {
      'model.vision.a': { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
      'model.vision.b': { dtype: 'U8', shape: [1], data_offsets: [1, 2] },
      'model.llm.c': { dtype: 'U8', shape: [1], data_offsets: [2, 3] },
    };
    const p = put(build(header, new Uint8Array([1, 2, 3])));
    expect(loadSafetensors(p, { prefix: 'model.vision.' }).names()).toEqual(['a', 'b']);
    expect(loadSafetensors(p, { prefix: { strip: 'model.', add: 'm/' } }).names()).toEqual(['m/vision.a', 'm/vision.b', 'm/llm.c']);
    expect(loadSafetensors(p, { prefix: { add: 'x.' } }).names()).toEqual(['x.model.vision.a', 'x.model.vision.b', 'x.model.llm.c']);
    const s = loadSafetensors(p, { filter: (n, info) => n.endsWith('b') || info.offset === openSafetensors(p).dataOffset + 2 });
    expect(s.names()).toEqual(['model.vision.b', 'model.llm.c']);
    expect([...s.read('model.llm.c').data]).toEqual([3]);
    expectCode(() => loadSafetensors(p, { prefix: 'model.llm.c' }), 'E_NAME', "'model.llm.c'");
    const store = loadSafetensors(p, { prefix: 'model.vision.' });
    expectCode(() => addSafetensorsToStore(store, openSafetensors(p), { prefix: 'model.vision.' }), 'E_NAME');
  });

  it('describes where a weight comes from', () => {
    const p = put(build({ w: { dtype: 'BF16', shape: [1], data_offsets: [0, 2] } }, u16le([0x3f80])));
    const d = loadSafetensors(p).info('w').source;
    expect(d).toContain(p);
    expect(d).toContain('BF16->fp32');
  });
});

describe('checkpoint directories', () => {
  let dirCounter = 0;
  const mkdir = (): string => {
    const d = path.join(tmp, `ckpt${dirCounter++}`);
    fs.mkdirSync(d);
    return d;
  };
  const shard1 = (): Uint8Array => build({
    'a.w': { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    'a.b': { dtype: 'I32', shape: [1], data_offsets: [8, 12] },
  }, cat(f32le([1, 2]), i32le([3])));
  const shard2 = (extra: Record<string, unknown> = {}, data = u16le([0x4000, 0x4200])): Uint8Array => build({
    'z.w': { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
    ...extra,
  }, data);
  const index = (map: Record<string, string>, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({ metadata: { total_size: 16 }, weight_map: map, ...extra });
  const goodMap = { 'a.w': 'model-00001-of-00002.safetensors', 'a.b': 'model-00001-of-00002.safetensors', 'z.w': 'model-00002-of-00002.safetensors' };
  const makeDir = (map: Record<string, string> = goodMap, s2 = shard2()): string => {
    const d = mkdir();
    put(shard1(), 'model-00001-of-00002.safetensors', d);
    put(s2, 'model-00002-of-00002.safetensors', d);
    fs.writeFileSync(path.join(d, 'model.safetensors.index.json'), index(map));
    return d;
  };

  it('loads a sharded checkpoint lazily through its index', () => {
    const d = makeDir();
    const ck = openSafetensorsDir(d);
    expect(ck.names()).toEqual(['a.w', 'a.b', 'z.w']);
    expect(ck.metadata).toEqual({ total_size: 16 });
    expect(ck.files.map((f) => path.basename(f.path))).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(ck.files.every((f) => f.bytesRead === 8 + f.headerLength)).toBe(true);
    const s = loadSafetensorsDir(d);
    expect([...s.read('a.w').data]).toEqual([1, 2]);
    expect([...s.read('a.b').data]).toEqual([3]);
    expect([...s.read('z.w').data]).toEqual([2, 3]);
    expect(loadSafetensors(d, { prefix: 'a.' }).names()).toEqual(['w', 'b']);
  });

  it('loads a directory holding a single model.safetensors', () => {
    const d = mkdir();
    put(shard1(), 'model.safetensors', d);
    expect(loadSafetensors(d).names()).toEqual(['a.w', 'a.b']);
    expect(openSafetensorsDir(d).indexPath).toBeUndefined();
  });

  it('reports a directory without either file as E_IO', () => {
    const d = mkdir();
    expectCode(() => loadSafetensorsDir(d), 'E_IO', d, 'model.safetensors');
  });

  it('reports a missing shard, naming the shard file and a tensor in it', () => {
    const d = makeDir();
    fs.rmSync(path.join(d, 'model-00002-of-00002.safetensors'));
    expectCode(() => loadSafetensorsDir(d), 'E_SAFETENSORS', 'model-00002-of-00002.safetensors', "'z.w'", 'missing');
  });

  it('reports a weight_map entry naming a tensor absent from its shard', () => {
    const d = makeDir({ ...goodMap, 'q.ghost': 'model-00002-of-00002.safetensors' });
    expectCode(() => loadSafetensorsDir(d), 'E_SAFETENSORS', "'q.ghost'", 'model-00002-of-00002.safetensors');
  });

  it('reports a tensor present in two shards, naming both', () => {
    const d = makeDir(goodMap, shard2({ 'a.w': { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, cat(u16le([0x4000, 0x4200]), f32le([9]))));
    expectCode(() => loadSafetensorsDir(d), 'E_SAFETENSORS', "'a.w'", 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'two shards');
  });

  it('reports a shard tensor missing from the weight_map', () => {
    const d = makeDir(goodMap, shard2({ extra: { dtype: 'U8', shape: [1], data_offsets: [4, 5] } }, cat(u16le([0x4000, 0x4200]), new Uint8Array([1]))));
    expectCode(() => loadSafetensorsDir(d), 'E_SAFETENSORS', "'extra'", 'weight_map');
  });

  it('propagates a malformed shard header naming the shard', () => {
    const d = makeDir(goodMap, build('{"z.w": 1}'));
    expectCode(() => loadSafetensorsDir(d), 'E_SAFETENSORS', 'model-00002-of-00002.safetensors', "'z.w'");
  });

  const badIndexes: [string, string, string[]][] = [
    ['invalid JSON', '{"weight_map": ', ['not valid JSON']],
    ['a non-object index', '[]', ['must be a JSON object']],
    ['a missing weight_map', '{"metadata": {}}', ["missing 'weight_map'"]],
    ['a weight_map that is an array', '{"weight_map": []}', ["'weight_map' must be an object"]],
    ['metadata that is a string', '{"metadata": "x", "weight_map": {}}', ["'metadata' must be an object"]],
    ['a shard name that is not a string', '{"weight_map": {"t": 3}}', ["'t'", 'shard file name']],
    ['a shard path escaping the directory', '{"weight_map": {"t": "../x.safetensors"}}', ["'t'", 'not a plain file name']],
    ['an empty shard name', '{"weight_map": {"t": ""}}', ["'t'", 'not a plain file name']],
  ];
  for (const [what, text, mentions] of badIndexes) {
    it(`rejects an index with ${what}`, () => {
      const d = mkdir();
      const ip = path.join(d, 'model.safetensors.index.json');
      fs.writeFileSync(ip, text);
      expectCode(() => loadSafetensorsDir(d), 'E_SAFETENSORS', ip, ...mentions);
    });
  }
});

describe('robustness', () => {
  const valid = build({
    __metadata__: { k: 'v' },
    a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
    b: { dtype: 'BF16', shape: [3], data_offsets: [16, 22] },
    c: { dtype: 'I64', shape: [2], data_offsets: [24, 40] },
    d: { dtype: 'BOOL', shape: [2], data_offsets: [40, 42] },
    e: { dtype: 'F16', shape: [1], data_offsets: [42, 44] },
  }, cat(f32le([1, 2, 3, 4]), u16le([0x3f80, 0x4000, 0xc000]), new Uint8Array(2), i64le([1n, -1n]), new Uint8Array([0, 1]), u16le([0x3c00])));
  const headerEnd = 8 + Number(Buffer.from(valid).readBigUInt64LE(0));

  it('a valid file round-trips as the fixture says', () => {
    const s = loadSafetensors(put(valid));
    expect([...s.read('b').data]).toEqual([1, 2, -2]);
    expect([...s.read('c').data]).toEqual([1, -1]);
  });

  it('random corruption or truncation never raises anything but FastVlmError', () => {
    const p = path.join(tmp, 'fuzz.safetensors');
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: headerEnd + 48 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.option(fc.integer({ min: 0, max: valid.length }), { nil: undefined }),
      (edits, cut) => {
        const b = Uint8Array.from(valid);
        for (const [pos, v] of edits) if (pos < b.length) b[pos] = v;
        fs.writeFileSync(p, cut === undefined ? b : b.subarray(0, cut));
        try {
          const s = new WeightStore();
          addSafetensorsToStore(s, openSafetensors(p), { floatDtype: 'fp16' });
          for (const n of s.names()) {
            s.read(n);
            drain(s.stream(n, 3));
          }
        } catch (e) {
          if (!isFastVlmError(e)) throw e;
        }
      },
    ), { numRuns: 400 });
  });

  it('random headers never raise anything but FastVlmError', () => {
    const p = path.join(tmp, 'fuzz-json.safetensors');
    const jsonish = fc.oneof(
      fc.json(),
      fc.dictionary(fc.string({ maxLength: 4 }), fc.record({
        dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'I8', 'U8', 'I32', 'I64', 'BOOL', 'F64'), fc.jsonValue()),
        shape: fc.oneof(fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 3 }), fc.jsonValue()),
        data_offsets: fc.oneof(fc.tuple(fc.integer({ min: -1, max: 40 }), fc.integer({ min: -1, max: 40 })), fc.jsonValue()),
      }, { requiredKeys: [] })).map((o) => JSON.stringify(o)),
    );
    fc.assert(fc.property(jsonish, (text) => {
      fs.writeFileSync(p, build(text, new Uint8Array(40).fill(1)));
      try {
        const s = loadSafetensors(p);
        for (const n of s.names()) s.read(n);
      } catch (e) {
        if (!isFastVlmError(e)) throw e;
      }
    }), { numRuns: 300 });
  });
});

describe('safetensorsSource.streamRange', () => {
  it('streams the converted bytes of any element range in chunks, as the whole stream has them (property)', () => {
    // One file per source dtype, 37 elements each; the expected bytes come from the naive encoders.
    const n = 37;
    const words = Array.from({ length: n }, (_, i) => (Math.imul(i + 1, 0x9e3779b9) >>> 0) & 0x7f7fffff);
    const f32 = words.map((w) => new Float32Array(new Uint32Array([w]).buffer)[0]!);
    const h16 = words.map((w) => w >>> 16);
    const file = openSafetensors(put(build({
      f32: { dtype: 'F32', shape: [n], data_offsets: [0, 4 * n] },
      f16: { dtype: 'F16', shape: [n], data_offsets: [4 * n, 6 * n] },
      bf16: { dtype: 'BF16', shape: [n], data_offsets: [6 * n, 8 * n] },
    }, cat(f32le(f32), u16le(h16), u16le(h16)))));
    const want: Record<string, Record<'fp16' | 'fp32', (i: number) => number[]>> = {
      // Bytes of element i after conversion, little-endian.
      f32: { fp16: (i) => [...u16le([fp32ToFp16Bits(f32[i]!)])], fp32: (i) => [...f32le([f32[i]!])] },
      f16: { fp16: (i) => [...u16le([h16[i]!])], fp32: (i) => [...f32le([fp16BitsToFp32(h16[i]!)])] },
      bf16: { fp16: (i) => [...u16le([fp32ToFp16Bits(bf16ToF32(h16[i]!))])], fp32: (i) => [...f32le([bf16ToF32(h16[i]!)])] },
    };
    fc.assert(fc.property(fc.constantFrom('f32', 'f16', 'bf16'), fc.constantFrom<'fp16' | 'fp32'>('fp16', 'fp32'), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 40 }), (name, policy, a, b, chunk) => {
      const src = safetensorsSource(file, name, { floatDtype: policy });
      const start = a % n;
      const count = b % (n - start + 1);
      const chunks = [...src.streamRange!(start, count, chunk)];
      const size = policy === 'fp16' ? 2 : 4;
      for (const c of chunks) expect(c.byteLength).toBeLessThanOrEqual(Math.max(chunk - (chunk % size), size));
      const expected = Array.from({ length: count }, (_, j) => want[name]![policy](start + j)).flat();
      expect([...Buffer.concat(chunks)]).toEqual(expected);
    }), { numRuns: 200 });
    expectCode(() => safetensorsSource(file, 'f32').streamRange!(30, 8, 64), 'E_ATTR', 'outside', "'f32'");
    expectCode(() => safetensorsSource(file, 'f32').streamRange!(-1, 2, 64), 'E_ATTR', 'outside');
    expectCode(() => safetensorsSource(file, 'f32').streamRange!(0, 2, 0), 'E_ATTR', 'chunkBytes');
  });
});
