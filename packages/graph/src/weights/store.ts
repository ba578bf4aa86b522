/**
 * The WeightStore: named constant tensors, described by dtype and shape, materialized only when
 * an op or the emitter asks. Sources are pluggable: in-memory tensors, seeded synthetic values,
 * safetensors file ranges, and values computed from other weights (folded or quantized).
 * @module
 */
import type { DType } from '../dtype.js';
import { graphError } from '../errors.js';
import { type StaticShape, formatShape, shapeEq } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { encodeTensor } from './encode.js';

/** One lazily-read weight. */
export interface WeightSource {
  readonly dtype: DType;
  readonly shape: StaticShape;
  /** Materializes the values (fp16 as rounded fp32 numbers, integers as Int32Array). */
  read(): Tensor;
  /**
   * The values encoded in the dtype's storage form (little-endian; fp16 as IEEE bits; sub-byte
   * types packed LSB first), yielded in chunks of about `chunkBytes` so large weights stream.
   * Defaults to encoding {@link read}'s result.
   */
  stream?(chunkBytes: number): Iterable<Uint8Array>;
  /**
   * Reads the flat (row-major) element range [start, start + count) as a rank-1 tensor without
   * materializing the rest, so slicing a large weight (a split LM head) stays cheap. Optional:
   * {@link WeightStore.readRange} falls back to slicing {@link read}.
   */
  readRange?(start: number, count: number): Tensor;
  /**
   * {@link stream} restricted to the flat element range [start, start + count): the storage
   * bytes of those elements, in chunks of about `chunkBytes`, so a slice of a large weight
   * streams without reading (or, for generated weights, rounding) element by element. Optional;
   * for sub-byte types `start` must fall on a byte boundary.
   */
  streamRange?(start: number, count: number, chunkBytes: number): Iterable<Uint8Array>;
  /** Human-readable origin, for diagnostics (e.g. `model.safetensors@1024+4096`). */
  describe(): string;
}

/** Metadata of a stored weight. */
export interface WeightInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: StaticShape;
  readonly source: string;
}

/** A named collection of lazily-read weights. */
export class WeightStore {
  private readonly entries = new Map<string, WeightSource>();

  /** Adds a weight; a name can be added once (use {@link replace} to swap). */
  add(name: string, src: WeightSource): void {
    if (this.entries.has(name)) throw graphError('E_NAME', `weight '${name}' is already in the store`, { where: name });
    this.entries.set(name, src);
  }

  /** Replaces or adds a weight. */
  replace(name: string, src: WeightSource): void {
    this.entries.set(name, src);
  }

  delete(name: string): boolean {
    return this.entries.delete(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Names in insertion order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  get size(): number {
    return this.entries.size;
  }

  /** The source of a weight; throws `E_WEIGHT_MISSING` when absent. */
  source(name: string): WeightSource {
    const s = this.entries.get(name);
    if (!s) throw graphError('E_WEIGHT_MISSING', `the weight store has no tensor named '${name}'`, { where: name });
    return s;
  }

  info(name: string): WeightInfo {
    const s = this.source(name);
    return { name, dtype: s.dtype, shape: s.shape, source: s.describe() };
  }

  /** Materializes a weight, checking that the source kept its declared dtype and shape. */
  read(name: string): Tensor {
    const s = this.source(name);
    const t = s.read();
    if (t.dtype !== s.dtype || !shapeEq(t.shape, s.shape)) {
      throw graphError('E_WEIGHT_MISMATCH', `weight '${name}' declared ${s.dtype}${formatShape(s.shape)} but read ${t.dtype}${formatShape(t.shape)}`, { where: name });
    }
    return t;
  }

  /** Reads the flat element range [start, start + count) of a weight as a rank-1 tensor. */
  readRange(name: string, start: number, count: number): Tensor {
    const s = this.source(name);
    const total = s.shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || start < 0 || count < 0 || start + count > total) {
      throw graphError('E_ATTR', `element range [${start}, ${start + count}) is outside weight '${name}' of ${total} elements`, { where: name });
    }
    if (s.readRange) {
      const t = s.readRange(start, count);
      if (t.dtype !== s.dtype || t.data.length !== count) {
        throw graphError('E_WEIGHT_MISMATCH', `weight '${name}' range read gave ${t.dtype}[${t.data.length}], expected ${s.dtype}[${count}]`, { where: name });
      }
      return t;
    }
    const t = this.read(name);
    return { dtype: t.dtype, shape: [count], data: t.data.slice(start, start + count) };
  }

  /** Streams a weight's encoded bytes in chunks (see {@link WeightSource.stream}). */
  *stream(name: string, chunkBytes = 1 << 22): Iterable<Uint8Array> {
    const s = this.source(name);
    if (s.stream) yield* s.stream(chunkBytes);
    else yield encodeTensor(s.read());
  }

  /** Copies the entries of another store into this one (names must not clash). */
  merge(other: WeightStore): void {
    for (const n of other.names()) this.add(n, other.source(n));
  }
}

/** A weight held in memory. */
export function memorySource(t: Tensor, describe = 'memory'): WeightSource {
  return {
    dtype: t.dtype,
    shape: t.shape,
    read: () => t,
    readRange: (start, count) => ({ dtype: t.dtype, shape: [count], data: t.data.slice(start, start + count) }),
    describe: () => describe,
  };
}

/**
 * A weight computed on demand from a function, e.g. a folded or quantized tensor. Not cached by
 * default, so streaming a large model never holds every computed weight at once.
 */
export function computedSource(dtype: DType, shape: StaticShape, compute: () => Tensor, opts: { describe?: string; cache?: boolean } = {}): WeightSource {
  let cache: Tensor | undefined;
  return {
    dtype,
    shape,
    read: () => (opts.cache ? (cache ??= compute()) : compute()),
    describe: () => opts.describe ?? 'computed',
  };
}
