import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FastVlmError, type Tensor, WeightStore, memorySource, parseProgram, printProgram, roundToFp16 } from '@fastvlm/graph';
import { PaletteJob, QuantJob } from './jobs.js';
import { palettizeProgram, palettizeRulesFromOptions } from './palettize-pass.js';
import { quantizeProgram, quantizeRulesFromOptions } from './quantize-pass.js';
import { CompressPool, precomputePalettes, withCompressWorkers } from './workers.js';
import { lcg32, uniform } from '../../../graph/src/testing/rng.js';

function seeded(shape: number[], seed: number, dtype: 'fp16' | 'fp32' = 'fp16'): Tensor {
  const next = uniform(seed >>> 0 || 1, lcg32);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = (next() - 0.5) * 0.1;
    data[i] = dtype === 'fp16' ? roundToFp16(v) : Math.fround(v);
  }
  return { dtype, shape, data };
}

/** A program of several linear weights (one large enough to be split across tasks). */
function program(nan = false): ReturnType<typeof parseProgram> {
  const store = new WeightStore();
  const shapes: Record<string, number[]> = { a: [64, 32], b: [1024, 64], c: [96, 64], d: [64, 96] };
  for (const [k, shape] of Object.entries(shapes)) {
    const t = seeded(shape, k.charCodeAt(0), k === 'c' ? 'fp32' : 'fp16');
    if (nan && k === 'b') t.data[50000] = Number.NaN; // in a later row range of the split tasks
    store.add(k, memorySource(t));
  }
  return parseProgram(
    `func main(%x: fp16[1,32], %z: fp32[1,64]) -> (%y, %u) {
  %a = const() {dtype="fp16", shape=[64,32], weight="a"} : fp16[64,32]
  %h = linear(x=%x, weight=%a) : fp16[1,64]
  %b = const() {dtype="fp16", shape=[1024,64], weight="b"} : fp16[1024,64]
  %h2 = linear(x=%h, weight=%b) : fp16[1,1024]
  %d = const() {dtype="fp16", shape=[64,96], weight="d"} : fp16[64,96]
  %y = matmul(x=%h, y=%d) : fp16[1,96]
  %c = const() {dtype="fp32", shape=[96,64], weight="c"} : fp32[96,64]
  %u = linear(x=%z, weight=%c) : fp32[1,96]
  return %y, %u
}
`,
    store,
  );
}

/** Every compressed store entry, read in program order. */
function contents(p: ReturnType<typeof parseProgram>): string[] {
  const out: string[] = [];
  for (const op of p.fn('main').body.ops) {
    const w = op.kind === 'const' ? (op.attrs.weight as string) : undefined;
    if (w === undefined || !/\.(lut|indices|data|scale|offset)$/.test(w)) continue;
    const t = p.weights.read(w);
    out.push(`${w}:${t.dtype}[${t.shape.join(',')}]=${Array.from(t.data).join(',')}`);
  }
  return out;
}

