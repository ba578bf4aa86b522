/**
 * Weight compression against coremltools 9.0:
 * 1. every package our compression passes emit loads in coremltools, and its own decompression
 *    of each weight (the constexpr op's value inference, and `decompress_weights`) equals our
 *    interpreter's dequantized values bit for bit;
 * 2. coremltools' `linear_quantize_weights` on the dense package produces exactly our quantized
 *    data, scales and zero points; its `palettize_weights` produces exactly our tables and
 *    indices in uniform mode, and never a lower error than ours in k-means mode.
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Program, type Tensor, WeightStore, encodeTensor, fp16BitsToFp32, memorySource, parseProgram, roundToFp16, runOp } from '@fastvlm/graph';
import { COMPRESSED_OPS, palettizeProgram, palettizeRulesFromOptions, quantizeProgram, quantizeRulesFromOptions } from '@fastvlm/ane-passes';
import { type Target, compileToMlPackage } from '@fastvlm/emit-coreml';
import { coremltoolsReady } from './lowering-oracle.js';
import { runPythonJson } from './venv-python.js';
import { lcg32, uniform } from '../../packages/graph/src/testing/rng.js';

const work = mkdtempSync(join(tmpdir(), 'compress-conf-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A value as the oracle sends it: dtype, shape, base64 of little-endian bytes. */
interface PyValue {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly b64: string;
}
interface PyOp {
  readonly type: string;
  readonly output: string;
  readonly consumers: readonly string[];
  readonly inputs: Readonly<Record<string, PyValue>>;
  readonly dense: PyValue;
}
interface PyReport {
  readonly path: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly trace?: string;
  readonly ops?: readonly PyOp[];
  readonly decompressAgreed?: number;
}

/** Base64 of the oracle's storage bytes for a tensor (sub-byte types one byte per element). */
function b64(t: Tensor): string {
  if (t.dtype === 'fp16' || t.dtype === 'fp32') return Buffer.from(encodeTensor(t)).toString('base64');
  const bytes = t.dtype.startsWith('u') ? Uint8Array.from(t.data) : new Uint8Array(Int8Array.from(t.data).buffer);
  return Buffer.from(bytes).toString('base64');
}

function floats(v: PyValue): Float64Array {
  const buf = Buffer.from(v.b64, 'base64');
  const out = new Float64Array(v.shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = v.dtype === 'fp16' ? fp16BitsToFp32(buf.readUInt16LE(2 * i)) : buf.readFloatLE(4 * i);
  return out;
}
/** A deterministic weight with values like a trained layer's (about N(0, 0.02)). */
function weight(shape: number[], dtype: 'fp16' | 'fp32', seed: number): Tensor {
  const next = uniform(seed >>> 0 || 1, lcg32);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let k = 0; k < 4; k++) acc += next();
    const v = (acc - 2) * 0.035;
    data[i] = dtype === 'fp16' ? roundToFp16(v) : Math.fround(v);
  }
  return { dtype, shape, data };
}

/** One compression case: a dense program, our pass, coremltools' equivalent config. */
interface Case {
  readonly name: string;
  readonly target: Target;
  readonly text: string;
  readonly weights: Readonly<Record<string, Tensor>>;
  readonly kind: 'palettize' | 'quantize';
  readonly ours: (p: Program) => void;
  readonly theirs: Readonly<Record<string, unknown>>;
  /**
   * How our result must relate to coremltools': identical parameters, no larger error, or
   * nothing beyond the bit-exact decompression (a form coremltools does not produce).
   */
  readonly compare: 'exact' | 'mse' | 'none';
}

const linearText = (dtype: string, o: number, i: number): string => `func main(%x: ${dtype}[1,${i}]) -> (%y) {
  %w = const() {dtype="${dtype}", shape=[${o},${i}], weight="w"} : ${dtype}[${o},${i}]
  %y = linear(x=%x, weight=%w) : ${dtype}[1,${o}]
  return %y
}
`;

