/**
 * Deterministic synthetic weights: stand-ins for a checkpoint with values of a sensible scale,
 * identical on every run and platform for the same (seed, name, dtype, shape, options).
 *
 * Each tensor gets a 32-bit key hashed (FNV-1a, then a murmur3 finalizer) from the global seed
 * and its name. Element i is a pure function of (key, i) through a counter-based generator, so
 * any chunk can be produced on its own and `stream` never holds the whole tensor. Normal values
 * use an Irwin-Hall sum of 4 uniforms rescaled to variance 1 (exact integer sums and only
 * + - * /, never `Math.log` or `Math.cos`, whose last bits JavaScript does not specify), then
 * the std and mean; fp16 values are rounded to fp16, integers rounded and clamped to the
 * dtype's range. (Bounded at about 3.5 std, which suits stand-in weights.)
 * @module
 */
import { type DType, DTYPES, dtypeInfo, isDType } from '../dtype.js';
import { type FastVlmError, graphError } from '../errors.js';
import { encodeFp16Range, roundFp16Range } from '../fp16.js';
import { type StaticShape, checkShape, formatShape, numel, shapeEq } from '../shape.js';
import { type Tensor, type TensorData, allocData } from '../tensor.js';
import { encodeTensor } from './encode.js';
import { type WeightSource, WeightStore } from './store.js';

/** How values are drawn. */
export type SyntheticKind = 'normal' | 'uniform' | 'ones' | 'zeros' | 'constant';

const KINDS: readonly SyntheticKind[] = ['normal', 'uniform', 'ones', 'zeros', 'constant'];

/** Options of {@link syntheticSource}. Each value option applies only to its kind. */
export interface SyntheticOptions {
  /** The global seed, a non-negative safe integer (default 0). */
  readonly seed?: number;
  /** Default: `'normal'` for floats, `'uniform'` for integers and bool. */
  readonly kind?: SyntheticKind;
  /** `normal`: mean (default 0). */
  readonly mean?: number;
  /** `normal`: standard deviation (default `1/sqrt(syntheticFanIn(shape))`). */
  readonly std?: number;
  /**
   * `uniform`: bounds. Floats draw from [low, high), default `±1/sqrt(syntheticFanIn(shape))`; integers
   * draw whole numbers from [low, high] inclusive, default the dtype's range for types of at most
   * 8 bits and [-128, 127] for int16 and int32.
   */
  readonly low?: number;
  readonly high?: number;
  /** `constant`: the value. */
  readonly value?: number;
}

/** The product of all dimensions but the first (at least 1), as common initializers use. */
export function syntheticFanIn(shape: StaticShape): number {
  let f = 1;
  for (let i = 1; i < shape.length; i++) f *= shape[i]!;
  return Math.max(1, f);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The 32-bit key of a tensor: FNV-1a over the seed's 8 little-endian bytes and the UTF-8 bytes
 * of `name`, then a murmur3 finalizer to spread the bits.
 */
export function syntheticKey(seed: number, name: string): number {
  let h = 0x811c9dc5;
  const byte = (b: number): void => {
    h = Math.imul(h ^ b, 0x01000193) >>> 0;
  };
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 2 ** 32) >>> 0;
  for (let i = 0; i < 4; i++) byte((lo >>> (8 * i)) & 0xff);
  for (let i = 0; i < 4; i++) byte((hi >>> (8 * i)) & 0xff);
  for (const b of new TextEncoder().encode(name)) byte(b);
  return fmix32(h);
}

/**
 * The counter-based generator: 32 random bits for draw `counter` (a safe integer) of `key`, a
 * murmur3 finalizer over a Weyl sequence (as splitmix does). Counters past 2^32 rekey per block.
 */
export function syntheticBits(key: number, counter: number): number {
  const hi = Math.floor(counter / 2 ** 32);
  return fmix32((blockKey(key, hi) + Math.imul(counter >>> 0, 0x9e3779b9)) >>> 0);
}

function blockKey(key: number, hi: number): number {
  return hi === 0 ? key : fmix32((key ^ Math.imul(hi >>> 0, 0x27d4eb2f)) >>> 0);
}

/** A resolved generation plan: kind and parameters with defaults applied. */
interface Plan {
  readonly kind: SyntheticKind;
  readonly a: number; // mean | low | constant
  readonly b: number; // std | high
  readonly text: string;
}

function optError(name: string, message: string): FastVlmError {
  return graphError('E_ATTR', `synthetic weight '${name}': ${message}`, { where: name });
}

const APPLIES: Readonly<Record<'mean' | 'std' | 'low' | 'high' | 'value', SyntheticKind>> = {
  mean: 'normal',
  std: 'normal',
  low: 'uniform',
  high: 'uniform',
  value: 'constant',
};

