import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import './index.js';
import { type DType, dtypeInfo } from '../dtype.js';
import { roundToFp16 } from '../fp16.js';
import { runOp } from '../interpret/run-op.js';
import type { Attrs, TensorType } from '../ir/types.js';
import { type Tensor, tensor } from '../tensor.js';
import { fillTensor } from '../testing/arb.js';
import { count, ravel, unravel } from '../testing/naive-ref.js';
import { getOp } from './registry.js';
import { checkOp } from './validate.js';
import { errorCode } from '../testing/errors.js';
import { xorshift32 } from '../testing/rng.js';

const run1 = (kind: string, inputs: Record<string, Tensor>, attrs: Attrs = {}): Tensor => runOp(kind, inputs, attrs)[0]!;
const infer = (kind: string, inputs: Record<string, TensorType>, attrs: Attrs = {}): TensorType => checkOp(getOp(kind), inputs, attrs).outputs[0]!;
const tt = (dtype: DType, shape: number[]): TensorType => ({ dtype, shape });

/** Deterministic integers in [lo, hi] from a seed (xorshift). */
function ints(n: number, lo: number, hi: number, seed: number): number[] {
  const next = xorshift32(seed);
  return Array.from({ length: n }, () => lo + (next() % (hi - lo + 1)));
}

/** A shape and a block grid dividing it: per axis a block length and a block count. */
const arbGridShape = (maxRank: number): fc.Arbitrary<{ shape: number[]; grid: number[] }> =>
  fc
    .array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: maxRank })
    .map((axes) => ({ shape: axes.map(([len, cnt]) => len * cnt), grid: axes.map(([, cnt]) => cnt) }));

const INDEX_DTYPES: DType[] = ['uint1', 'uint2', 'uint3', 'uint4', 'uint6', 'uint8'];

