/**
 * Linear (affine) quantization of one weight, reproducing coremltools'
 * `compute_qparams_by_dtype` bit for bit: per block (per tensor, per output channel, or per
 * block of input channels) the minimum and maximum, a scale and an optional zero point
 * computed with numpy's arithmetic in the weight's dtype, then `round(w / scale) + zero_point`
 * clipped to the integer range (numpy's half-to-even rounding of the fp16/fp32 quotient).
 *
 * - `symmetric` (coremltools `linear_symmetric`): range [-max|w|, max|w|]; signed types have no
 *   zero point and a range shrunk by one ([-127, 127] for int8); unsigned ones take the middle
 *   code (127 for uint8, 7 for uint4) and [0, 254] / [0, 14].
 * - asymmetric (`linear`): range [min(0, min w), max(0, max w)], zero point
 *   `round((qmin * max - qmax * min) / (max - min))` clipped to the integer range.
 *
 * An all-zero block has scale 0 and quantizes to its zero point (numpy divides 0 by 0 there).
 * @module
 */
import { fp16Op, roundHalfEven } from './numpy-round.js';
import { type WeightValues, checkFinite, count, fp16Values } from './values.js';

/** Quantized integer types. */
export const QUANT_DTYPES = ['int8', 'uint8', 'int4', 'uint4'] as const;
/** A quantized integer type. */
export type QuantDType = (typeof QUANT_DTYPES)[number];

/** What to compute for one weight. */
export interface QuantParams {
  readonly dtype: QuantDType;
  readonly symmetric: boolean;
  /**
   * Blocks per axis (the scale's shape): 1 = the whole axis, the axis size = one block per
   * index. Each axis must be a multiple of its block count (checked by the caller).
   */
  readonly grid: readonly number[];
}

/** Quantized values and their per-block parameters. */
export interface QuantResult {
  /** One integer per element (two's complement for signed types). */
  readonly data: Int8Array | Uint8Array;
  /** One scale per block (row-major over `grid`), in the weight's dtype. */
  readonly scale: Float32Array;
  /** One zero point per block; undefined for symmetric signed quantization. */
  readonly offset: Int32Array | undefined;
  readonly grid: readonly number[];
}

/** The integer range of a type and mode, as coremltools' `get_quant_range` gives it. */
export function quantRange(dtype: QuantDType, symmetric: boolean): { min: number; max: number } {
  const bits = dtype.endsWith('4') ? 4 : 8;
  if (dtype.startsWith('u')) return { min: 0, max: 2 ** bits - 1 - (symmetric ? 1 : 0) };
  return { min: -(2 ** (bits - 1)) + (symmetric ? 1 : 0), max: 2 ** (bits - 1) - 1 };
}

/**
 * Calls `run(start, length, block)` for every run of consecutive elements sharing a block
 * (row-major over the weight; blocks row-major over `grid`).
 */