const pal = (o: Partial<Parameters<typeof palettizeRulesFromOptions>[0]>) => (p: Program): void => {
  palettizeProgram(p, palettizeRulesFromOptions({ nbits: 4, mode: 'kmeans', granularity: 'per_tensor', groupSize: 32, channelAxis: -1, weightThreshold: 2048, rules: [], ...o }));
};
const quant = (o: Partial<Parameters<typeof quantizeRulesFromOptions>[0]>, form: 'blockwise' | 'affine' = 'blockwise') => (p: Program): void => {
  quantizeProgram(p, quantizeRulesFromOptions({ dtype: 'int8', mode: 'linear_symmetric', granularity: 'per_channel', blockSize: 32, weightThreshold: 2048, rules: [], ...o }), { form });
};

const CASES: Case[] = [
  // k-means: coremltools uses its exact 1-D k-means only for fp16 groups of >= 10000 elements.
  { name: 'kmeans4-tensor-fp16', target: 'ios18', text: linearText('fp16', 64, 256), weights: { w: weight([64, 256], 'fp16', 1) }, kind: 'palettize', ours: pal({}), theirs: { mode: 'kmeans', nbits: 4 }, compare: 'mse' },
  {
    name: 'kmeans3-grouped-fp16',
    target: 'ios18',
    text: linearText('fp16', 64, 512),
    weights: { w: weight([64, 512], 'fp16', 2) },
    kind: 'palettize',
    ours: pal({ nbits: 3, granularity: 'per_grouped_channel', groupSize: 32 }),
    theirs: { mode: 'kmeans', nbits: 3, granularity: 'per_grouped_channel', group_size: 32 },
    compare: 'mse',
  },
  { name: 'kmeans8-tensor-ios16', target: 'ios16', text: linearText('fp16', 64, 256), weights: { w: weight([64, 256], 'fp16', 3) }, kind: 'palettize', ours: pal({ nbits: 8 }), theirs: { mode: 'kmeans', nbits: 8 }, compare: 'mse' },
  {
    name: 'uniform6-grouped-fp16',
    target: 'ios18',
    text: linearText('fp16', 64, 128),
    weights: { w: weight([64, 128], 'fp16', 4) },
    kind: 'palettize',
    ours: pal({ nbits: 6, mode: 'uniform', granularity: 'per_grouped_channel', groupSize: 8 }),
    theirs: { mode: 'uniform', nbits: 6, granularity: 'per_grouped_channel', group_size: 8 },
    compare: 'exact',
  },
  { name: 'uniform2-tensor-fp32', target: 'ios18', text: linearText('fp32', 32, 100), weights: { w: weight([32, 100], 'fp32', 5) }, kind: 'palettize', ours: pal({ nbits: 2, mode: 'uniform' }), theirs: { mode: 'uniform', nbits: 2 }, compare: 'exact' },
  { name: 'uniform1-tensor-ios16', target: 'ios16', text: linearText('fp16', 48, 64), weights: { w: weight([48, 64], 'fp16', 6) }, kind: 'palettize', ours: pal({ nbits: 1, mode: 'uniform' }), theirs: { mode: 'uniform', nbits: 1 }, compare: 'exact' },
  {
    name: 'uniform4-grouped-conv',
    target: 'ios18',
    text: `func main(%x: fp16[1,8,6,6]) -> (%y) {
  %k = const() {dtype="fp16", shape=[32,8,3,3], weight="k"} : fp16[32,8,3,3]
  %y = conv2d(x=%x, weight=%k) : fp16[1,32,4,4]
  return %y
}
`,
    weights: { k: weight([32, 8, 3, 3], 'fp16', 7) },
    kind: 'palettize',
    ours: pal({ mode: 'uniform', granularity: 'per_grouped_channel', groupSize: 16 }),
    theirs: { mode: 'uniform', nbits: 4, granularity: 'per_grouped_channel', group_size: 16 },
    compare: 'exact',
  },
  {
    name: 'int8-channel-linear-matmul',
    target: 'ios18',
    text: `func main(%x: fp16[1,64]) -> (%y) {
  %w = const() {dtype="fp16", shape=[96,64], weight="w"} : fp16[96,64]
  %h = linear(x=%x, weight=%w) : fp16[1,96]
  %v = const() {dtype="fp16", shape=[96,80], weight="v"} : fp16[96,80]
  %y = matmul(x=%h, y=%v) : fp16[1,80]
  return %y
}
`,
    weights: { w: weight([96, 64], 'fp16', 8), v: weight([96, 80], 'fp16', 9) },
    kind: 'quantize',
    ours: quant({}),
    theirs: { mode: 'linear_symmetric', dtype: 'int8', granularity: 'per_channel' },
    compare: 'exact',
  },
  { name: 'uint8-linear-tensor-fp32', target: 'ios18', text: linearText('fp32', 48, 64), weights: { w: weight([48, 64], 'fp32', 10) }, kind: 'quantize', ours: quant({ dtype: 'uint8', mode: 'linear', granularity: 'per_tensor' }), theirs: { mode: 'linear', dtype: 'uint8', granularity: 'per_tensor' }, compare: 'exact' },
  {
    name: 'int4-linear-block',
    target: 'ios18',
    text: linearText('fp16', 32, 128),
    weights: { w: weight([32, 128], 'fp16', 11) },
    kind: 'quantize',
    ours: quant({ dtype: 'int4', mode: 'linear', granularity: 'per_block', blockSize: 16 }),
    theirs: { mode: 'linear', dtype: 'int4', granularity: 'per_block', block_size: 16 },
    compare: 'exact',
  },
  { name: 'uint4-symmetric-channel', target: 'ios18', text: linearText('fp16', 40, 64), weights: { w: weight([40, 64], 'fp16', 12) }, kind: 'quantize', ours: quant({ dtype: 'uint4' }), theirs: { mode: 'linear_symmetric', dtype: 'uint4', granularity: 'per_channel' }, compare: 'exact' },
  { name: 'int8-affine-ios16', target: 'ios16', text: linearText('fp16', 64, 64), weights: { w: weight([64, 64], 'fp16', 13) }, kind: 'quantize', ours: quant({}, 'affine'), theirs: { mode: 'linear_symmetric', dtype: 'int8', granularity: 'per_channel' }, compare: 'exact' },
  // affine_dequantize lowered for iOS18 (constexpr_blockwise_shift_scale with a zero offset).
  { name: 'int8-affine-ios18', target: 'ios18', text: linearText('fp16', 64, 64), weights: { w: weight([64, 64], 'fp16', 15) }, kind: 'quantize', ours: quant({}, 'affine'), theirs: { mode: 'linear_symmetric', dtype: 'int8', granularity: 'per_channel' }, compare: 'none' },
  { name: 'uint8-affine-tensor-ios16', target: 'ios16', text: linearText('fp32', 64, 48), weights: { w: weight([64, 48], 'fp32', 14) }, kind: 'quantize', ours: quant({ dtype: 'uint8', mode: 'linear', granularity: 'per_tensor' }, 'affine'), theirs: { mode: 'linear', dtype: 'uint8', granularity: 'per_tensor' }, compare: 'exact' },
];

