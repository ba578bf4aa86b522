/**
 * Worker threads for compression. The emitter streams weights synchronously, so the workers
 * are driven synchronously too: a {@link CompressScheduler} knows the jobs in the order they
 * will be read; when a job's data is asked for, it reads the next few weights into shared
 * memory, posts their tasks to the {@link CompressPool}'s workers, and blocks (`Atomics.wait`)
 * until the asked job is done. Meanwhile the workers compress the following weights, so the
 * main thread mostly reads and writes. A grouped palettization is split into group ranges so
 * one large weight (the LM head) uses every worker; a quantization into row ranges that the
 * workers claim one at a time, the waiting main thread too. Inputs, tables, indices, data,
 * scales and zero points live in SharedArrayBuffers (those of quantization reused from weight
 * to weight); completion is a shared counter; errors come back through a message port read
 * synchronously (`receiveMessageOnPort`).
 *
 * The worker is this module itself, started with a marker in `workerData`; from TypeScript
 * sources (tests, tsx) a small CommonJS bootstrap loads tsx's require hook first (ESM loader
 * hooks do not reach worker threads on Node 20).
 * @module
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, Worker, isMainThread, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { SharedBufferPool } from './buffers.js';
import { compressError } from './errors.js';
import type { QuantParams } from './linear.js';
import { quantizeLinear } from './linear.js';
import type { PaletteJob } from './jobs.js';
import { HINT_CHAIN, type PaletteParams, type PaletteResult, PaletteWorkspace, groupCount, palettizeGroups } from './palettize.js';
import { type WeightValues, checkFinite, count } from './values.js';

const WORKER_TAG = 'fastvlm-compress-worker';

/** Elements per quantization task (a few milliseconds of work). */
const QUANT_TASK_ELEMENTS = 1 << 21;

/** Completion of a job's tasks: [tasks done, failed flag] (quantization: a third counter, row ranges claimed). */
export type Status = Int32Array;

/** A range of groups of one palettization job, for a worker. */
export interface PaletteTask {
  readonly kind: 'palette';
  readonly job: number;
  readonly name: string;
  readonly dtype: 'fp16' | 'fp32';
  readonly shape: readonly number[];
  readonly input: SharedArrayBuffer;
  readonly params: PaletteParams;
  readonly g0: number;
  readonly g1: number;
  /** `tables` skips the indices (their buffer is then empty). */
  readonly what: 'both' | 'tables';
  /** Only the first task of a job checks the values for NaN and infinity. */
  readonly check: boolean;
  readonly lut: SharedArrayBuffer;
  readonly clusters: SharedArrayBuffer;
  readonly indices: SharedArrayBuffer;
  readonly status: SharedArrayBuffer;
}

/** One quantization job for a worker (row ranges are claimed through the status counters). */
export interface QuantTask {
  readonly kind: 'quant';
  readonly job: number;
  readonly name: string;
  readonly dtype: 'fp16' | 'fp32';
  readonly shape: readonly number[];
  readonly input: SharedArrayBuffer;
  readonly params: QuantParams;
  /**
   * Row ranges (first axis; their blocks are whole rows when there are several: the grid
   * splits axis 0 fully) of the job. Whoever runs a task, the main thread included, claims
   * ranges one at a time through the status's third counter until none is left.
   */
  readonly parts: number;
  readonly bytes: SharedArrayBuffer;
  readonly scale: SharedArrayBuffer;
  readonly offset: SharedArrayBuffer;
  readonly status: SharedArrayBuffer;
}

/** A message to a compression worker: a range of a palettization or quantization job. */
export type Task = PaletteTask | QuantTask;

function valuesOf(t: Task): WeightValues {
  const n = count(t.shape);
  return t.dtype === 'fp16' ? { dtype: 'fp16', shape: t.shape, bits: new Uint16Array(t.input, 0, n) } : { dtype: 'fp32', shape: t.shape, values: new Float32Array(t.input, 0, n) };
}

