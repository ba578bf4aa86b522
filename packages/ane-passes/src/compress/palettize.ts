/**
 * Palettization of one weight: every group of output channels (or the whole tensor) gets a
 * look-up table of 2^nbits entries and every element the index of its entry.
 *
 * - `kmeans`: the table holds the means of the exact 1-D k-means clustering of the group's
 *   values ({@link kmeans1d} over the distinct values weighted by their counts; fp16 weights
 *   are counted by bit pattern, so no sort of the elements is needed), rounded to the weight's
 *   dtype; each element then takes the nearest table entry (so rounding the means can only
 *   lower the error). Unused entries (fewer distinct values than entries) are 0.
 * - `uniform`: 2^nbits evenly spaced entries from the group's minimum to its maximum, computed
 *   with numpy's arithmetic exactly as coremltools does (fp16 operations for fp16 weights).
 * @module
 */
import { roundToFp16 } from '@fastvlm/graph';
import { KMeansWorkspace, kmeans1d } from './kmeans1d.js';
import { doubleToFp16, roundHalfEven } from './numpy-round.js';
import { type WeightValues, count, fp16Values, splitAxis } from './values.js';

/** Palettization modes. */
export type PaletteMode = 'kmeans' | 'uniform';

/** Bit widths of palettization. */
export const PALETTE_NBITS = [1, 2, 3, 4, 6, 8] as const;
/** A palettization bit width. */
export type PaletteNbits = (typeof PALETTE_NBITS)[number];

/** What to compute for one weight. */
export interface PaletteParams {
  readonly nbits: PaletteNbits;
  readonly mode: PaletteMode;
  /** Channel axis of the groups; undefined for one table per tensor. */
  readonly axis: number | undefined;
  /** Channels per group along `axis` (must divide the axis; checked by the caller). */
  readonly groupSize: number;
}

/** Tables and indices of a palettized weight. */
export interface PaletteResult {
  /** Number of groups (tables). */
  readonly groups: number;
  /** `groups * 2^nbits` entries, group-major, each rounded to the weight's dtype. */
  readonly lut: Float32Array;
  /** One index per element, row-major like the weight. */
  readonly indices: Uint8Array;
  /** Entries in use per group (the rest are 0): min(2^nbits, distinct values). */
  readonly clusters: Int32Array;
}

/** Per-thread scratch of the palettizer. */
export class PaletteWorkspace {
  readonly counts = new Uint32Array(65536);
  readonly map = new Uint8Array(65536);
  readonly touched = new Uint16Array(65536);
  xs = new Float64Array(65536);
  ws = new Float64Array(65536);
  scratch = new Float32Array(0);
  readonly kmeans = new KMeansWorkspace();

  /** Grows the float scratch to `n` elements (fp32 weights). */
  ensure(n: number): void {
    if (this.xs.length < n) {
      this.xs = new Float64Array(n);
      this.ws = new Float64Array(n);
    }
    if (this.scratch.length < n) this.scratch = new Float32Array(n);
  }
}

/** Number of groups of a weight under `p`. */
export function groupCount(shape: readonly number[], p: Pick<PaletteParams, 'axis' | 'groupSize'>): number {
  return p.axis === undefined ? 1 : shape[p.axis]! / p.groupSize;
}

/** Counts the bit patterns of bits[start..end) (-0 folded into +0); returns the new touched count. */
function histogramRun(bits: Uint16Array, start: number, end: number, counts: Uint32Array, touched: Uint16Array, nT: number): number {
  for (let e = start; e < end; e++) {
    let b = bits[e]!;
    if (b === 0x8000) b = 0;
    if (counts[b]!++ === 0) touched[nT++] = b;
  }
  return nT;
}

/** idx[e] = map[bits[e]] over start..end (-0 folded into +0). */
function mapRun(bits: Uint16Array, start: number, end: number, map: Uint8Array, idx: Uint8Array): void {
  for (let e = start; e < end; e++) {
    const b = bits[e]!;
    idx[e] = map[b === 0x8000 ? 0 : b]!;
  }
}

/**
 * The contiguous runs of group `g`: `count` runs of `length` elements, the first at `first`,
 * each `stride` after the previous one. (Hot loops iterate them directly: closures over the
 * loop's arrays are measurably slower in V8.)
 */
function groupRuns(shape: readonly number[], p: Pick<PaletteParams, 'axis' | 'groupSize'>, g: number): { first: number; length: number; stride: number; count: number } {
  if (p.axis === undefined) return { first: 0, length: count(shape), stride: 0, count: 1 };
  const { outer, dim, inner } = splitAxis(shape, p.axis);
  return { first: g * p.groupSize * inner, length: p.groupSize * inner, stride: dim * inner, count: outer };
}