export function forEachBlockRun(shape: readonly number[], grid: readonly number[], run: (start: number, length: number, block: number) => void): void {
  const rank = shape.length;
  const last = shape[rank - 1]!;
  const lastLen = last / grid[rank - 1]!;
  let rows = 1;
  for (let i = 0; i < rank - 1; i++) rows *= shape[i]!;
  const gridStride = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) gridStride[i] = gridStride[i + 1]! * grid[i + 1]!;
  const idx = new Array<number>(rank).fill(0);
  for (let r = 0; r < rows; r++) {
    let base = 0;
    for (let i = 0; i < rank - 1; i++) base += Math.floor(idx[i]! / (shape[i]! / grid[i]!)) * gridStride[i]!;
    const start = r * last;
    for (let b = 0, at = start; at < start + last; b++, at += lastLen) run(at, lastLen, base + b);
    for (let i = rank - 2; i >= 0; i--) {
      if (++idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
}

/**
 * Widens [vmin[b], vmax[b]] by elements start..end-1 of an fp16 weight, keeping their values
 * in `row` (the fused per-row path then quantizes from there, not from the table again).
 */
function rangeFp16Row(bits: Uint16Array, table: Float32Array, start: number, end: number, b: number, vmin: Float64Array, vmax: Float64Array, row: Float64Array): boolean {
  let lo = vmin[b]!;
  let hi = vmax[b]!;
  // Non-finite patterns have an all-ones exponent: (e + 0x400) reaches bit 15 only for them.
  let bad = 0;
  for (let e = start, k = 0; e < end; e++, k++) {
    const h = bits[e]!;
    bad |= ((h & 0x7c00) + 0x400) & 0x8000;
    const x = table[h]!;
    row[k] = x;
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
  }
  vmin[b] = lo;
  vmax[b] = hi;
  return bad !== 0;
}

/**
 * The code of the fp16 value `x` in a block of scale `s` (`inv` = 1 / s) and zero point `zp`:
 * `round(x / s)` as numpy computes it (the quotient rounded to fp16, then half to even), plus
 * the zero point, clipped, as a byte (two's complement). Rounding the quotient can only matter
 * within half an fp16 spacing (at most |t| * 2^-11) of a half integer; elsewhere the plain
 * nearest integer is the answer, so the exact path runs for a few percent of the elements only.
 * (The reciprocal's product is within a few double ulps of the quotient, far inside the band.)
 */
function codeFp16(x: number, s: number, inv: number, zp: number, qmin: number, qmax: number): number {
  const t = x * inv;
  // Nearest integer (halves up); d is how far t + 0.5 is above that integer.
  let q = Math.floor(t + 0.5);
  const d = t + 0.5 - q;
  const band = Math.abs(t) * 4.8828125e-4 + 1e-9;
  if (d <= band || d >= 1 - band) q = roundHalfEven(fp16Op(x / s));
  q += zp;
  q = q < qmin ? qmin : q;
  q = q > qmax ? qmax : q;
  return q & 255;
}

/** {@link quantizeRunFp16} over values already decoded into `row` (the fused per-row path). */
function quantizeRow(row: Float64Array, start: number, end: number, s: number, zp: number, qmin: number, qmax: number, out: Uint8Array): void {
  const inv = 1 / s;
  for (let e = start, k = 0; e < end; e++, k++) out[e] = codeFp16(row[k]!, s, inv, zp, qmin, qmax);
}

/** Widens [vmin[b], vmax[b]] by elements start..end-1 of an fp16 weight (bit patterns). */
function rangeFp16(bits: Uint16Array, table: Float32Array, start: number, end: number, b: number, vmin: Float64Array, vmax: Float64Array): void {
  let lo = vmin[b]!;
  let hi = vmax[b]!;
  for (let e = start; e < end; e++) {
    const x = table[bits[e]!]!;
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
  }
  vmin[b] = lo;
  vmax[b] = hi;
}

/** {@link rangeFp16} for fp32 weights. */
function rangeFp32(vals: Float32Array, start: number, end: number, b: number, vmin: Float64Array, vmax: Float64Array): void {
  let lo = vmin[b]!;
  let hi = vmax[b]!;
  for (let e = start; e < end; e++) {
    const x = vals[e]!;
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
  }
  vmin[b] = lo;
  vmax[b] = hi;
}

/** Quantizes elements start..end-1 of one block of an fp16 weight (bit patterns) with {@link codeFp16}. */
function quantizeRunFp16(bits: Uint16Array, table: Float32Array, start: number, end: number, s: number, zp: number, qmin: number, qmax: number, out: Uint8Array): void {
  const inv = 1 / s;
  for (let e = start; e < end; e++) out[e] = codeFp16(table[bits[e]!]!, s, inv, zp, qmin, qmax);
}

/** {@link quantizeRunFp16} for fp32 weights (the quotient rounded to fp32: a much finer band). */
function quantizeRunFp32(vals: Float32Array, start: number, end: number, s: number, zp: number, qmin: number, qmax: number, out: Uint8Array): void {
  const inv = 1 / s;
  for (let e = start; e < end; e++) {
    const x = vals[e]!;
    const t = x * inv;
    let q = Math.floor(t + 0.5);
    const d = t + 0.5 - q;
    const band = Math.abs(t) * 1.1920928955078125e-7 + 1e-12;
    if (d <= band || d >= 1 - band) q = roundHalfEven(Math.fround(x / s));
    q += zp;
    q = q < qmin ? qmin : q;
    q = q > qmax ? qmax : q;
    out[e] = q & 255;
  }
}

/** Where {@link quantizeLinear} writes (shared memory of a worker task); fresh arrays when absent. */
export interface QuantOutputs {
  /** One byte per element. */
  readonly bytes: Uint8Array;
  readonly scale: Float32Array;
  /** Used unless the quantization is symmetric and signed. */
  readonly offset: Int32Array;
}

/**
 * Quantizes `w`. Errors of the dequantized values: at most half a scale step plus the
 * rounding of the quotient (and of the zero point) in the weight's dtype. With `check` (the
 * tensor's name), NaN and infinite values raise E_COMPRESS_NONFINITE (found while reading the
 * values when possible, instead of a separate pass).
 */
export function quantizeLinear(w: WeightValues, p: QuantParams, out?: QuantOutputs, check?: string): QuantResult {
  const n = count(w.shape);
  const blocks = count(p.grid);
  const half = w.dtype === 'fp16';
  const table = fp16Values();
  const bits = half ? w.bits : undefined;
  const vals = half ? undefined : w.values;
  const op = half ? fp16Op : Math.fround;
  const { min: qmin, max: qmax } = quantRange(p.dtype, p.symmetric);
  const scale = out?.scale ?? new Float32Array(blocks);
  const signedSym = p.symmetric && !p.dtype.startsWith('u');
  const offset = signedSym ? undefined : (out?.offset ?? new Int32Array(blocks));
  const vmin = new Float64Array(blocks).fill(Infinity);
  const vmax = new Float64Array(blocks).fill(-Infinity);
  const bytes = out?.bytes ?? new Uint8Array(n);
  /** Scale and zero point of block b from its range, with numpy's arithmetic in the weight's dtype. */
  const params = (b: number): void => {
    let lo: number;
    let hi: number;
    if (p.symmetric) {
      const m = Math.max(Math.abs(vmin[b]!), Math.abs(vmax[b]!));
      lo = -m;
      hi = m;
    } else {
      lo = Math.min(0, vmin[b]!);
      hi = Math.max(0, vmax[b]!);
    }
    const range = op(hi - lo);
    scale[b] = op(range / (qmax - qmin));
    if (offset) {
      if (p.symmetric) offset[b] = Math.floor(qmax / 2);
      else if (range === 0) offset[b] = Math.min(qmax, Math.max(qmin, 0));
      else {
        const zp = roundHalfEven(op(op(op(qmin * hi) - op(qmax * lo)) / range));
        offset[b] = Math.min(qmax, Math.max(qmin, zp));
      }
    }
  };
  /** q = clip(round(w / scale) + zero_point) over one run of block b, as bytes (two's complement). */
  const quantize = (start: number, end: number, b: number): void => {
    const s = scale[b]!;
    const zp = offset ? offset[b]! : 0;
    if (s === 0) bytes.fill(zp & 255, start, end);
    else if (bits) quantizeRunFp16(bits, table, start, end, s, zp, qmin, qmax, bytes);
    else quantizeRunFp32(vals!, start, end, s, zp, qmin, qmax, bytes);
  };
  const range = (start: number, end: number, b: number): void => {
    if (bits) rangeFp16(bits, table, start, end, b, vmin, vmax);
    else rangeFp32(vals!, start, end, b, vmin, vmax);
  };
  // When every block lies within one row (per output channel, per block), each run is a whole
  // block: range, parameters and quantization in one visit while the run is in cache.
  const rowBlocks = p.grid.every((g, i) => i === p.grid.length - 1 || g === w.shape[i]);
  if (check !== undefined && !(rowBlocks && bits)) checkFinite(w, check);
  if (rowBlocks && bits) {
    const row = new Float64Array(w.shape[w.shape.length - 1]!);
    forEachBlockRun(w.shape, p.grid, (start, len, b) => {
      if (rangeFp16Row(bits, table, start, start + len, b, vmin, vmax, row) && check !== undefined) checkFinite(w, check);
      params(b);
      const s = scale[b]!;
      const zp = offset ? offset[b]! : 0;
      if (s === 0) bytes.fill(zp & 255, start, start + len);
      else quantizeRow(row, start, start + len, s, zp, qmin, qmax, bytes);
    });
  } else if (rowBlocks) {
    forEachBlockRun(w.shape, p.grid, (start, len, b) => {
      range(start, start + len, b);
      params(b);
      quantize(start, start + len, b);
    });
  } else {
    forEachBlockRun(w.shape, p.grid, (start, len, b) => range(start, start + len, b));
    for (let b = 0; b < blocks; b++) params(b);
    forEachBlockRun(w.shape, p.grid, (start, len, b) => quantize(start, start + len, b));
  }
  const data = p.dtype.startsWith('u') ? bytes : new Int8Array(bytes.buffer, bytes.byteOffset, n);
  return { data, scale, offset, grid: p.grid };
}
