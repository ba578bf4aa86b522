import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Tensor, roundToFp16 } from '@fastvlm/graph';
import { type QuantDType, forEachBlockRun, quantRange, quantizeLinear } from './linear.js';
import { weightValuesOf } from './values.js';

/** np.round, written out independently. */
function npRound(x: number): number {
  const r = Math.round(x);
  // Math.round rounds halves up; numpy rounds them to even.
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Blocks of a 2-D weight [rows, cols] for a grid [gr, gc]: block of element (r, c). */
function blockOf(r: number, c: number, rows: number, cols: number, grid: readonly number[]): number {
  return Math.floor(r / (rows / grid[0]!)) * grid[1]! + Math.floor(c / (cols / grid[1]!));
}

/**
 * coremltools' compute_qparams_by_dtype for a 2-D weight, step by step with every numpy op of
 * the weight's dtype rounded, no shortcuts.
 */
function reference(w: Tensor, dtype: QuantDType, symmetric: boolean, grid: readonly number[]): { data: number[]; scale: number[]; offset: number[] | undefined } {
  const [rows, cols] = w.shape as [number, number];
  const r16 = w.dtype === 'fp16' ? (x: number): number => roundToFp16(x) : (x: number): number => Math.fround(x);
  const nb = grid[0]! * grid[1]!;
  const lo = new Array<number>(nb).fill(Infinity);
  const hi = new Array<number>(nb).fill(-Infinity);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const b = blockOf(r, c, rows, cols, grid);
      lo[b] = Math.min(lo[b]!, w.data[r * cols + c]!);
      hi[b] = Math.max(hi[b]!, w.data[r * cols + c]!);
    }
  const bits = dtype.endsWith('4') ? 4 : 8;
  const unsigned = dtype.startsWith('u');
  let qmin = unsigned ? 0 : -(2 ** bits) / 2;
  let qmax = unsigned ? 2 ** bits - 1 : 2 ** bits / 2 - 1;
  if (symmetric && unsigned) qmax -= 1;
  if (symmetric && !unsigned) qmin += 1;
  const scale: number[] = [];
  const zps: number[] = [];
  for (let b = 0; b < nb; b++) {
    let a = lo[b]!;
    let z = hi[b]!;
    if (symmetric) {
      const m = Math.max(Math.abs(a), Math.abs(z));
      a = -m;
      z = m;
    } else {
      a = Math.min(0, a);
      z = Math.max(0, z);
    }
    const s = r16(r16(z - a) / (qmax - qmin));
    scale.push(s);
    if (symmetric && unsigned) zps.push(Math.floor(qmax / 2));
    else if (!symmetric) {
      const zp = r16(r16(r16(qmin * z) - r16(qmax * a)) / r16(z - a));
      zps.push((z - a === 0 ? Math.max(qmin, Math.min(qmax, 0)) : Math.max(qmin, Math.min(qmax, npRound(zp)))) + 0);
    }
  }
  const offset = symmetric && !unsigned ? undefined : zps;
  const data: number[] = [];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const b = blockOf(r, c, rows, cols, grid);
      const zp = offset ? offset[b]! : 0;
      const q = scale[b] === 0 ? zp : npRound(r16(w.data[r * cols + c]! / scale[b]!)) + zp;
      data.push(Math.max(qmin, Math.min(qmax, q)) + 0);
    }
  return { data, scale, offset };
}

const DTYPES: QuantDType[] = ['int8', 'uint8', 'int4', 'uint4'];

/** A 2-D weight, a quantization dtype and mode, and a grid dividing it. */
const arbCase = fc.record({
  rb: fc.integer({ min: 1, max: 4 }),
  rl: fc.integer({ min: 1, max: 5 }),
  cb: fc.integer({ min: 1, max: 4 }),
  cl: fc.integer({ min: 1, max: 9 }),
  wdtype: fc.constantFrom<'fp16' | 'fp32'>('fp16', 'fp32'),
  qdtype: fc.constantFrom(...DTYPES),
  symmetric: fc.boolean(),
  scale: fc.constantFrom(1e-3, 0.05, 1, 300),
  shift: fc.constantFrom(0, 0.5, -2),
  seed: fc.integer({ min: 1, max: 1e9 }),
});

function weight(rows: number, cols: number, dtype: 'fp16' | 'fp32', scale: number, shift: number, seed: number): Tensor {
  let s = seed >>> 0 || 1;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const v = ((s / 4294967296) * 2 - 1 + shift) * scale;
    data[i] = dtype === 'fp16' ? roundToFp16(v) : Math.fround(v);
  }
  // A zero row and a constant row exercise the degenerate blocks.
  if (rows > 2) for (let c = 0; c < cols; c++) data[cols + c] = 0;
  return { dtype, shape: [rows, cols], data };
}