/** Calls `span(start, length)` for the contiguous runs of group `g`. */
function forGroupSpans(shape: readonly number[], p: Pick<PaletteParams, 'axis' | 'groupSize'>, g: number, span: (start: number, length: number) => void): void {
  if (p.axis === undefined) {
    span(0, count(shape));
    return;
  }
  const { outer, dim, inner } = splitAxis(shape, p.axis);
  const len = p.groupSize * inner;
  for (let o = 0; o < outer; o++) span((o * dim + g * p.groupSize) * inner, len);
}

/** Order key of an fp16 bit pattern: increasing with the value (patterns are finite, -0 folded). */
function orderKey(b: number): number {
  return b & 0x8000 ? 0x7fff - (b & 0x7fff) : b | 0x8000;
}
function keyBits(k: number): number {
  return k & 0x8000 ? k & 0x7fff : 0x8000 | (0x7fff - k);
}

/**
 * Index of the entry of `lut[base .. base+n)` (non-decreasing) nearest to x: the last entry
 * <= x unless the next one is strictly closer.
 */
function nearest(lut: Float32Array, base: number, n: number, x: number): number {
  let lo = 0;
  let hi = n - 1;
  // Largest p with lut[p] <= x (0 when none).
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lut[base + mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  const p = lo;
  if (p + 1 < n && Math.abs(lut[base + p + 1]! - x) < Math.abs(x - lut[base + p]!)) return p + 1;
  return p;
}

/** k-means palettization of one group of an fp16 weight (bit patterns). */
function kmeansFp16(w: Extract<WeightValues, { dtype: 'fp16' }>, p: PaletteParams, g: number, res: PaletteResult, ws: PaletteWorkspace, what: PaletteWork): void {
  const bits = w.bits;
  const counts = ws.counts;
  const touched = ws.touched;
  let nT = 0;
  const runs = groupRuns(w.shape, p, g);
  for (let r = 0, at = runs.first; r < runs.count; r++, at += runs.stride) nT = histogramRun(bits, at, at + runs.length, counts, touched, nT);
  // Distinct values in increasing order: scan the key range when it is dense, else sort.
  const keys = touched.subarray(0, nT);
  let kmin = 0xffff;
  let kmax = 0;
  for (let t = 0; t < nT; t++) {
    const k = orderKey(keys[t]!);
    keys[t] = k;
    if (k < kmin) kmin = k;
    if (k > kmax) kmax = k;
  }
  if (kmax - kmin < 4 * nT) {
    let at = 0;
    for (let k = kmin; k <= kmax; k++) if (counts[keyBits(k)] !== 0) keys[at++] = k;
  } else keys.sort();
  const table = fp16Values();
  const xs = ws.xs;
  const wts = ws.ws;
  for (let t = 0; t < nT; t++) {
    const b = keyBits(keys[t]!);
    keys[t] = b;
    xs[t] = table[b]!;
    wts[t] = counts[b]!;
  }
  const palettes = 1 << p.nbits;
  const base = g * palettes;
  if (what !== 'indices') {
    const r = kmeans1d(xs, wts, palettes, nT, ws.kmeans);
    for (let c = 0; c < r.clusters; c++) res.lut[base + c] = roundToFp16(r.centroids[c]!);
    res.clusters[g] = r.clusters;
  }
  if (what === 'tables') {
    for (let t = 0; t < nT; t++) counts[keys[t]!] = 0;
    return;
  }
  const used = res.clusters[g]!;
  const map = ws.map;
  for (let t = 0; t < nT; t++) {
    const b = keys[t]!;
    map[b] = nearest(res.lut, base, used, xs[t]!);
    counts[b] = 0;
  }
  for (let r = 0, at = runs.first; r < runs.count; r++, at += runs.stride) mapRun(bits, at, at + runs.length, map, res.indices);
}

/** k-means palettization of one group of an fp32 weight. */
function kmeansFp32(w: Extract<WeightValues, { dtype: 'fp32' }>, p: PaletteParams, g: number, res: PaletteResult, ws: PaletteWorkspace, what: PaletteWork): void {
  const v = w.values;
  const palettes = 1 << p.nbits;
  const base = g * palettes;
  const idx = res.indices;
  if (what === 'indices') {
    const used = res.clusters[g]!;
    forGroupSpans(w.shape, p, g, (start, len) => {
      for (let e = start, end = start + len; e < end; e++) idx[e] = nearest(res.lut, base, used, v[e]!);
    });
    return;
  }
  let n = 0;
  forGroupSpans(w.shape, p, g, (_s, len) => {
    n += len;
  });
  ws.ensure(n);
  const sorted = ws.scratch.subarray(0, n);
  let at = 0;
  forGroupSpans(w.shape, p, g, (start, len) => {
    sorted.set(v.subarray(start, start + len), at);
    at += len;
  });
  sorted.sort();
  const xs = ws.xs;
  const wts = ws.ws;
  let nU = 0;
  for (let t = 0; t < n; t++) {
    const x = sorted[t]!;
    if (nU > 0 && xs[nU - 1] === x) wts[nU - 1]!++;
    else {
      xs[nU] = x === 0 ? 0 : x;
      wts[nU++] = 1;
    }
  }
  const r = kmeans1d(xs, wts, palettes, nU, ws.kmeans);
  for (let c = 0; c < r.clusters; c++) res.lut[base + c] = Math.fround(r.centroids[c]!);
  res.clusters[g] = r.clusters;
  if (what === 'tables') return;
  forGroupSpans(w.shape, p, g, (start, len) => {
    for (let e = start, end = start + len; e < end; e++) idx[e] = nearest(res.lut, base, r.clusters, v[e]!);
  });
}

/** Uniform palettization of one group, with numpy's arithmetic in the weight's dtype. */
function uniformGroup(w: WeightValues, p: PaletteParams, g: number, res: PaletteResult, what: PaletteWork): void {
  const half = w.dtype === 'fp16';
  const table = fp16Values();
  const valueOf = half ? (e: number): number => table[w.bits[e]!]! : (e: number): number => w.values[e]!;
  // In the weight's dtype: each op rounds (fp16 ops go through fp32 first, as numpy's do).
  const op = half ? roundToFp16 : Math.fround;
  let vmin = Infinity;
  let vmax = -Infinity;
  forGroupSpans(w.shape, p, g, (start, len) => {
    for (let e = start, end = start + len; e < end; e++) {
      const x = valueOf(e);
      if (x < vmin) vmin = x;
      if (x > vmax) vmax = x;
    }
  });
  const levels = (1 << p.nbits) - 1;
  const range = op(vmax - vmin);
  const scale = op(range / levels);
  const base = g * (levels + 1);
  res.clusters[g] = levels + 1;
  for (let i = 0; i <= levels; i++) {
    // `np.arange * scale + min` is float64 arithmetic, then one cast to the weight's dtype.
    const x = i * scale + vmin;
    res.lut[base + i] = half ? doubleToFp16(x) : Math.fround(x);
  }
  if (what === 'tables') return;
  const idx = res.indices;
  forGroupSpans(w.shape, p, g, (start, len) => {
    for (let e = start, end = start + len; e < end; e++) {
      // A constant group divides 0 by 0 in coremltools; every entry equals the value, so 0.
      idx[e] = range === 0 ? 0 : roundHalfEven(op(op(op(valueOf(e) - vmin) / range) * levels));
    }
  });
}

/**
 * What {@link palettizeGroups} computes: `both` tables and indices; `tables` only the tables
 * and cluster counts (worker precomputation; `indices` may be empty); `indices` only the
 * indices, for tables and counts already in the result (nearest entry; uniform mode
 * recomputes its cheap closed form).
 */
export type PaletteWork = 'both' | 'tables' | 'indices';

/**
 * Groups per k-means warm-start chain: each group starts its penalty search from the previous
 * group's, except at multiples of this, where the chain restarts. Work is split across threads
 * at these boundaries only, so the tables never depend on the number of threads.
 */
export const HINT_CHAIN = 64;

/** Palettizes groups `g0 .. g1-1` of `w` into `res` (shared by the main thread and workers). */
export function palettizeGroups(w: WeightValues, p: PaletteParams, g0: number, g1: number, res: PaletteResult, ws: PaletteWorkspace, what: PaletteWork = 'both'): void {
  for (let g = g0; g < g1; g++) {
    if (g % HINT_CHAIN === 0 || g === g0) ws.kmeans.hint = 0;
    if (p.mode === 'uniform') uniformGroup(w, p, g, res, what);
    else if (w.dtype === 'fp16') kmeansFp16(w, p, g, res, ws, what);
    else kmeansFp32(w, p, g, res, ws, what);
  }
}


/** Palettizes a whole weight on this thread. */
export function palettize(w: WeightValues, p: PaletteParams, ws: PaletteWorkspace = new PaletteWorkspace()): PaletteResult {
  const groups = groupCount(w.shape, p);
  const res: PaletteResult = { groups, lut: new Float32Array(groups << p.nbits), indices: new Uint8Array(count(w.shape)), clusters: new Int32Array(groups) };
  palettizeGroups(w, p, 0, groups, res, ws);
  return res;
}

/** Indices of `w` for tables computed earlier (`lut`, `clusters` of a {@link PaletteResult}). */
export function assignPalette(w: WeightValues, p: PaletteParams, lut: Float32Array, clusters: Int32Array, ws: PaletteWorkspace = new PaletteWorkspace()): Uint8Array {
  const groups = groupCount(w.shape, p);
  const res: PaletteResult = { groups, lut: Float32Array.from(lut), indices: new Uint8Array(count(w.shape)), clusters: Int32Array.from(clusters) };
  palettizeGroups(w, p, 0, groups, res, ws, 'indices');
  return res.indices;
}