/** Runs one task (in a worker). */
function runTask(t: Task, ws: PaletteWorkspace): void {
  const w = valuesOf(t);
  if (t.kind === 'palette') {
    if (t.check) checkFinite(w, t.name);
    const res: PaletteResult = {
      groups: groupCount(t.shape, t.params),
      lut: new Float32Array(t.lut),
      indices: new Uint8Array(t.indices),
      clusters: new Int32Array(t.clusters),
    };
    palettizeGroups(w, t.params, t.g0, t.g1, res, ws, t.what);
  } else {
    throw compressError('E_COMPRESS_WORKER', `quantization tasks run through claimQuantParts, not runTask (weight '${t.name}')`);
  }
}

/** Quantizes row range `k` of `t.parts` (the rows as a weight of their own: their blocks do not cross other rows). */
function quantPart(t: QuantTask, k: number): void {
  const w = valuesOf(t);
  const r0 = Math.floor((k * t.shape[0]!) / t.parts);
  const r1 = Math.floor(((k + 1) * t.shape[0]!) / t.parts);
  const rows = r1 - r0;
  const inner = count(t.shape.slice(1));
  const perRow = count(t.params.grid.slice(1));
  const shape = [rows, ...t.shape.slice(1)];
  const sub: WeightValues = w.dtype === 'fp16' ? { dtype: 'fp16', shape, bits: w.bits.subarray(r0 * inner, r1 * inner) } : { dtype: 'fp32', shape, values: w.values.subarray(r0 * inner, r1 * inner) };
  const grid = r0 === 0 && r1 === t.shape[0] ? t.params.grid : [rows, ...t.params.grid.slice(1)];
  const blocks = grid === t.params.grid ? count(grid) : rows * perRow;
  const out = {
    bytes: new Uint8Array(t.bytes, r0 * inner, rows * inner),
    scale: new Float32Array(t.scale, 4 * r0 * perRow, blocks),
    offset: new Int32Array(t.offset, 4 * r0 * perRow, blocks),
  };
  try {
    quantizeLinear(sub, { ...t.params, grid }, out, t.name);
  } catch (e) {
    // Report the element's index in the whole weight, not in this task's rows.
    if ((e as { code?: string }).code === 'E_COMPRESS_NONFINITE') checkFinite(w, t.name);
    throw e;
  }
}

/**
 * Claims and runs row ranges of `t` until none is left; counts each finished range (failed or
 * not) on the status and hands each failure to `fail`.
 */
function claimQuantParts(t: QuantTask, fail: (e: unknown) => void): void {
  const status: Status = new Int32Array(t.status);
  for (let k = Atomics.add(status, 2, 1); k < t.parts; k = Atomics.add(status, 2, 1)) {
    try {
      quantPart(t, k);
    } catch (e) {
      fail(e);
    }
    Atomics.add(status, 0, 1);
    Atomics.notify(status, 0);
  }
}

// Worker side: run tasks; report errors on the port, completion on the job's status.
if (!isMainThread && (workerData as { tag?: string } | null)?.tag === WORKER_TAG) {
  const { port, done } = workerData as { port: MessagePort; done: SharedArrayBuffer };
  const finished = new Int32Array(done);
  port.on('message', (t: Task) => {
    const status: Status = new Int32Array(t.status);
    if (t.kind === 'quant') {
      claimQuantParts(t, (e) => {
        const err = e as { message?: string; code?: string };
        port.postMessage({ job: t.job, message: err.message ?? String(e), code: err.code ?? '' });
        Atomics.store(status, 1, 1);
      });
      Atomics.add(finished, 0, 1);
      return;
    }
    try {
      // A fresh workspace per task: results must not depend on which tasks this worker ran before.
      runTask(t, new PaletteWorkspace());
    } catch (e) {
      const err = e as { message?: string; code?: string };
      port.postMessage({ job: t.job, message: err.message ?? String(e), code: err.code ?? '' });
      Atomics.store(status, 1, 1);
    }
    Atomics.add(finished, 0, 1);
    Atomics.add(status, 0, 1);
    Atomics.notify(status, 0);
  });
}

/** One worker and what the main thread knows of its load. */
interface PoolWorker {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** Tasks the worker finished (written by the worker). */
  readonly finished: Int32Array;
  posted: number;
}