describe('quantizeLinear', () => {
  it("has coremltools' integer ranges", () => {
    const got = DTYPES.flatMap((d) => [false, true].map((s) => `${d}${s ? ' sym' : ''}: ${JSON.stringify(quantRange(d, s))}`));
    expect(got).toEqual([
      'int8: {"min":-128,"max":127}',
      'int8 sym: {"min":-127,"max":127}',
      'uint8: {"min":0,"max":255}',
      'uint8 sym: {"min":0,"max":254}',
      'int4: {"min":-8,"max":7}',
      'int4 sym: {"min":-7,"max":7}',
      'uint4: {"min":0,"max":15}',
      'uint4 sym: {"min":0,"max":14}',
    ]);
  });

  it('equals a step-by-step reimplementation of coremltools for every type, mode and grid', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const rows = c.rb * c.rl;
        const cols = c.cb * c.cl;
        const w = weight(rows, cols, c.wdtype, c.scale, c.shift, c.seed);
        const grid = [c.rb, c.cb];
        const got = quantizeLinear(weightValuesOf(w), { dtype: c.qdtype, symmetric: c.symmetric, grid });
        const want = reference(w, c.qdtype, c.symmetric, grid);
        expect(Array.from(got.scale)).toEqual(want.scale);
        expect(got.offset ? Array.from(got.offset) : undefined).toEqual(want.offset);
        expect(Array.from(got.data)).toEqual(want.data);
      }),
      { numRuns: 300 },
    );
  });

  it('dequantizes within half a step (plus the fp16 rounding of quotient and zero point)', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const rows = c.rb * c.rl;
        const cols = c.cb * c.cl;
        const w = weight(rows, cols, c.wdtype, c.scale, c.shift, c.seed);
        // coremltools' fp16 zero point overflows (qmax * min beyond 65504) for weights beyond ~257.
        fc.pre(c.wdtype === 'fp32' || w.data.every((x) => Math.abs(x) * 255 < 65504));
        const grid = [c.rb, c.cb];
        const q = quantizeLinear(weightValuesOf(w), { dtype: c.qdtype, symmetric: c.symmetric, grid });
        // fp32: essentially exact half steps; fp16: the quotient is rounded to fp16 (<= 1/32 step
        // below 128) and the zero point computed in fp16 (< 0.1 step). Besides, the stored scale
        // differs from the exact step (range / levels) by its rounding, which shifts the grid's
        // ends by up to `levels` times that difference (large when fp16 scales are subnormal).
        const slack = c.wdtype === 'fp32' ? 1e-5 : c.symmetric ? 1 / 32 : 0.15;
        const { min: qmin, max: qmax } = quantRange(c.qdtype, c.symmetric);
        const lo = new Array<number>(c.rb * c.cb).fill(0);
        const hi = new Array<number>(c.rb * c.cb).fill(0);
        for (let r = 0; r < rows; r++)
          for (let k = 0; k < cols; k++) {
            const b = blockOf(r, k, rows, cols, grid);
            lo[b] = Math.min(lo[b]!, w.data[r * cols + k]!);
            hi[b] = Math.max(hi[b]!, w.data[r * cols + k]!);
          }
        for (let r = 0; r < rows; r++)
          for (let k = 0; k < cols; k++) {
            const b = blockOf(r, k, rows, cols, grid);
            const s = q.scale[b]!;
            const zp = q.offset ? q.offset[b]! : 0;
            const x = w.data[r * cols + k]!;
            const m = Math.max(-lo[b]!, hi[b]!);
            const exact = c.symmetric ? (2 * m) / (qmax - qmin) : (hi[b]! - lo[b]!) / (qmax - qmin);
            const bound = s * (0.5 + slack) + (qmax - qmin) * Math.abs(s - exact) + 1e-12;
            const err = Math.abs(s * (q.data[r * cols + k]! - zp) - x);
            if (err > bound) expect.fail(`(${r},${k}): ${x} -> err ${err} > ${bound} (scale ${s}, exact step ${exact})`);
          }
      }),
      { numRuns: 300 },
    );
  });

  it('walks blocks in row-major runs', () => {
    const runs: string[] = [];
    forEachBlockRun([2, 6], [2, 3], (start, len, b) => runs.push(`${start}+${len}:${b}`));
    expect(runs).toEqual(['0+2:0', '2+2:1', '4+2:2', '6+2:3', '8+2:4', '10+2:5']);
    const runs3: string[] = [];
    forEachBlockRun([4, 2, 2], [2, 1, 1], (start, len, b) => runs3.push(`${start}+${len}:${b}`));
    expect(runs3).toEqual(['0+2:0', '2+2:0', '4+2:0', '6+2:0', '8+2:1', '10+2:1', '12+2:1', '14+2:1']);
  });
});
