import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  FastVlmError,
  type Program,
  type Tensor,
  WeightStore,
  type WeightSource,
  interpret,
  memorySource,
  parseProgram,
  printProgram,
  roundToFp16,
} from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { storeFor } from '../testing/support.js';
import { palettizeProgram, palettizeRulesFromOptions, palettizeWeights } from './palettize-pass.js';
import { quantizeProgram, quantizeRulesFromOptions, quantizeWeights } from './quantize-pass.js';
import { fastVlmError } from '../../../graph/src/testing/errors.js';
import { lcg32, uniform } from '../../../graph/src/testing/rng.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const PASSES = { 'palettize-weights': palettizeWeights, 'quantize-weights': quantizeWeights } as const;

describe('golden IR: pass in, text out', () => {
  for (const [name, pass] of Object.entries(PASSES)) {
    for (const file of readdirSync(join(GOLDEN, name)).filter((f) => f.endsWith('.mlir')).sort()) {
      it(`${name}/${file}`, () => {
        const text = readFileSync(join(GOLDEN, name, file), 'utf8');
        const at = text.indexOf('// ==== expected\n');
        expect(at).toBeGreaterThan(0);
        const input = text.slice(0, at);
        const m = /^\/\/ options: (\{.*\})$/m.exec(input);
        const program = parseProgram(input, storeFor(input), { file });
        const out = new PassManager().add(pass as never, m ? (JSON.parse(m[1]!) as Record<string, unknown>) : {}).run(program).program;
        expect(printProgram(out)).toBe(text.slice(at + '// ==== expected\n'.length));
      });
    }
  }
});

/** A weight source counting its reads. */
function counted(t: Tensor): WeightSource & { reads: number } {
  const s = { ...memorySource(t), reads: 0 };
  s.read = () => {
    s.reads++;
    return t;
  };
  return s;
}

function seeded(shape: number[], dtype: 'fp16' | 'fp32', seed: number): Tensor {
  const next = uniform(seed >>> 0 || 1, lcg32);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = (next() - 0.5) * 0.2;
    data[i] = dtype === 'fp16' ? roundToFp16(v) : Math.fround(v);
  }
  return { dtype, shape, data };
}

const LINEAR = (o: number, i: number, dtype = 'fp16'): string => `func main(%x: ${dtype}[2,${i}]) -> (%y) {
  %w = const() {dtype="${dtype}", shape=[${o},${i}], weight="w"} : ${dtype}[${o},${i}]
  %y = linear(x=%x, weight=%w) : ${dtype}[2,${o}]
  return %y
}
`;

function run(p: Program, x: Tensor): Tensor {
  return interpret(p, undefined, { x }).get('y')!;
}

/** The same program with `w` replaced by `dense` (to compare through the same linear kernel). */
function withWeight(text: string, dense: Tensor): Program {
  const store = new WeightStore();
  store.add('w', memorySource(dense));
  return parseProgram(text, store);
}