function plan(name: string, dtype: DType, shape: StaticShape, opts: SyntheticOptions): Plan {
  const info = dtypeInfo(dtype);
  const float = info.kind === 'float';
  const kind = opts.kind ?? (float ? 'normal' : 'uniform');
  if (!KINDS.includes(kind)) throw optError(name, `unknown kind '${String(kind)}'; expected one of ${KINDS.join(', ')}`);
  for (const k of Object.keys(APPLIES) as (keyof typeof APPLIES)[]) {
    const v = opts[k];
    if (v === undefined) continue;
    if (APPLIES[k] !== kind) throw optError(name, `option '${k}' applies to kind '${APPLIES[k]}', not '${kind}'`);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw optError(name, `option '${k}' must be a finite number, got ${String(v)}`);
  }
  const inRange = (v: number): boolean => float || (Number.isInteger(v) && v >= info.min && v <= info.max);
  const scale = 1 / Math.sqrt(syntheticFanIn(shape));
  switch (kind) {
    case 'normal': {
      const mean = opts.mean ?? 0;
      const std = opts.std ?? scale;
      if (std < 0) throw optError(name, `std must be >= 0, got ${std}`);
      return { kind, a: mean, b: std, text: `normal(mean=${mean}, std=${std})` };
    }
    case 'uniform': {
      const wide = info.kind !== 'float' && info.bits > 8;
      const low = opts.low ?? (float ? -scale : wide ? -128 : info.min);
      const high = opts.high ?? (float ? scale : wide ? 127 : info.max);
      if (!(low <= high)) throw optError(name, `uniform bounds must satisfy low <= high, got [${low}, ${high}]`);
      if (!inRange(low) || !inRange(high)) throw optError(name, `uniform bounds [${low}, ${high}] must be integers within the ${dtype} range [${info.min}, ${info.max}]`);
      return { kind, a: low, b: high, text: `uniform(${low}, ${high})` };
    }
    case 'ones':
      return { kind, a: 1, b: 0, text: 'ones' };
    case 'zeros':
      return { kind, a: 0, b: 0, text: 'zeros' };
    case 'constant': {
      const value = opts.value;
      if (value === undefined) throw optError(name, `kind 'constant' needs option 'value'`);
      if (!inRange(value)) throw optError(name, `constant ${value} is not representable as ${dtype} (integers in [${info.min}, ${info.max}])`);
      return { kind, a: value, b: 0, text: `constant(${value})` };
    }
  }
}

/** The Weyl increment of {@link syntheticBits}, as an int32. */
const WEYL = 0x9e3779b9 | 0;

/** sqrt(3) as a literal: the Irwin-Hall sum of 4 uniforms has variance 1/3. */
const SQRT3 = 1.7320508075688772;

/**
 * Fills `out[0..count)` with elements `start..start+count` of the tensor. fp16 values are
 * rounded to fp16 unless `round16` is false (the streamer encodes them to fp16 bits anyway).
 */
function fill(out: TensorData, start: number, count: number, key: number, p: Plan, dtype: DType, round16 = true): void {
  // Float storage is always a Float32Array (allocData).
  if (dtypeInfo(dtype).kind === 'float' && out instanceof Float32Array) {
    fillFloat(out, 0, start, count, key, p);
    if (dtype === 'fp16' && round16) roundFp16Range(out, 0, count);
    return;
  }
  fillInt(out, start, count, key, p, dtype);
}

/**
 * The float kinds into a Float32Array at `out[at..at+count)`: one loop per kind, the block key
 * computed once per 2^32-draw block instead of per draw (the hot path of synthetic weights).
 * Normal values are an Irwin-Hall sum of four 16-bit uniforms (halves of the draws 2i and 2i+1),
 * each centred at k+0.5, so the sum has mean 2 and variance 1/3; integer sums keep it exact
 * until the final scaling.
 */