describe('lut_dequantize', () => {
  it('matches the examples of Core ML constexpr_lut_to_dense (grouped tables, vectors on either axis)', () => {
    const idx = tensor('uint2', [6, 2], [2, 3, 3, 0, 1, 0, 3, 0, 2, 1, 0, 3]);
    const lut = tensor('fp16', [2, 1, 4, 1], [1, 5, 9, 13, 2, 10, 18, 26]);
    expect(Array.from(run1('lut_dequantize', { indices: idx, lut }).data)).toEqual([9, 13, 13, 1, 5, 1, 26, 2, 18, 10, 2, 26]);
    const vi = tensor('uint1', [2, 2, 2], [0, 0, 1, 0, 1, 1, 0, 0]);
    const vl = tensor('int8', [1, 1, 1, 2, 3], [10, 11, 12, 20, 21, 22]);
    const a1 = run1('lut_dequantize', { indices: vi, lut: vl }, { vector_axis: 1 });
    expect(a1.shape).toEqual([2, 6, 2]);
    expect(Array.from(a1.data)).toEqual([10, 10, 11, 11, 12, 12, 20, 10, 21, 11, 22, 12, 20, 20, 21, 21, 22, 22, 10, 10, 11, 11, 12, 12]);
    const a2 = run1('lut_dequantize', { indices: vi, lut: vl }, { vector_axis: -1 });
    expect(a2.shape).toEqual([2, 2, 6]);
    expect(Array.from(a2.data)).toEqual([10, 11, 12, 10, 11, 12, 20, 21, 22, 10, 11, 12, 20, 21, 22, 20, 21, 22, 10, 11, 12, 10, 11, 12]);
  });

  it('equals a naive per-element table look-up for any grid, bit width, entry dtype and vector layout', () => {
    const arb = fc.record({
      g: arbGridShape(4),
      idxDtype: fc.constantFrom(...INDEX_DTYPES),
      lutDtype: fc.constantFrom<DType>('fp16', 'fp32', 'int8', 'uint8'),
      vec: fc.integer({ min: 1, max: 3 }),
      axisPick: fc.nat(),
      seed: fc.integer({ min: 1, max: 1e9 }),
    });
    fc.assert(
      fc.property(arb, ({ g, idxDtype, lutDtype, vec, axisPick, seed }) => {
        const k = g.shape.length;
        const nbits = dtypeInfo(idxDtype).bits;
        const pal = 2 ** nbits;
        const indices = tensor(idxDtype, g.shape, ints(count(g.shape), 0, pal - 1, seed));
        const lutShape = [...g.grid, pal, vec];
        const lut = fillTensor(lutDtype, lutShape, seed + 7, 4);
        const axis = axisPick % k;
        const attrs: Attrs = vec > 1 || axisPick % 2 === 0 ? { vector_axis: axis } : {};
        const out = run1('lut_dequantize', { indices, lut }, attrs);
        const outShape = g.shape.map((d, i) => (vec > 1 && i === axis ? d * vec : d));
        expect(out.dtype).toBe(lutDtype);
        expect(out.shape).toEqual(outShape);
        for (let o = 0; o < count(outShape); o++) {
          const oi = unravel(o, outShape);
          const p = oi.map((c, i) => (vec > 1 && i === axis ? Math.floor(c / vec) : c));
          const e = vec > 1 ? oi[axis]! % vec : 0;
          const block = p.map((c, i) => Math.floor(c / (g.shape[i]! / g.grid[i]!)));
          const q = indices.data[ravel(p, g.shape)]!;
          const want = lut.data[ravel([...block, q, e], lutShape)]!;
          if (out.data[o] !== want) expect.fail(`element ${o} (${oi}): ${out.data[o]} vs ${want}`);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('infers lut dtype and the vector-scaled shape; rejects malformed tables with coded errors', () => {
    expect(infer('lut_dequantize', { indices: tt('uint4', [8, 6]), lut: tt('fp16', [2, 1, 16, 1]) })).toEqual(tt('fp16', [8, 6]));
    expect(infer('lut_dequantize', { indices: tt('uint2', [8, 6]), lut: tt('int8', [1, 1, 4, 2]) }, { vector_axis: 0 })).toEqual(tt('int8', [16, 6]));
    const bad: [Record<string, TensorType>, Attrs, string][] = [
      [{ indices: tt('uint4', [8, 6]), lut: tt('fp16', [16, 1]) }, {}, 'E_RANK'],
      [{ indices: tt('uint4', [8, 6]), lut: tt('fp16', [3, 1, 16, 1]) }, {}, 'E_SHAPE_MISMATCH'],
      [{ indices: tt('uint4', [8, 6]), lut: tt('fp16', [1, 1, 8, 1]) }, {}, 'E_SHAPE_MISMATCH'],
      [{ indices: tt('uint4', [8, 6]), lut: tt('fp16', [1, 1, 16, 2]) }, {}, 'E_ATTR'],
      [{ indices: tt('uint4', [8, 6]), lut: tt('fp16', [1, 1, 16, 2]) }, { vector_axis: 2 }, 'E_ATTR'],
      [{ indices: tt('uint4', []), lut: tt('fp16', [16, 1]) }, {}, 'E_RANK'],
      [{ indices: tt('int8', [8]), lut: tt('fp16', [1, 256, 1]) }, {}, 'E_DTYPE_MISMATCH'],
      [{ indices: tt('uint8', [8]), lut: tt('int32', [1, 256, 1]) }, {}, 'E_DTYPE_MISMATCH'],
    ];
    for (const [inputs, attrs, code] of bad) expect(errorCode(() => infer('lut_dequantize', inputs, attrs)), JSON.stringify(inputs)).toBe(code);
  });

  it('refuses an index outside the table (a malformed stored tensor) with E_INTERPRET', () => {
    const indices: Tensor = { dtype: 'uint1', shape: [2], data: new Int32Array([0, 2]) };
    const lut = tensor('fp32', [1, 2, 1], [1, 2]);
    expect(errorCode(() => run1('lut_dequantize', { indices, lut }))).toBe('E_INTERPRET');
  });
});

/** The dequantized value as Core ML computes it: fp32 difference, product rounded once. */
function dequant(q: number, zp: number, scale: number, dtype: DType): number {
  const diff = Math.fround(q - zp);
  const v = diff * scale;
  return dtype === 'fp16' ? roundToFp16(v) : Math.fround(v);
}

describe('affine_dequantize', () => {
  it('equals scale * (q - zero_point) per tensor or per slice along any axis', () => {
    const arb = fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
      dataDtype: fc.constantFrom<DType>('int8', 'uint8'),
      zpKind: fc.constantFrom('same', 'fp32'),
      scaleDtype: fc.constantFrom<DType>('fp16', 'fp32'),
      vecScale: fc.boolean(),
      vecZp: fc.boolean(),
      axisPick: fc.nat(),
      seed: fc.integer({ min: 1, max: 1e9 }),
    });
    fc.assert(
      fc.property(arb, ({ shape, dataDtype, zpKind, scaleDtype, vecScale, vecZp, axisPick, seed }) => {
        const r = shape.length;
        const axis = (axisPick % (2 * r)) - r; // negative axes too
        const a = axis < 0 ? axis + r : axis;
        const info = dtypeInfo(dataDtype);
        const q = tensor(dataDtype, shape, ints(count(shape), info.min, info.max, seed));
        const zpDtype: DType = zpKind === 'same' ? dataDtype : 'fp32';
        const zpShape = vecZp ? [shape[a]!] : [];
        const zp = zpDtype === 'fp32' ? fillTensor('fp32', zpShape, seed + 1, 100) : tensor(zpDtype, zpShape, ints(count(zpShape), info.min, info.max, seed + 1));
        const sShape = vecScale ? [shape[a]!] : [];
        const scale = fillTensor(scaleDtype, sShape, seed + 2, 0.05);
        const out = run1('affine_dequantize', { quantized_data: q, zero_point: zp, scale }, { axis });
        expect(out.dtype).toBe(scaleDtype);
        expect(out.shape).toEqual(shape);
        for (let i = 0; i < q.data.length; i++) {
          const c = unravel(i, shape)[a]!;
          const want = dequant(q.data[i]!, zp.data[vecZp ? c : 0]!, scale.data[vecScale ? c : 0]!, scaleDtype);
          if (!Object.is(out.data[i], want)) expect.fail(`element ${i}: ${out.data[i]} vs ${want}`);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('rejects bad axes, ranks, sizes and dtypes with coded errors', () => {
    expect(infer('affine_dequantize', { quantized_data: tt('int8', [4, 3]), zero_point: tt('int8', []), scale: tt('fp16', [4]) })).toEqual(tt('fp16', [4, 3]));
    const bad: [Record<string, TensorType>, Attrs, string][] = [
      [{ quantized_data: tt('int8', [4, 3]), zero_point: tt('int8', []), scale: tt('fp16', [3]) }, {}, 'E_SHAPE_MISMATCH'],
      [{ quantized_data: tt('int8', [4, 3]), zero_point: tt('int8', [4, 1]), scale: tt('fp16', [4]) }, {}, 'E_RANK'],
      [{ quantized_data: tt('int8', [4, 3]), zero_point: tt('int8', []), scale: tt('fp16', []) }, { axis: 2 }, 'E_ATTR'],
      [{ quantized_data: tt('int8', []), zero_point: tt('int8', []), scale: tt('fp16', []) }, {}, 'E_RANK'],
      [{ quantized_data: tt('int4', [4]), zero_point: tt('int8', []), scale: tt('fp16', []) }, {}, 'E_DTYPE_MISMATCH'],
      [{ quantized_data: tt('int8', [4]), zero_point: tt('fp16', []), scale: tt('fp16', []) }, {}, 'E_DTYPE_MISMATCH'],
      [{ quantized_data: tt('int8', [4]), zero_point: tt('int8', []), scale: tt('int8', []) }, {}, 'E_DTYPE_MISMATCH'],
    ];
    for (const [inputs, attrs, code] of bad) expect(errorCode(() => infer('affine_dequantize', inputs, attrs)), JSON.stringify(inputs)).toBe(code);
  });
});

describe('blockwise_dequantize', () => {
  it('equals scale[block] * (data - offset[block]) for any block grid, with integer, float or no offset', () => {
    const arb = fc.record({
      g: arbGridShape(4),
      dataDtype: fc.constantFrom<DType>('int4', 'uint4', 'int8', 'uint8'),
      scaleDtype: fc.constantFrom<DType>('fp16', 'fp32'),
      offsetKind: fc.constantFrom('none', 'int', 'float'),
      seed: fc.integer({ min: 1, max: 1e9 }),
    });
    fc.assert(
      fc.property(arb, ({ g, dataDtype, scaleDtype, offsetKind, seed }) => {
        const info = dtypeInfo(dataDtype);
        const data = tensor(dataDtype, g.shape, ints(count(g.shape), info.min, info.max, seed));
        const scale = fillTensor(scaleDtype, g.grid, seed + 1, 0.1);
        const offset =
          offsetKind === 'int' ? tensor(dataDtype, g.grid, ints(count(g.grid), info.min, info.max, seed + 2)) : offsetKind === 'float' ? fillTensor(scaleDtype, g.grid, seed + 3, 9) : undefined;
        const out = run1('blockwise_dequantize', offset ? { data, scale, offset } : { data, scale });
        expect(out.dtype).toBe(scaleDtype);
        expect(out.shape).toEqual(g.shape);
        const round = (x: number): number => (scaleDtype === 'fp16' ? roundToFp16(x) : Math.fround(x));
        for (let i = 0; i < data.data.length; i++) {
          const idx = unravel(i, g.shape);
          const b = ravel(idx.map((c, k) => Math.floor(c / (g.shape[k]! / g.grid[k]!))), g.grid);
          const o = offset ? offset.data[b]! : 0;
          const diff = offsetKind === 'float' ? round(data.data[i]! - o) : data.data[i]! - o;
          const want = round(scale.data[b]! * diff);
          if (!Object.is(out.data[i], want)) expect.fail(`element ${i}: ${out.data[i]} vs ${want}`);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('rejects rank, grid, offset shape and dtype mismatches with coded errors', () => {
    expect(infer('blockwise_dequantize', { data: tt('int4', [8, 64]), scale: tt('fp16', [8, 2]) })).toEqual(tt('fp16', [8, 64]));
    const bad: [Record<string, TensorType>, string][] = [
      [{ data: tt('int4', [8, 64]), scale: tt('fp16', [8]) }, 'E_RANK'],
      [{ data: tt('int4', [8, 64]), scale: tt('fp16', [8, 3]) }, 'E_SHAPE_MISMATCH'],
      [{ data: tt('int4', [8, 64]), scale: tt('fp16', [8, 2]), offset: tt('int4', [8, 1]) }, 'E_SHAPE_MISMATCH'],
      [{ data: tt('int4', [8, 64]), scale: tt('fp16', [8, 2]), offset: tt('int8', [8, 2]) }, 'E_DTYPE_MISMATCH'],
      [{ data: tt('int4', [8, 64]), scale: tt('fp16', [8, 2]), offset: tt('fp32', [8, 2]) }, 'E_DTYPE_MISMATCH'],
      [{ data: tt('int4', []), scale: tt('fp16', []) }, 'E_RANK'],
      [{ data: tt('uint2', [8]), scale: tt('fp16', [1]) }, 'E_DTYPE_MISMATCH'],
    ];
    for (const [inputs, code] of bad) expect(errorCode(() => infer('blockwise_dequantize', inputs)), JSON.stringify(inputs)).toBe(code);
  });
});