/**
 * Starts a worker running this module. From built JavaScript the module is the worker's entry;
 * from TypeScript sources a CommonJS bootstrap registers tsx's require hook and requires the
 * module (workspace packages resolved to their sources).
 */
function startWorker(data: Record<string, unknown>, transfer: MessagePort[]): Worker {
  // In the CommonJS build `import.meta` is empty and the bundle is `__filename`.
  const url = typeof __filename === 'string' && !import.meta.url ? pathToFileURL(__filename).href : import.meta.url;
  const workerData = { tag: WORKER_TAG, ...data };
  if (!url.endsWith('.ts')) return new Worker(new URL(url), { workerData, transferList: transfer });
  const req = createRequire(url);
  const boot = `require(${JSON.stringify(req.resolve('tsx/cjs'))}); require(${JSON.stringify(fileURLToPath(url))});`;
  return new Worker(boot, { eval: true, workerData, transferList: transfer, execArgv: ['--conditions=source'] });
}

/** A pool of compression worker threads. */
export class CompressPool {
  /** Shared buffers of weights and codes, reused from one weight to the next. */
  readonly buffers = new SharedBufferPool();
  private readonly workers: PoolWorker[] = [];
  private readonly errors: MessagePort[] = [];
  private closed = false;

  /** Elements per quantization task when a large weight is split into row ranges. */
  readonly quantTaskElements: number;

  /**
   * Starts `size` workers (default: the available parallelism). `quantTaskElements` sets how
   * finely large quantized weights are split (default about two million elements per task).
   */
  constructor(readonly size: number = availableParallelism(), opts: { readonly quantTaskElements?: number } = {}) {
    const per = opts.quantTaskElements ?? QUANT_TASK_ELEMENTS;
    if (!Number.isSafeInteger(per) || per < 1) throw compressError('E_COMPRESS_CONFIG', `quantTaskElements must be a positive integer, got ${per}`);
    this.quantTaskElements = per;
    if (!Number.isSafeInteger(size) || size < 1) throw compressError('E_COMPRESS_CONFIG', `a compression pool needs at least one worker, got ${size}`);
    for (let i = 0; i < size; i++) {
      const { port1, port2 } = new MessageChannel();
      const done = new SharedArrayBuffer(4);
      const worker = startWorker({ port: port2, done }, [port2]);
      worker.unref();
      port1.unref();
      this.workers.push({ worker, port: port1, finished: new Int32Array(done), posted: 0 });
      this.errors.push(port1);
    }
  }

  /** Posts a task to the least loaded worker. */
  post(t: Task): void {
    if (this.closed) throw compressError('E_COMPRESS_WORKER', 'the compression pool is closed');
    let best = this.workers[0]!;
    let load = Infinity;
    for (const w of this.workers) {
      const l = w.posted - Atomics.load(w.finished, 0);
      if (l < load) {
        load = l;
        best = w;
      }
    }
    best.posted++;
    best.port.postMessage(t);
  }

  /** Blocks until `tasks` tasks of a job are done; throws the first error a worker reported. */
  waitSync(status: Status, tasks: number, job: number, name: string): void {
    for (;;) {
      const done = Atomics.load(status, 0);
      if (done >= tasks) break;
      Atomics.wait(status, 0, done, 1000);
    }
    if (Atomics.load(status, 1) === 0) return;
    for (const port of this.errors) {
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        const e = m.message as { job: number; message: string; code: string };
        if (e.job !== job) continue;
        const code = e.code === 'E_COMPRESS_NONFINITE' ? 'E_COMPRESS_NONFINITE' : 'E_COMPRESS_WORKER';
        throw compressError(code, e.message, { where: name });
      }
    }
    throw compressError('E_COMPRESS_WORKER', `a compression worker failed on weight '${name}'`, { where: name });
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.errors) p.close();
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

/** A job the scheduler can run: reads its weight, then describes its tasks. */
export interface ScheduledJob {
  /** Posts the job's tasks (its weight read into shared memory); returns a waiter for the result. */
  submit(pool: CompressPool, id: number): () => unknown;
}

/**
 * Runs jobs on a pool in the order they will be read, `lookahead` jobs ahead of the one
 * asked for. Attach jobs with {@link attach}; their reads then go through {@link resultSync}.
 */
