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
import { FP16_NONFINITE, codesFp16, maxMagnitudeFp16, signedMaxFp16 } from './linear-fp16.js';
import { fp16Op, roundHalfEven } from './numpy-round.js';
import { type SimdKernels, simdKernels } from './simd.js';
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

/** {@link codesFp16} for fp32 weights (the quotient rounded to fp32: a much finer band). */
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

/** Elements copied into the SIMD kernels' memory at a time. */
const SIMD_CHUNK = 1 << 16;

/**
 * The per-run path with SIMD kernels, for weights whose blocks are `runs` consecutive runs of
 * `len` elements (run j is block j). A chunk of runs is copied into the kernels' memory at once; per
 * run, the largest magnitude of its whole groups of eight (`prepare(j, start, end, m8)` adds
 * the rest and sets `scale[j]`, `offset[j]`), then the codes of all its groups, the last one
 * running over into the next run's codes (rewritten next) or the padding; the chunk's codes
 * are copied out at once.
 */
function quantizeRunsSimd(
  k: SimdKernels,
  bits: Uint16Array,
  runs: number,
  len: number,
  prepare: (j: number, start: number, end: number, m8: number) => void,
  scale: Float32Array,
  offset: Int32Array | undefined,
  qmin: number,
  qmax: number,
  out: Uint8Array,
): void {
  const per = Math.max(1, Math.floor(SIMD_CHUNK / len));
  const full = len >> 3;
  const groups = (len + 7) >> 3;
  // Scratch (16 bytes), the chunk's bits, 16 bytes of slack read past them, its codes, slack.
  const src = 16;
  const dst = src + 2 * per * len + 16;
  k.reserve(dst + per * len + 16);
  for (let j0 = 0; j0 < runs; j0 += per) {
    const j1 = Math.min(runs, j0 + per);
    const e0 = j0 * len;
    const e1 = j1 * len;
    k.halves.set(bits.subarray(e0, e1), src / 2);
    for (let j = j0; j < j1; j++) {
      const start = j * len;
      const at = start - e0;
      prepare(j, start, start + len, full > 0 ? k.maxMagnitude(src + 2 * at, full) : 0);
      const s = scale[j]!;
      const zp = offset ? offset[j]! : 0;
      if (s === 0) k.bytes.fill(zp & 255, dst + at, dst + at + len);
      else k.codes(src + 2 * at, dst + at, groups, s, zp, qmin, qmax);
    }
    out.set(k.bytes.subarray(dst, dst + (e1 - e0)), e0);
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
    else if (bits) codesFp16(bits, table, start, end, s, zp, qmin, qmax, bytes);
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
  /** Sets vmin/vmax of block b from its bits (signed maxima); returns the largest magnitude. */
  const signedRange = (bitsOf: Uint16Array, start: number, end: number, b: number): number => {
    const both = signedMaxFp16(bitsOf, start, end);
    const pos = both & 0xffff;
    const neg = both >>> 16;
    vmax[b] = table[pos]!;
    vmin[b] = neg === 0 ? 0 : -table[neg]!;
    return pos > neg ? pos : neg;
  };
  /** Block b's range from its largest magnitude `mag` (symmetric) or its bits; then its parameters. */
  const prepare = (bitsOf: Uint16Array, start: number, end: number, b: number, mag: number): void => {
    if (p.symmetric) {
      vmax[b] = table[mag]!;
      vmin[b] = -vmax[b]!;
    } else mag = signedRange(bitsOf, start, end, b);
    if (mag >= FP16_NONFINITE && check !== undefined) checkFinite(w, check);
    params(b);
  };
  const simd = rowBlocks && bits ? simdKernels() : undefined;
  if (simd && bits) {
    // Run j is block j here (whole rows, or row-major blocks within rows).
    const len = w.shape[w.shape.length - 1]! / p.grid[p.grid.length - 1]!;
    quantizeRunsSimd(simd, bits, n / len, len, (j, start, end, m8) => {
      const tail = p.symmetric ? maxMagnitudeFp16(bits, start + 8 * (len >> 3), end) : 0;
      prepare(bits, start, end, j, m8 > tail ? m8 : tail);
    }, scale, offset, qmin, qmax, bytes);
  } else if (rowBlocks && bits) {
    // The range from the bit patterns (no decoding), then the codes, per run while in cache.
    forEachBlockRun(w.shape, p.grid, (start, len, b) => {
      const end = start + len;
      prepare(bits, start, end, b, p.symmetric ? maxMagnitudeFp16(bits, start, end) : 0);
      const s = scale[b]!;
      const zp = offset ? offset[b]! : 0;
      if (s === 0) bytes.fill(zp & 255, start, end);
      else codesFp16(bits, table, start, end, s, zp, qmin, qmax, bytes);
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