function fillFloat(out: Float32Array, at: number, start: number, count: number, key: number, p: Plan): void {
  const a = p.a;
  const b = p.b;
  if (p.kind !== 'normal' && p.kind !== 'uniform') {
    out.fill(a, at, at + count);
    return;
  }
  // Draws per element: 2 for normal (counters 2i, 2i+1, always in one block), 1 for uniform.
  const per = p.kind === 'normal' ? 2 : 1;
  const perBlock = 4294967296 / per;
  for (let j = 0; j < count; ) {
    const i0 = start + j;
    const hi = Math.floor(i0 / perBlock);
    const k = blockKey(key, hi);
    const m = Math.min(count - j, (hi + 1) * perBlock - i0);
    const o = at + j;
    // The generator in int32 arithmetic (the same bits as fmix32 and syntheticBits): `w` is
    // the Weyl term imul(counter mod 2^32, G), advanced by addition instead of re-multiplied.
    const kk = k | 0;
    if (per === 2) {
      let w = Math.imul((2 * i0) | 0, WEYL);
      for (let t = 0; t < m; t++) {
        let h = (kk + w) | 0;
        h ^= h >>> 16;
        h = Math.imul(h, 0x85ebca6b);
        h ^= h >>> 13;
        h = Math.imul(h, 0xc2b2ae35);
        h ^= h >>> 16;
        let g = (kk + w + WEYL) | 0;
        g ^= g >>> 16;
        g = Math.imul(g, 0x85ebca6b);
        g ^= g >>> 13;
        g = Math.imul(g, 0xc2b2ae35);
        g ^= g >>> 16;
        w = (w + 2 * WEYL) | 0;
        const sum = (h >>> 16) + (h & 0xffff) + (g >>> 16) + (g & 0xffff);
        out[o + t] = a + b * (((sum + 2) / 65536 - 2) * SQRT3);
      }
    } else {
      let w = Math.imul(i0 | 0, WEYL);
      for (let t = 0; t < m; t++) {
        let h = (kk + w) | 0;
        h ^= h >>> 16;
        h = Math.imul(h, 0x85ebca6b);
        h ^= h >>> 13;
        h = Math.imul(h, 0xc2b2ae35);
        h ^= h >>> 16;
        w = (w + WEYL) | 0;
        out[o + t] = a + (b - a) * (((h >>> 0) + 0.5) / 4294967296);
      }
    }
    j += m;
  }
}

/** Integer and bool dtypes, element by element: drawn, rounded and clamped to the range. */
function fillInt(out: TensorData, start: number, count: number, key: number, p: Plan, dtype: DType): void {
  const info = dtypeInfo(dtype);
  let hiBlock = -1;
  let k = key;
  // The block key changes only every 2^32 draws, so it is recomputed rarely.
  const draw = (counter: number): number => {
    const hi = Math.floor(counter / 4294967296);
    if (hi !== hiBlock) {
      hiBlock = hi;
      k = blockKey(key, hi);
    }
    return fmix32((k + Math.imul(counter >>> 0, 0x9e3779b9)) >>> 0);
  };
  for (let j = 0; j < count; j++) {
    const i = start + j;
    let v: number;
    switch (p.kind) {
      case 'normal': {
        const r0 = draw(2 * i);
        const r1 = draw(2 * i + 1);
        const s = (r0 >>> 16) + (r0 & 0xffff) + (r1 >>> 16) + (r1 & 0xffff);
        v = p.a + p.b * (((s + 2) / 65536 - 2) * SQRT3);
        break;
      }
      case 'uniform': {
        const span = p.b - p.a + 1;
        v = p.a + Math.min(span - 1, Math.floor((draw(i) / 4294967296) * span));
        break;
      }
      default:
        v = p.a;
    }
    out[j] = Math.min(info.max, Math.max(info.min, Math.round(v)));
  }
}

/** Elements per generate-then-encode step of an fp16 stream: small enough to stay in cache. */
const FP16_STEP = 4096;
/** Scratch fp32 values of one such step (streams run synchronously, one step at a time). */
const fp16Scratch = new Float32Array(FP16_STEP);

/**
 * The storage bytes of elements [start, start + count): floats are generated straight into the
 * output (fp32) or through a small reused scratch into fp16 bits, so a chunk costs one
 * allocation, its own bytes; other dtypes go through a tensor and {@link encodeTensor}.
 */
function encodeRange(start: number, count: number, key: number, p: Plan, dtype: DType): Uint8Array {
  if (dtype === 'fp32') {
    const out = new Float32Array(count);
    fillFloat(out, 0, start, count, key, p);
    return new Uint8Array(out.buffer);
  }
  if (dtype === 'fp16') {
    const out = new Uint16Array(count);
    for (let j = 0; j < count; j += FP16_STEP) {
      const m = Math.min(FP16_STEP, count - j);
      fillFloat(fp16Scratch, 0, start + j, m, key, p);
      encodeFp16Range(fp16Scratch, 0, m, out, j);
    }
    return new Uint8Array(out.buffer);
  }
  const data = allocData(dtype, count);
  fill(data, start, count, key, p, dtype, false);
  return encodeTensor({ dtype, shape: [count], data });
}

/**
 * A deterministic synthetic weight. Values depend only on (seed, name, dtype, shape, options);
 * `stream` generates chunk by chunk (of a multiple of 8 elements, so sub-byte types split on
 * byte boundaries) without holding the tensor. Bad options are `E_ATTR`, bad shapes
 * `E_SHAPE_INVALID`, unknown dtypes `E_DTYPE_UNKNOWN`.
 */
