import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Tensor, fp16BitsToFp32, fp32ToFp16Bits, roundToFp16 } from '@fastvlm/graph';
import { PALETTE_NBITS, type PaletteParams, assignPalette, palettize } from './palettize.js';
import { weightValuesOf } from './values.js';
import { lcg32, uniform } from '../../../graph/src/testing/rng.js';

/** Elements of group g (channels [g*G, (g+1)*G) of `axis`, or all for per-tensor). */
function groupElements(shape: readonly number[], p: PaletteParams, g: number): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (p.axis === undefined) out.push(i);
    else {
      let inner = 1;
      for (let k = p.axis + 1; k < shape.length; k++) inner *= shape[k]!;
      const c = Math.floor(i / inner) % shape[p.axis]!;
      if (Math.floor(c / p.groupSize) === g) out.push(i);
    }
  }
  return out;
}

/** The textbook O(k n^2) optimum of weighted 1-D k-means (sum of squared errors). */
function optimalSse(values: readonly number[], k: number): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const xs = [...counts.keys()].sort((a, b) => a - b);
  const ws = xs.map((x) => counts.get(x)!);
  const cost = (a: number, b: number): number => {
    let w = 0;
    let s = 0;
    for (let t = a; t < b; t++) {
      w += ws[t]!;
      s += ws[t]! * xs[t]!;
    }
    let c = 0;
    for (let t = a; t < b; t++) c += ws[t]! * (xs[t]! - s / w) ** 2;
    return c;
  };
  const n = xs.length;
  const kk = Math.min(k, n);
  let prev = Array.from({ length: n + 1 }, (_, j) => (j === 0 ? Infinity : cost(0, j)));
  for (let m = 2; m <= kk; m++) {
    const cur = new Array<number>(n + 1).fill(Infinity);
    for (let j = m; j <= n; j++) for (let i = m - 1; i < j; i++) cur[j] = Math.min(cur[j]!, prev[i]! + cost(i, j));
    prev = cur;
  }
  return prev[n]!;
}

/** Half the fp16 spacing at |x| (how far rounding a centroid to fp16 moves it, at most). */
function halfUlp16(x: number): number {
  const b = fp32ToFp16Bits(Math.abs(x));
  return (fp16BitsToFp32(b + 1) - fp16BitsToFp32(b)) / 2;
}

function makeWeight(shape: number[], dtype: 'fp16' | 'fp32', seed: number, levels: number): Tensor {
  const next = uniform(seed >>> 0 || 1, lcg32);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = next();
    // Few distinct values sometimes (levels small), so groups with fewer values than entries occur.
    const u = levels > 0 ? Math.floor(r * levels) / levels : r;
    const v = (u * 2 - 1) * 0.1;
    data[i] = dtype === 'fp16' ? roundToFp16(v) : Math.fround(v);
  }
  return { dtype, shape, data };
}

const arbCase = fc.record({
  rows: fc.integer({ min: 1, max: 4 }),
  group: fc.integer({ min: 1, max: 3 }),
  cols: fc.integer({ min: 1, max: 12 }),
  dtype: fc.constantFrom<'fp16' | 'fp32'>('fp16', 'fp32'),
  nbits: fc.constantFrom(...PALETTE_NBITS),
  grouped: fc.boolean(),
  axis1: fc.boolean(),
  levels: fc.constantFrom(0, 3, 40),
  seed: fc.integer({ min: 1, max: 1e9 }),
});

describe('palettize (kmeans)', () => {
  it('gives each element its nearest used table entry, tables at the fp16-rounded optimum', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const shape = c.axis1 ? [c.cols, c.rows * c.group] : [c.rows * c.group, c.cols];
        const w = makeWeight(shape, c.dtype, c.seed, c.levels);
        const p: PaletteParams = { nbits: c.nbits, mode: 'kmeans', axis: c.grouped ? (c.axis1 ? 1 : 0) : undefined, groupSize: c.group };
        const r = palettize(weightValuesOf(w), p);
        const pal = 2 ** c.nbits;
        expect(r.groups).toBe(c.grouped ? c.rows : 1);
        for (let g = 0; g < r.groups; g++) {
          const els = groupElements(shape, p, g);
          const vals = els.map((i) => w.data[i]!);
          const distinct = new Set(vals).size;
          const used = r.clusters[g]!;
          expect(used).toBe(Math.min(pal, distinct));
          const table = Array.from(r.lut.subarray(g * pal, g * pal + used));
          for (let t = used; t < pal; t++) expect(r.lut[g * pal + t]).toBe(0);
          for (const x of table) expect(c.dtype === 'fp16' ? roundToFp16(x) : Math.fround(x)).toBe(x);
          let sse = 0;
          let slack = 0;
          for (const i of els) {
            const x = w.data[i]!;
            const q = r.indices[i]!;
            expect(q).toBeLessThan(used);
            const best = Math.min(...table.map((e) => Math.abs(e - x)));
            if (Math.abs(table[q]! - x) !== best) expect.fail(`element ${i}: entry ${table[q]} is not the nearest to ${x}`);
            sse += (table[q]! - x) ** 2;
            slack += c.dtype === 'fp16' ? 2 * Math.abs(table[q]! - x) * halfUlp16(table[q]!) + halfUlp16(table[q]!) ** 2 : 1e-12;
          }
          const opt = optimalSse(vals, pal);
          // Rounding the optimal means can cost at most their displacement; it never helps below the optimum.
          if (sse > opt + slack + 1e-12) expect.fail(`group ${g}: SSE ${sse} > optimum ${opt} + ${slack}`);
          if (sse < opt - 1e-9 * (1 + opt)) expect.fail(`group ${g}: SSE ${sse} below the optimum ${opt}`);
        }
        // Recomputing indices from the tables alone gives the same indices.
        expect(Array.from(assignPalette(weightValuesOf(w), p, r.lut, r.clusters))).toEqual(Array.from(r.indices));
      }),
      { numRuns: 200 },
    );
  });

  it('folds -0 into +0 and is deterministic', () => {
    const w: Tensor = { dtype: 'fp16', shape: [2, 4], data: new Float32Array([-0, 0, 0.5, 0.5, -0, 1, 1, 0]) };
    const p: PaletteParams = { nbits: 2, mode: 'kmeans', axis: undefined, groupSize: 0 };
    const a = palettize(weightValuesOf(w), p);
    expect(a.clusters[0]).toBe(3);
    expect(Array.from(a.lut)).toEqual([0, 0.5, 1, 0]);
    expect(Array.from(a.indices)).toEqual([0, 0, 1, 1, 0, 2, 2, 0]);
    const b = palettize(weightValuesOf(w), p);
    expect(Array.from(b.indices)).toEqual(Array.from(a.indices));
  });
});

