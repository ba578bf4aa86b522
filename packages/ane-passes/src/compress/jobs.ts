/**
 * Lazy compressed weights. A job computes the compression of one source weight on demand and
 * serves it as several WeightStore entries (look-up table and indices; or data, scale and
 * offset). The small parts (tables, scales, offsets) are kept once computed; the large part
 * is computed when asked and handed out once without being kept, so streaming a model holds
 * one weight's compressed data at a time. Large parts stream their packed bytes directly.
 * Attached to a {@link CompressScheduler}, jobs compute on worker threads, a few ahead.
 * @module
 */
import { type DType, type Tensor, type WeightSource, roundToFp16 } from '@fastvlm/graph';
import { type QuantParams, type QuantResult, quantizeLinear } from './linear.js';
import { chunked, packBits } from './pack.js';
import { type PaletteParams, type PaletteResult, assignPalette, palettize } from './palettize.js';
import { type CompressPool, type CompressScheduler, type QuantOutput, type ScheduledJob, submitPalette, submitQuant } from './workers.js';
import { type WeightValues, readWeightValues } from './values.js';

/** Computes a palettization from weight values (the main thread, or a worker pool). */
export type PaletteSolver = (w: WeightValues, p: PaletteParams) => PaletteResult;

/** The palettization of one source weight. */
export class PaletteJob implements ScheduledJob {
  private tablesKnown: { lut: Float32Array; clusters: Int32Array } | undefined;
  private pending: Uint8Array | undefined;
  /** Set when a {@link CompressScheduler} runs this job on worker threads. */
  scheduler: CompressScheduler | undefined;
  /** Workers compute the tables only (see precomputePalettes). */
  tablesOnly = false;

  constructor(
    readonly source: WeightSource,
    readonly sourceName: string,
    readonly params: PaletteParams,
    private readonly solve: PaletteSolver = palettize,
  ) {}

  /** True once the tables are known (they are kept; indices are not). */
  get hasTables(): boolean {
    return this.tablesKnown !== undefined;
  }

  /** True when a result is waiting to be read (the scheduler does not start the job again). */
  get settled(): boolean {
    return this.pending !== undefined;
  }

  /** Reads the weight into shared memory and posts its tasks (see {@link CompressScheduler}). */
  submit(pool: CompressPool, id: number): () => PaletteResult {
    const w = readWeightValues(this.source, this.sourceName, { shared: true, check: false });
    return submitPalette(pool, id, this.sourceName, w, this.params, this.tablesOnly ? 'tables' : 'both');
  }

  private full(): PaletteResult {
    const res = this.scheduler ? this.scheduler.resultSync<PaletteResult>(this) : this.solve(readWeightValues(this.source, this.sourceName), this.params);
    this.tablesKnown = { lut: res.lut, clusters: res.clusters };
    return res;
  }

  /** The tables (group-major, 2^nbits entries each). */
  tables(): Float32Array {
    if (!this.tablesKnown) {
      const indices = this.full().indices;
      if (!this.tablesOnly) this.pending = indices;
    }
    return this.tablesKnown!.lut;
  }

  /** The indices (one byte each): handed over when a table read left them pending, else computed. */
  indices(): Uint8Array {
    const p = this.pending;
    if (p) {
      this.pending = undefined;
      return p;
    }
    const known = this.tablesKnown;
    if (known && !this.scheduler) return assignPalette(readWeightValues(this.source, this.sourceName), this.params, known.lut, known.clusters);
    return this.full().indices;
  }
}

/** The linear quantization of one source weight. */
export class QuantJob implements ScheduledJob {
  private params: { scale: Float32Array; offset: Int32Array | undefined } | undefined;
  private pending: Int8Array | Uint8Array | undefined;
  /** Set when a {@link CompressScheduler} runs this job on worker threads. */
  scheduler: CompressScheduler | undefined;

  constructor(
    readonly source: WeightSource,
    readonly sourceName: string,
    readonly quant: QuantParams,
  ) {}