describe('compression on worker threads', () => {
  let pool: CompressPool;
  beforeAll(() => {
    // Small tasks, so that the 1024-row weight is split into row ranges.
    pool = new CompressPool(2, { quantTaskElements: 1 << 12 });
  });
  afterAll(async () => {
    await pool.close();
  });

  const PAL = { nbits: 4, mode: 'kmeans' as const, granularity: 'per_grouped_channel' as const, groupSize: 4, channelAxis: -1, weightThreshold: 0, rules: [] };
  const Q = { dtype: 'int8' as const, mode: 'linear' as const, granularity: 'per_channel' as const, blockSize: 32, weightThreshold: 0, rules: [] };

  it('palettizes to exactly the values computed on the calling thread (tables and indices)', async () => {
    const inline = program();
    palettizeProgram(inline, palettizeRulesFromOptions(PAL));
    const viaWorkers = program();
    const { jobs } = palettizeProgram(viaWorkers, palettizeRulesFromOptions(PAL));
    const got = await withCompressWorkers(jobs, async () => contents(viaWorkers), { pool, lookahead: 1 });
    expect(got.length).toBe(8);
    expect(got).toEqual(contents(inline));
    expect(printProgram(viaWorkers)).toBe(printProgram(inline));
  });

  it('quantizes to exactly the inline values, large weights split into row ranges', async () => {
    const inline = program();
    quantizeProgram(inline, quantizeRulesFromOptions(Q));
    const viaWorkers = program();
    const { jobs } = quantizeProgram(viaWorkers, quantizeRulesFromOptions(Q));
    const got = await withCompressWorkers(jobs as QuantJob[], async () => contents(viaWorkers), { pool });
    expect(got.length).toBe(12);
    expect(got).toEqual(contents(inline));
  });

  it('streams quantized data as the inline values while reusing the shared buffers of earlier weights', async () => {
    const streamed = (p: ReturnType<typeof parseProgram>): number[][] => {
      const out: number[][] = [];
      for (const op of p.fn('main').body.ops) {
        const w = op.kind === 'const' ? (op.attrs.weight as string) : undefined;
        if (w === undefined || !w.endsWith('.data')) continue;
        const bytes: number[] = [];
        for (const c of p.weights.stream(w, 1000)) bytes.push(...c);
        out.push(bytes);
      }
      return out;
    };
    const inline = program();
    quantizeProgram(inline, quantizeRulesFromOptions(Q));
    const viaWorkers = program();
    const { jobs } = quantizeProgram(viaWorkers, quantizeRulesFromOptions(Q));
    const own = new CompressPool(1, { quantTaskElements: 1 << 12 });
    const served: SharedArrayBuffer[] = [];
    const acquire = own.buffers.acquire.bind(own.buffers);
    own.buffers.acquire = (bytes: number): SharedArrayBuffer => {
      const b = acquire(bytes);
      served.push(b);
      return b;
    };
    try {
      const got = await withCompressWorkers(jobs as QuantJob[], async () => streamed(viaWorkers), { pool: own, lookahead: 1 });
      expect(got.length).toBe(4);
      expect(got).toEqual(streamed(inline));
      // Inputs and data of 4 weights: 8 buffers asked for, fewer made.
      expect(served.length).toBe(8);
      expect(new Set(served).size).toBeLessThan(served.length);
      expect(own.buffers.idleSize).toBeGreaterThan(0);
    } finally {
      await own.close();
    }
  });

  it('precomputes tables in parallel; indices are then derived on the calling thread', async () => {
    const inline = program();
    palettizeProgram(inline, palettizeRulesFromOptions({ ...PAL, granularity: 'per_tensor' }));
    const pre = program();
    const { jobs } = palettizeProgram(pre, palettizeRulesFromOptions({ ...PAL, granularity: 'per_tensor' }));
    await precomputePalettes(jobs, { pool });
    expect(jobs.every((j: PaletteJob) => j.hasTables && j.scheduler === undefined)).toBe(true);
    expect(contents(pre)).toEqual(contents(inline));
  });

  it('gives the same tables however many threads split the groups (warm starts restart every 64 groups)', async () => {
    const make = (): ReturnType<typeof parseProgram> => {
      const store = new WeightStore();
      store.add('g', memorySource(seeded([400, 24], 99)));
      return parseProgram(
        `func main(%x: fp16[1,24]) -> (%y) {
  %g = const() {dtype="fp16", shape=[400,24], weight="g"} : fp16[400,24]
  %y = linear(x=%x, weight=%g) : fp16[1,400]
  return %y
}
`,
        store,
      );
    };
    const settings = { ...PAL, granularity: 'per_grouped_channel' as const, groupSize: 1, nbits: 3 };
    const inline = make();
    palettizeProgram(inline, palettizeRulesFromOptions(settings));
    const viaWorkers = make();
    const { jobs } = palettizeProgram(viaWorkers, palettizeRulesFromOptions(settings));
    const got = await withCompressWorkers(jobs, async () => contents(viaWorkers), { pool });
    expect(got).toEqual(contents(inline));
  });

  it('reports a NaN weight from a worker as E_COMPRESS_NONFINITE naming the tensor', async () => {
    for (const kind of ['palettize', 'quantize'] as const) {
      const p = program(true);
      const jobs = kind === 'palettize' ? palettizeProgram(p, palettizeRulesFromOptions(PAL)).jobs : quantizeProgram(p, quantizeRulesFromOptions(Q)).jobs;
      let err: FastVlmError | undefined;
      await withCompressWorkers(jobs as readonly (PaletteJob | QuantJob)[], async () => {
        try {
          contents(p);
        } catch (e) {
          err = e as FastVlmError;
        }
      }, { pool });
      expect(err?.code, kind).toBe('E_COMPRESS_NONFINITE');
      expect(err?.message).toContain("weight 'b'");
      expect(err?.message).toContain('element 50000');
    }
  });
});