export class CompressScheduler {
  private readonly order: ScheduledJob[] = [];
  private readonly position = new Map<ScheduledJob, number>();
  private readonly inflight = new Map<ScheduledJob, () => unknown>();
  private nextId = 1;

  constructor(
    readonly pool: CompressPool,
    /** Jobs submitted ahead of the one asked for (bounds memory: their inputs and results). */
    readonly lookahead: number = pool.size,
  ) {}

  /** Adds jobs, in the order the emitter will read them. */
  attach(jobs: Iterable<ScheduledJob & { scheduler?: CompressScheduler | undefined }>): void {
    for (const j of jobs) {
      if (this.position.has(j)) continue;
      this.position.set(j, this.order.length);
      this.order.push(j);
      j.scheduler = this;
    }
  }

  /** The result of `job`, computed on the workers (blocking), with the following jobs started. */
  resultSync<T>(job: ScheduledJob): T {
    if (!this.inflight.has(job)) this.inflight.set(job, job.submit(this.pool, this.nextId++));
    const at = this.position.get(job);
    if (at !== undefined) {
      for (let k = at + 1; k < this.order.length && k <= at + this.lookahead; k++) {
        const next = this.order[k]!;
        if (!this.inflight.has(next) && !(next as { settled?: boolean }).settled) this.inflight.set(next, next.submit(this.pool, this.nextId++));
      }
    }
    const wait = this.inflight.get(job)!;
    this.inflight.delete(job);
    return wait() as T;
  }
}

/** Posts the tasks of a palettization (its group ranges); the waiter returns the result. */
export function submitPalette(pool: CompressPool, id: number, name: string, w: WeightValues, params: PaletteParams, what: 'both' | 'tables' = 'both'): () => PaletteResult {
  const input = (w.dtype === 'fp16' ? w.bits : w.values).buffer as SharedArrayBuffer;
  const groups = groupCount(w.shape, params);
  const palettes = 1 << params.nbits;
  const n = count(w.shape);
  const lut = new SharedArrayBuffer(4 * groups * palettes);
  const clusters = new SharedArrayBuffer(4 * groups);
  const indices = new SharedArrayBuffer(what === 'both' ? n : 0);
  const statusBuf = new SharedArrayBuffer(8);
  // Enough group ranges to keep every worker busy, each still a good amount of work, cut at
  // warm-start chain boundaries only (so the tables do not depend on the thread count).
  const chains = Math.ceil(groups / HINT_CHAIN);
  const parts = Math.max(1, Math.min(chains, pool.size * 4));
  let tasks = 0;
  for (let k = 0; k < parts; k++) {
    const g0 = Math.min(groups, Math.floor((k * chains) / parts) * HINT_CHAIN);
    const g1 = Math.min(groups, Math.floor(((k + 1) * chains) / parts) * HINT_CHAIN);
    if (g1 <= g0) continue;
    pool.post({ kind: 'palette', job: id, name, dtype: w.dtype, shape: [...w.shape], input, params, g0, g1, what, check: tasks === 0, lut, clusters, indices, status: statusBuf });
    tasks++;
  }
  const status = new Int32Array(statusBuf);
  return () => {
    pool.waitSync(status, tasks, id, name);
    return { groups, lut: new Float32Array(lut), clusters: new Int32Array(clusters), indices: new Uint8Array(indices) };
  };
}

/** What a quantization waiter returns (the codes view a buffer of the pool's {@link SharedBufferPool}). */
export interface QuantOutput {
  readonly data: Int8Array | Uint8Array;
  readonly scale: Float32Array;
  readonly offset: Int32Array | undefined;
}

/**
 * Posts a quantization task; the waiter returns data, scales and offsets. `w` should live in a
 * buffer of `pool.buffers` (it is handed back once the workers are done with it); the data
 * lives in one too, for the consumer to hand back with `pool.buffers.release(data.buffer)`.
 */