describe('palettize-weights', () => {
  const P = { nbits: 4, mode: 'kmeans' as const, granularity: 'per_grouped_channel' as const, groupSize: 4, channelAxis: -1, weightThreshold: 0, rules: [] };

  it('computes linear with the table look-up of every element (independent gather from the stored parts)', () => {
    for (const dtype of ['fp16', 'fp32'] as const) {
      const w = seeded([8, 12], dtype, 3);
      const store = new WeightStore();
      store.add('w', memorySource(w));
      const text = LINEAR(8, 12, dtype);
      const p = parseProgram(text, store);
      palettizeProgram(p, palettizeRulesFromOptions(P));
      const lut = p.weights.read('w.lut');
      const idx = p.weights.read('w.indices');
      expect(lut.shape).toEqual([2, 1, 16, 1]);
      const dense = new Float32Array(96);
      for (let r = 0; r < 8; r++) for (let c = 0; c < 12; c++) dense[r * 12 + c] = lut.data[Math.floor(r / 4) * 16 + idx.data[r * 12 + c]!]!;
      // Each element's entry is the nearest one of its group's table.
      for (let i = 0; i < 96; i++) {
        const g = Math.floor(i / 48);
        let best = Infinity;
        for (let e = 0; e < 16; e++) best = Math.min(best, Math.abs(lut.data[g * 16 + e]! - w.data[i]!));
        expect(Math.abs(dense[i]! - w.data[i]!)).toBe(best);
      }
      const x = seeded([2, 12], dtype, 9);
      expect(Array.from(run(p, x).data)).toEqual(Array.from(run(withWeight(text, { dtype, shape: [8, 12], data: dense }), x).data));
    }
  });

  it('reads nothing while rewriting, then computes each weight once for table and indices', () => {
    const src = counted(seeded([16, 16], 'fp32', 5));
    const store = new WeightStore();
    store.add('w', src);
    const p = parseProgram(LINEAR(16, 16, 'fp32'), store);
    palettizeProgram(p, palettizeRulesFromOptions(P));
    expect(src.reads).toBe(0);
    p.weights.read('w.lut');
    p.weights.read('w.indices');
    expect(src.reads).toBe(1);
    // Later reads recompute the indices from the kept table (no table recomputation needed).
    p.weights.read('w.indices');
    expect(src.reads).toBe(2);
    expect([...p.weights.stream('w.indices')].reduce((n, c) => n + c.length, 0)).toBe(128);
  });

  it('is idempotent: a second run changes neither the IR nor the store', () => {
    const text = LINEAR(8, 12);
    const store = storeFor(text);
    const pm = new PassManager().add(palettizeWeights, { weightThreshold: 0 });
    const once = pm.run(parseProgram(text, store)).program;
    const twice = pm.run(once).program;
    expect(printProgram(twice)).toBe(printProgram(once));
    expect(twice.weights.names()).toEqual(once.weights.names());
    // Quantizing a palettized program leaves it palettized.
    const q = new PassManager().add(quantizeWeights, { weightThreshold: 0 }).run(once).program;
    expect(printProgram(q)).toBe(printProgram(once));
  });

  it('refuses a group size that does not divide the channels, naming the tensor (E_COMPRESS_GROUP)', () => {
    const p = parseProgram(LINEAR(10, 12), storeFor(LINEAR(10, 12)));
    let err: unknown;
    try {
      palettizeProgram(p, palettizeRulesFromOptions(P));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FastVlmError);
    expect((err as FastVlmError).code).toBe('E_COMPRESS_GROUP');
    expect((err as FastVlmError).message).toContain("'w' [10,12]");
    expect((err as FastVlmError).message).toContain('group size 4 does not divide the 10 channels');
    // Through the PassManager the original code travels in the details.
    const e = fastVlmError(() => new PassManager().add(palettizeWeights, { granularity: 'per_grouped_channel', groupSize: 4, weightThreshold: 0 }).run(parseProgram(LINEAR(10, 12), storeFor(LINEAR(10, 12)))), 'E_PASS_FAILED');
    expect(e.details.causeCode).toBe('E_COMPRESS_GROUP');
  });

  it('raises E_COMPRESS_NONFINITE naming the tensor when a NaN or infinite weight is computed', () => {
    for (const bad of [Number.NaN, Infinity]) {
      for (const dtype of ['fp16', 'fp32'] as const) {
        const w = seeded([8, 12], dtype, 3);
        w.data[17] = bad;
        const store = new WeightStore();
        store.add('w', memorySource(w));
        const p = parseProgram(LINEAR(8, 12, dtype), store);
        palettizeProgram(p, palettizeRulesFromOptions(P));
        const e = fastVlmError(() => interpret(p, undefined, { x: seeded([2, 12], dtype, 1) }), 'E_COMPRESS_NONFINITE');
        expect(e.message).toContain("weight 'w'");
        expect(e.message).toContain('element 17');
      }
    }
  });

  it('leaves weights whose consumers disagree on the channel axis dense (per-channel), with a note', () => {
    const text = `func main(%x: fp16[2,8], %z: fp16[2,8]) -> (%y, %u) {
  %w = const() {dtype="fp16", shape=[8,8], weight="w"} : fp16[8,8]
  %y = linear(x=%x, weight=%w) : fp16[2,8]
  %u = matmul(x=%z, y=%w) : fp16[2,8]
  return %y, %u
}
`;
    const r = new PassManager().add(palettizeWeights, { granularity: 'per_grouped_channel', groupSize: 4, weightThreshold: 0 }).run(parseProgram(text, storeFor(text)));
    expect(printProgram(r.program)).not.toContain('lut_dequantize');
    expect(r.stats[0]!.notes.join('\n')).toContain("left 'w' [8,8] dense: its consumers (linear, matmul) disagree on the output channel axis");
    // Per tensor needs no axis.
    const t = new PassManager().add(palettizeWeights, { weightThreshold: 0 }).run(parseProgram(text, storeFor(text)));
    expect(printProgram(t.program)).toContain('lut_dequantize');
  });

  it('compresses constants of any consumer with opTypes = []', () => {
    const text = `func main(%x: fp16[4,8]) -> (%y) {
  %c = const() {dtype="fp16", shape=[4,8], weight="c"} : fp16[4,8]
  %y = add(x=%x, y=%c) : fp16[4,8]
  return %y
}
`;
    const dflt = new PassManager().add(palettizeWeights, { weightThreshold: 0 }).run(parseProgram(text, storeFor(text)));
    expect(printProgram(dflt.program)).not.toContain('lut_dequantize');
    const any = new PassManager().add(palettizeWeights, { weightThreshold: 0, opTypes: [] }).run(parseProgram(text, storeFor(text)));
    expect(printProgram(any.program)).toContain('lut_dequantize');
  });

  it('reports bad nbits and malformed rules as E_COMPRESS_CONFIG', () => {
    const text = LINEAR(8, 12);
    for (const opts of [{ nbits: 5 }, { rules: ['name:w nbits=9'] }]) {
      const e = fastVlmError(() => new PassManager().add(palettizeWeights, opts).run(parseProgram(text, storeFor(text))));
      expect(e.details.causeCode).toBe('E_COMPRESS_CONFIG');
    }
  });
});