/**
 * Rounding in uniform palettization's arithmetic per dtype: unit roundoff `u`, the relative
 * error of the roundings that come first (float64, and fp32 for fp16 ops) for the range and
 * scale ops (`preOp`) and for a float64 table entry (`preEntry`), and `halfSub`, half the
 * subnormal spacing (the absolute error of rounding to a subnormal).
 */
const bounds = {
  fp16: { u: 2 ** -11, preOp: 2 ** -23, preEntry: 2 ** -52, halfSub: 2 ** -25 },
  fp32: { u: 2 ** -24, preOp: 2 ** -52, preEntry: 2 ** -52, halfSub: 2 ** -150 },
} as const;

/** How far rounding |y| to the dtype (after roundings of relative error `pre`) can move it. */
function roundErr(y: number, u: number, pre: number, halfSub: number): number {
  // Normal result: relative u; subnormal result: absolute halfSub.
  return Math.max((u + pre) * y, halfSub + pre * y);
}

describe('palettize (uniform)', () => {
  it('spaces entries evenly from the group minimum and indexes within half a step', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const shape = [c.rows * c.group, c.cols];
        const w = makeWeight(shape, c.dtype, c.seed, c.levels);
        const p: PaletteParams = { nbits: c.nbits, mode: 'uniform', axis: c.grouped ? 0 : undefined, groupSize: c.group };
        const r = palettize(weightValuesOf(w), p);
        const pal = 2 ** c.nbits;
        for (let g = 0; g < r.groups; g++) {
          const els = groupElements(shape, p, g);
          const vals = els.map((i) => w.data[i]!);
          const lo = Math.min(...vals);
          const hi = Math.max(...vals);
          const step = (hi - lo) / (pal - 1);
          expect(r.lut[g * pal]).toBe(lo);
          const range = hi - lo;
          const levels = pal - 1;
          const b = bounds[c.dtype];
          // Entry t is round(t * scale + lo) with scale = round(round(range) / levels). Entry t
          // carries t times the errors d1 (of the range, over levels) and d2 (of the scale).
          // A subnormal fp16 scale (range < levels * 2^-14) is off by up to 2^-25 absolute,
          // which t <= 255 multiplies: a relative bound alone misses that (pinned example below).
          const d1 = roundErr(range, b.u, b.preOp, b.halfSub);
          const d2 = roundErr((range + d1) / levels, b.u, b.preOp, b.halfSub);
          const tolOf = (t: number): number => {
            const dev = (t / levels) * d1 + t * d2;
            return dev + roundErr(Math.abs(lo + t * step) + dev, b.u, b.preEntry, b.halfSub);
          };
          for (let t = 0; t < pal; t++) expect(Math.abs(r.lut[g * pal + t]! - (lo + t * step))).toBeLessThanOrEqual(tolOf(t));
          // Index k = roundHalfEven(round(round(round(v - lo) / round(range)) * levels)): four
          // relative roundings of a quotient <= 1, plus subnormal absolute errors, move it at most
          // 4.01 * (u + preOp) * levels + (levels + 1) * halfSub index steps past the nearest one.
          const indexSlack = 4.01 * (b.u + b.preOp) * range + (levels + 1) * b.halfSub * step;
          for (const i of els) {
            const k = r.indices[i]!;
            const err = Math.abs(r.lut[g * pal + k]! - w.data[i]!);
            if (err > step / 2 + tolOf(k) + indexSlack) expect.fail(`element ${i}: error ${err} > half step ${step / 2} + ${tolOf(k) + indexSlack}`);
          }
        }
      }),
      // Pinned: group 3 has a subnormal scale; entry 253 is 1.008e-5 off the ideal spacing.
      { numRuns: 150, examples: [[{ rows: 4, group: 2, cols: 1, dtype: 'fp16', nbits: 8, grouped: true, axis1: false, levels: 0, seed: 727549349 }]] },
    );
  });
});