export function submitQuant(pool: CompressPool, id: number, name: string, w: WeightValues, params: QuantParams): () => QuantOutput {
  const input = (w.dtype === 'fp16' ? w.bits : w.values).buffer as SharedArrayBuffer;
  const n = count(w.shape);
  const blocks = count(params.grid);
  const bytes = pool.buffers.acquire(n);
  const scale = new SharedArrayBuffer(4 * blocks);
  const offset = new SharedArrayBuffer(4 * blocks);
  // [ranges done, failed, ranges claimed].
  const statusBuf = new SharedArrayBuffer(12);
  // Blocks of whole rows (per output channel on axis 0, or per block) split into row ranges
  // of about `quantTaskElements` (a few weights are in flight at once, so smaller ones would
  // only add claims), up to four per worker. Each worker is asked to claim ranges; the
  // waiter claims the ranges still left rather than wait idle (at the start, while the
  // workers boot, and on the last large weight).
  const rows = w.shape[0]!;
  const want = Math.min(pool.size * 4, Math.ceil(n / pool.quantTaskElements));
  const parts = params.grid[0] === rows && want > 1 && rows >= 2 * want ? want : 1;
  const task: QuantTask = { kind: 'quant', job: id, name, dtype: w.dtype, shape: [...w.shape], input, params, parts, bytes, scale, offset, status: statusBuf };
  for (let k = 0; k < Math.min(parts, pool.size); k++) pool.post(task);
  const status = new Int32Array(statusBuf);
  const hasOffset = !(params.symmetric && !params.dtype.startsWith('u'));
  return () => {
    let own: unknown;
    try {
      claimQuantParts(task, (e) => {
        own ??= e;
      });
      pool.waitSync(status, parts, id, name);
      if (own !== undefined) throw own;
    } catch (e) {
      pool.buffers.release(bytes);
      throw e;
    } finally {
      // Every range of the job has finished (waitSync returns or throws only then): the input is free.
      pool.buffers.release(input);
    }
    const b = new Uint8Array(bytes, 0, n);
    return { data: params.dtype.startsWith('u') ? b : new Int8Array(bytes, 0, n), scale: new Float32Array(scale), offset: hasOffset ? new Int32Array(offset) : undefined };
  };
}

/** A job of the compression passes ({@link PaletteJob} or {@link QuantJob}). */
export type AttachableJob = ScheduledJob & { scheduler?: CompressScheduler | undefined };

/** Options of {@link withCompressWorkers} and {@link precomputePalettes}. */
export interface WorkerOptions {
  /** A pool to use (left open); by default one is started and closed afterwards. */
  readonly pool?: CompressPool;
  /** Worker threads of a pool started here (default: the available parallelism). */
  readonly workers?: number;
  /** Jobs computed ahead of the one being read (default: the worker count). */
  readonly lookahead?: number;
}

/**
 * Runs `f` (typically `compileToMlPackage`) with `jobs` computed on worker threads: their
 * weights are compressed a few ahead of the emitter, in the order it reads them (the order of
 * the jobs, which is the order of the program's ops). The pool is closed afterwards and the
 * jobs go back to computing on the calling thread.
 */
export async function withCompressWorkers<T>(jobs: readonly AttachableJob[], f: () => Promise<T>, opts: WorkerOptions = {}): Promise<T> {
  const pool = opts.pool ?? new CompressPool(opts.workers);
  const scheduler = new CompressScheduler(pool, opts.lookahead ?? pool.size);
  scheduler.attach(jobs);
  try {
    return await f();
  } finally {
    for (const j of jobs) j.scheduler = undefined;
    if (!opts.pool) await pool.close();
  }
}

/**
 * Computes the tables of every palettization job on worker threads (in parallel, a few weights
 * read ahead) and keeps them in the jobs, so that streaming the weights later only derives the
 * indices (a nearest-entry lookup) on the calling thread.
 */
export async function precomputePalettes(jobs: readonly PaletteJob[], opts: WorkerOptions = {}): Promise<void> {
  const todo = jobs.filter((j) => !j.hasTables);
  if (todo.length === 0) return;
  for (const j of todo) j.tablesOnly = true;
  try {
    await withCompressWorkers(todo, async () => {
      for (const j of todo) j.tables();
    }, opts);
  } finally {
    for (const j of todo) j.tablesOnly = false;
  }
}