function program(c: Case): Program {
  const store = new WeightStore();
  for (const [k, t] of Object.entries(c.weights)) store.add(k, memorySource(t));
  return parseProgram(c.text, store);
}

/** Our dense value of every compressed op, by the MIL name of its first consumer's input. */
function ourDense(p: Program): Map<string, { dense: Tensor; parts: Record<string, Tensor> }> {
  const out = new Map<string, { dense: Tensor; parts: Record<string, Tensor> }>();
  for (const fn of p.functions.values()) {
    for (const op of fn.body.ops) {
      if (!COMPRESSED_OPS.includes(op.kind)) continue;
      const parts: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(op.inputs)) {
        const w = (v as { producer: { attrs: { weight?: string } } }).producer.attrs.weight!;
        parts[k] = p.weights.read(w);
      }
      out.set(op.outputs[0]!.name, { dense: runOp(op.kind, parts, op.attrs)[0]!, parts });
    }
  }
  return out;
}

function mse(dense: Float64Array, w: Tensor): number {
  let s = 0;
  for (let i = 0; i < dense.length; i++) s += (dense[i]! - w.data[i]!) ** 2;
  return s / dense.length;
}

describe('weight compression conformance (coremltools 9.0)', () => {
  const ready = coremltoolsReady('compression conformance');
  const ours = new Map<string, { path: string; program: Program }>();
  let decompressed = new Map<string, PyReport>();
  let theirs = new Map<string, PyReport>();

  beforeAll(async () => {
    if (!ready) return;
    const denseJobs: unknown[] = [];
    for (const c of CASES) {
      if (c.compare !== 'none') {
        const densePath = join(work, `${c.name}-dense.mlpackage`);
        await compileToMlPackage(program(c), densePath, { target: c.target, fsync: false });
        denseJobs.push({ path: densePath, kind: c.kind, config: { ...c.theirs, weight_threshold: 2048 } });
      }
      const p = program(c);
      c.ours(p);
      const path = join(work, `${c.name}.mlpackage`);
      await compileToMlPackage(p, path, { target: c.target, fsync: false });
      ours.set(c.name, { path, program: p });
    }
    const dJobs = join(work, 'decompress.json');
    writeFileSync(dJobs, JSON.stringify({ packages: [...ours.values()].map((o) => o.path) }));
    decompressed = new Map(runPythonJson<{ packages: PyReport[] }>('compress_oracle.py', ['decompress', dJobs], 600_000).packages.map((r) => [r.path, r]));
    const cJobs = join(work, 'compress.json');
    writeFileSync(cJobs, JSON.stringify({ jobs: denseJobs }));
    theirs = new Map(runPythonJson<{ jobs: PyReport[] }>('compress_oracle.py', ['compress', cJobs], 600_000).jobs.map((r) => [r.path, r]));
  }, 600_000);

  for (const c of CASES) {
    it.runIf(ready)(`${c.name}: coremltools loads it and decompresses every weight to our values`, () => {
      const o = ours.get(c.name)!;
      const r = decompressed.get(o.path)!;
      expect(r.ok, `${r.error}\n${r.trace}`).toBe(true);
      const mine = ourDense(o.program);
      expect(r.ops!.length).toBe(mine.size);
      expect(mine.size).toBeGreaterThan(0);
      expect(r.decompressAgreed).toBe(mine.size);
      for (const op of r.ops!) {
        const m = mine.get(op.output);
        expect(m, `our op for ${op.output}`).toBeDefined();
        expect(op.dense.shape).toEqual(m!.dense.shape);
        expect(op.dense.dtype).toBe(m!.dense.dtype);
        expect(op.dense.b64, `${op.type} ${op.output}`).toBe(b64(m!.dense));
      }
    });

    if (c.compare === 'none') continue;
    it.runIf(ready)(`${c.name}: matches coremltools' own ${c.kind} (${c.compare === 'exact' ? 'identical parameters' : 'no larger error'})`, () => {
      const o = ours.get(c.name)!;
      const mine = decompressed.get(o.path)!.ops!;
      const r = theirs.get(join(work, `${c.name}-dense.mlpackage`))!;
      expect(r.ok, `${r.error}\n${r.trace}`).toBe(true);
      expect(r.ops!.length).toBe(mine.length);
      for (const t of r.ops!) {
        const m = mine.find((x) => x.consumers.join() === t.consumers.join());
        expect(m, `our op feeding ${t.consumers.join()}`).toBeDefined();
        expect(m!.type).toBe(t.type);
        if (c.compare === 'exact') {
          expect(Object.keys(m!.inputs).sort()).toEqual(Object.keys(t.inputs).sort());
          for (const [k, v] of Object.entries(t.inputs)) {
            expect(m!.inputs[k]!.dtype, k).toBe(v.dtype);
            expect(m!.inputs[k]!.shape, k).toEqual(v.shape);
            expect(m!.inputs[k]!.b64, `${t.type} input ${k}`).toBe(v.b64);
          }
        } else {
          const w = Object.values(c.weights)[0]!;
          const a = mse(floats(m!.dense), w);
          const b = mse(floats(t.dense), w);
          expect(a, `our MSE ${a} vs coremltools ${b}`).toBeLessThanOrEqual(b * (1 + 1e-9) + 1e-15);
        }
      }
    });
  }
});