describe('quantize-weights', () => {
  const Q = { dtype: 'int8' as const, mode: 'linear_symmetric' as const, granularity: 'per_channel' as const, blockSize: 4, weightThreshold: 0, rules: [] };

  it('computes linear with scale * (data - offset) of every element (independent dequantization)', () => {
    const cases = [
      { ...Q },
      { ...Q, dtype: 'uint8' as const, mode: 'linear' as const },
      { ...Q, dtype: 'int4' as const, mode: 'linear' as const, granularity: 'per_block' as const },
      { ...Q, dtype: 'uint4' as const, granularity: 'per_tensor' as const },
    ];
    for (const o of cases) {
      for (const dtype of ['fp16', 'fp32'] as const) {
        const w = seeded([8, 12], dtype, 11);
        const store = new WeightStore();
        store.add('w', memorySource(w));
        const text = LINEAR(8, 12, dtype);
        const p = parseProgram(text, store);
        quantizeProgram(p, quantizeRulesFromOptions(o));
        const data = p.weights.read('w.data');
        const scale = p.weights.read('w.scale');
        const offset = p.weights.has('w.offset') ? p.weights.read('w.offset') : undefined;
        const [gr, gc] = scale.shape as [number, number];
        const dense = new Float32Array(96);
        for (let r = 0; r < 8; r++)
          for (let c = 0; c < 12; c++) {
            const b = Math.floor(r / (8 / gr)) * gc + Math.floor(c / (12 / gc));
            const v = scale.data[b]! * (data.data[r * 12 + c]! - (offset ? offset.data[b]! : 0));
            dense[r * 12 + c] = dtype === 'fp16' ? roundToFp16(v) : Math.fround(v);
          }
        const x = seeded([2, 12], dtype, 2);
        expect(Array.from(run(p, x).data), `${JSON.stringify(o)} ${dtype}`).toEqual(Array.from(run(withWeight(text, { dtype, shape: [8, 12], data: dense }), x).data));
      }
    }
  });

  it('refuses a block size that does not divide the input channels (E_COMPRESS_GROUP)', () => {
    const p = parseProgram(LINEAR(8, 10), storeFor(LINEAR(8, 10)));
    const e = fastVlmError(() => quantizeProgram(p, quantizeRulesFromOptions({ ...Q, granularity: 'per_block' })), 'E_COMPRESS_GROUP');
    expect(e.message).toContain("'w' [8,10]");
  });

  it('refuses form=affine for 4-bit or per-block settings (E_COMPRESS_CONFIG)', () => {
    const p = parseProgram(LINEAR(8, 12), storeFor(LINEAR(8, 12)));
    fastVlmError(() => quantizeProgram(p, quantizeRulesFromOptions({ ...Q, dtype: 'int4' }), { form: 'affine' }), 'E_COMPRESS_CONFIG');
  });

  it('shares the entries of one weight between its consts and stays idempotent', () => {
    const text = `func main(%x: fp16[2,64]) -> (%y) {
  %a = const() {dtype="fp16", shape=[64,64], weight="tied"} : fp16[64,64]
  %h = linear(x=%x, weight=%a) : fp16[2,64]
  %b = const() {dtype="fp16", shape=[64,64], weight="tied"} : fp16[64,64]
  %y = linear(x=%h, weight=%b) : fp16[2,64]
  return %y
}
`;
    const pm = new PassManager().add(quantizeWeights);
    const once = pm.run(parseProgram(text, storeFor(text))).program;
    expect(once.weights.names().filter((n) => n.startsWith('tied.'))).toEqual(['tied.data', 'tied.scale']);
    expect(printProgram(pm.run(once).program)).toBe(printProgram(once));
  });
});