export function syntheticSource(name: string, dtype: DType, shape: StaticShape, opts: SyntheticOptions = {}): WeightSource {
  if (typeof dtype !== 'string' || !isDType(dtype)) {
    throw graphError('E_DTYPE_UNKNOWN', `synthetic weight '${name}': unknown dtype '${String(dtype)}'; expected one of ${DTYPES.join(', ')}`, { where: name });
  }
  checkShape(shape, name);
  const count = numel(shape, name);
  const seed = opts.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) throw optError(name, `seed must be a non-negative safe integer, got ${String(seed)}`);
  const p = plan(name, dtype, shape, opts);
  const key = syntheticKey(seed, name);
  const fixedShape = [...shape];
  const bits = dtypeInfo(dtype).bits;
  // Elements [from, from + n) in chunks; fp16 is left unrounded, as encoding rounds it anyway.
  const streamRange = (from: number, n: number, chunkBytes: number): Iterable<Uint8Array> => {
    if (typeof chunkBytes !== 'number' || !Number.isFinite(chunkBytes) || chunkBytes <= 0) {
      throw graphError('E_ATTR', `chunkBytes must be a positive number, got ${String(chunkBytes)}`, { where: name });
    }
    const step = Math.max(8, Math.floor((chunkBytes * 8) / bits / 8) * 8);
    return (function* (): Generator<Uint8Array> {
      for (let start = from; start < from + n; start += step) {
        yield encodeRange(start, Math.min(step, from + n - start), key, p, dtype);
      }
    })();
  };
  return {
    dtype,
    shape: fixedShape,
    read: (): Tensor => {
      const data = allocData(dtype, count);
      fill(data, 0, count, key, p, dtype);
      return { dtype, shape: [...fixedShape], data };
    },
    readRange: (start: number, k: number): Tensor => {
      const data = allocData(dtype, k);
      fill(data, start, k, key, p, dtype);
      return { dtype, shape: [k], data };
    },
    stream: (chunkBytes: number): Iterable<Uint8Array> => streamRange(0, count, chunkBytes),
    streamRange: (from: number, n: number, chunkBytes: number): Iterable<Uint8Array> => {
      if (!Number.isSafeInteger(from) || !Number.isSafeInteger(n) || from < 0 || n < 0 || from + n > count || (from * bits) % 8 !== 0) {
        throw graphError('E_ATTR', `element range [${from}, ${from + n}) is outside synthetic weight '${name}' of ${count} elements or not byte-aligned`, { where: name });
      }
      return streamRange(from, n, chunkBytes);
    },
    describe: () => `synthetic ${p.text} seed=${seed} ${dtype}${formatShape(fixedShape)}`,
  };
}

/** One weight for {@link SyntheticWeights.addAll}. */
export interface SyntheticSpec extends SyntheticOptions {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: StaticShape;
}

/**
 * Registers many synthetic weights in a store with shared defaults (typically the global seed):
 * `new SyntheticWeights({ seed: 7 }).add('fc.weight', 'fp16', [64, 32])`.
 */
export class SyntheticWeights {
  /** The store weights are added to. */
  readonly store: WeightStore;
  private readonly defaults: SyntheticOptions;

  constructor(defaults: SyntheticOptions = {}, store: WeightStore = new WeightStore()) {
    this.defaults = defaults;
    this.store = store;
  }

  /** Adds a weight (`E_NAME` when the name is taken). Per-weight options override the defaults. */
  add(name: string, dtype: DType, shape: StaticShape, opts: SyntheticOptions = {}): WeightSource {
    const src = syntheticSource(name, dtype, shape, this.merge(opts));
    this.store.add(name, src);
    return src;
  }

  /**
   * The weight `name`: the existing one when its dtype and shape match (`E_WEIGHT_MISMATCH`
   * otherwise), else a new synthetic one.
   */
  ensure(name: string, dtype: DType, shape: StaticShape, opts: SyntheticOptions = {}): WeightSource {
    if (!this.store.has(name)) return this.add(name, dtype, shape, opts);
    const s = this.store.source(name);
    if (s.dtype !== dtype || !shapeEq(s.shape, shape)) {
      throw graphError('E_WEIGHT_MISMATCH', `weight '${name}' is ${s.dtype}${formatShape(s.shape)} in the store, but ${dtype}${formatShape(shape)} was asked for`, { where: name });
    }
    return s;
  }

  /** Adds every spec in order. */
  addAll(specs: Iterable<SyntheticSpec>): void {
    for (const { name, dtype, shape, ...opts } of specs) this.add(name, dtype, shape, opts);
  }

  private merge(opts: SyntheticOptions): SyntheticOptions {
    // A per-weight kind replaces the default kind's value options rather than mixing with them.
    if (opts.kind !== undefined && opts.kind !== this.defaults.kind) {
      return this.defaults.seed !== undefined ? { seed: this.defaults.seed, ...opts } : { ...opts };
    }
    return { ...this.defaults, ...opts };
  }
}