  /** True when a result is waiting to be read. */
  get settled(): boolean {
    return this.pending !== undefined;
  }

  /** Reads the weight into a pooled shared buffer and posts its task (see {@link CompressScheduler}). */
  submit(pool: CompressPool, id: number): () => QuantOutput {
    const w = readWeightValues(this.source, this.sourceName, { shared: true, check: false, buffer: (bytes) => pool.buffers.acquire(bytes) });
    return submitQuant(pool, id, this.sourceName, w, this.quant);
  }

  private compute(): { data: Int8Array | Uint8Array; scale: Float32Array; offset: Int32Array | undefined } {
    const r: Pick<QuantResult, 'data' | 'scale' | 'offset'> = this.scheduler ? this.scheduler.resultSync(this) : quantizeLinear(readWeightValues(this.source, this.sourceName), this.quant);
    this.params = { scale: r.scale, offset: r.offset };
    return r;
  }

  /** Scales and offsets (kept once computed). */
  blockParams(): { scale: Float32Array; offset: Int32Array | undefined } {
    if (!this.params) this.pending = this.compute().data;
    return this.params!;
  }

  /**
   * Hands back the buffer of values returned by {@link QuantJob.data} once they are consumed (a no-op
   * unless they came from the workers' buffer pool); they must not be used afterwards.
   */
  recycle(data: Int8Array | Uint8Array): void {
    this.scheduler?.pool.buffers.release(data.buffer);
  }

  /** The quantized values, computed now unless a parameter read left them pending. */
  data(): Int8Array | Uint8Array {
    const p = this.pending;
    if (p) {
      this.pending = undefined;
      return p;
    }
    return this.compute().data;
  }
}

function bitsOf(dtype: DType): number {
  switch (dtype) {
    case 'uint1':
      return 1;
    case 'uint2':
      return 2;
    case 'uint3':
      return 3;
    case 'int4':
    case 'uint4':
      return 4;
    case 'uint6':
      return 6;
    default:
      return 8;
  }
}

/** Yields `chunks`, then calls `done` (also when the consumer stops early). */
function* thenRelease(chunks: Iterable<Uint8Array>, done: () => void): Iterable<Uint8Array> {
  try {
    yield* chunks;
  } finally {
    done();
  }
}

/**
 * A source serving integer codes of `dtype` (read as Int32Array, streamed packed). Each read
 * or stream asks `codes` once; `release`, when given, gets those codes back once they are
 * copied or streamed (so their buffer can serve another weight).
 */
export function codesSource(dtype: DType, shape: readonly number[], codes: () => Uint8Array | Int8Array, describe: string, release?: (codes: Uint8Array | Int8Array) => void): WeightSource {
  return {
    dtype,
    shape: [...shape],
    read: (): Tensor => {
      const c = codes();
      const data = Int32Array.from(c);
      release?.(c);
      return { dtype, shape: [...shape], data };
    },
    stream: (chunkBytes: number) => {
      const c = codes();
      const packed = chunked(packBits(c, bitsOf(dtype)), chunkBytes);
      return release ? thenRelease(packed, () => release(c)) : packed;
    },
    describe: () => describe,
  };
}

/** A source serving small float parameters (rounded to `dtype`). */
export function floatSource(dtype: 'fp16' | 'fp32', shape: readonly number[], values: () => Float32Array, describe: string): WeightSource {
  return {
    dtype,
    shape: [...shape],
    read: (): Tensor => {
      const v = values();
      const data = new Float32Array(v.length);
      for (let i = 0; i < v.length; i++) data[i] = dtype === 'fp16' ? roundToFp16(v[i]!) : v[i]!;
      return { dtype, shape: [...shape], data };
    },
    describe: () => describe,
  };
}

/** A source serving small integer parameters of `dtype`. */
export function intSource(dtype: DType, shape: readonly number[], values: () => Int32Array, describe: string): WeightSource {
  return {
    dtype,
    shape: [...shape],
    read: (): Tensor => ({ dtype, shape: [...shape], data: Int32Array.from(values()) }),
    describe: () => describe,
  };
}
