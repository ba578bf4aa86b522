/**
 * Test support for the pass tests: golden IR files, output comparison through the reference
 * interpreter (with its own seeded inputs and naive comparison loops, independent of the
 * PassManager's numeric check), op counts. Test-only: not exported from the package entry.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import {
  type DType,
  FunctionBuilder,
  type Attrs,
  type OpInputs,
  Program,
  type Tensor,
  type Value,
  WeightStore,
  allocData,
  interpret,
  memorySource,
  parseProgram,
  printProgram,
  roundToFp16,
} from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { lcg32, uniform } from '../../../graph/src/testing/rng.js';

/** packages/ane-passes/test-data/golden */
export const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-data', 'golden');

/** One golden case: input IR, pass options, expected printed IR. */
export interface GoldenCase {
  readonly file: string;
  readonly input: string;
  readonly expected: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** The separator between input and expected text in a golden file. */
export const GOLDEN_SEPARATOR = '// ==== expected';

/** The golden cases of a pass: `test-data/golden/<pass>/*.mlir`, sorted by file name. */
export function goldenCases(pass: string): GoldenCase[] {
  const dir = join(GOLDEN_DIR, pass);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.mlir'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const at = text.indexOf(`${GOLDEN_SEPARATOR}\n`);
      if (at < 0) throw new Error(`${file}: no '${GOLDEN_SEPARATOR}' line`);
      const input = text.slice(0, at);
      const m = /^\/\/ options: (\{.*\})\n/.exec(input);
      return { file, input, expected: text.slice(at + GOLDEN_SEPARATOR.length + 1), options: m ? (JSON.parse(m[1]!) as Record<string, unknown>) : {} };
    });
}

/** Counts ops per kind over all functions. */
export function countKinds(p: Program): Record<string, number> {
  const c: Record<string, number> = {};
  for (const fn of p.functions.values()) for (const op of fn.body.ops) c[op.kind] = (c[op.kind] ?? 0) + 1;
  return c;
}

/** Total op count over all functions. */
export function opCount(p: Program): number {
  let n = 0;
  for (const fn of p.functions.values()) n += fn.body.ops.length;
  return n;
}

/** Floats in [0, 1) from the shared LCG (independent of the package's own generator). */
const lcg = (seed: number): (() => number) => uniform(seed, lcg32);

/** Inputs for every function of `p`: floats in [-1, 1] (fp16-exact), ints in [0, 3], symbols = 3. */
export function testInputs(p: Program, seed: number): Map<string, Record<string, Tensor>> {
  const out = new Map<string, Record<string, Tensor>>();
  const next = lcg(seed);
  for (const fn of p.functions.values()) {
    const ins: Record<string, Tensor> = {};
    for (const v of fn.inputs) {
      const shape = v.type.shape.map((d) => (typeof d === 'number' ? d : 3));
      const n = shape.reduce((a, b) => a * b, 1);
      const data = allocData(v.type.dtype, n);
      for (let i = 0; i < n; i++) {
        const r = next();
        data[i] = v.type.dtype === 'fp32' || v.type.dtype === 'fp16' ? roundToFp16(r * 2 - 1) : v.type.dtype === 'bool' ? (r < 0.5 ? 1 : 0) : Math.floor(r * 4);
      }
      ins[v.name] = { dtype: v.type.dtype, shape, data };
    }
    out.set(fn.name, ins);
  }
  return out;
}

/** Runs every function of `p` on `inputs` (inputs cast to the declared dtypes). */
export function runAll(p: Program, inputs: Map<string, Record<string, Tensor>>): Map<string, Tensor[]> {
  const out = new Map<string, Tensor[]>();
  for (const fn of p.functions.values()) {
    const ins: Record<string, Tensor> = {};
    for (const v of fn.inputs) {
      const t = inputs.get(fn.name)![v.name]!;
      if (t.dtype === v.type.dtype) ins[v.name] = t;
      else {
        const data = allocData(v.type.dtype, t.data.length);
        for (let i = 0; i < data.length; i++) data[i] = v.type.dtype === 'fp16' ? roundToFp16(t.data[i]!) : t.data[i]!;
        ins[v.name] = { dtype: v.type.dtype, shape: t.shape, data };
      }
    }
    const res = interpret(p, fn.name, ins);
    out.set(fn.name, fn.outputs.map((o) => res.get(o.name)!));
  }
  return out;
}

/**
 * Throws unless `after` computes what `before` computes on seeded inputs: same output count and
 * shapes, and every element within `abs + rel * |expected|` (NaN matching NaN).
 */
export function expectSameOutputs(before: Program, after: Program, tol: { abs: number; rel: number }, seed = 7): { maxAbs: number } {
  const inputs = testInputs(before, seed);
  const a = runAll(before, inputs);
  const b = runAll(after, inputs);
  let maxAbs = 0;
  for (const [name, outs] of a) {
    const got = b.get(name);
    if (!got || got.length !== outs.length) throw new Error(`${name}: ${got?.length ?? 0} outputs, expected ${outs.length}`);
    outs.forEach((e, i) => {
      const g = got[i]!;
      if (g.shape.join() !== e.shape.join()) throw new Error(`${name}#${i}: shape [${g.shape.join(',')}] != [${e.shape.join(',')}]`);
      for (let k = 0; k < e.data.length; k++) {
        const x = g.data[k]!;
        const y = e.data[k]!;
        if (Number.isNaN(x) && Number.isNaN(y)) continue;
        if (x === y) continue;
        const d = Math.abs(x - y);
        maxAbs = Math.max(maxAbs, d);
        if (!(d <= tol.abs + tol.rel * Math.abs(y))) throw new Error(`${name}#${i}[${k}]: ${x} vs expected ${y} (|d| = ${d})`);
      }
    });
  }
  return { maxAbs };
}

/**
 * A store holding a seeded tensor for every `weight="..."` const of an IR text (so golden files
 * can refer to weights by name).
 */
export function storeFor(text: string): WeightStore {
  const store = new WeightStore();
  const re = /const\(\) \{dtype="(\w+)", shape=\[([\d,]*)\], weight="([^"]+)"\}/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const [, dtype, dims, name] = m;
    if (store.has(name!)) continue;
    const shape = dims ? dims.split(',').map(Number) : [];
    const n = shape.reduce((a, b) => a * b, 1);
    const next = lcg(n * 31 + name!.length);
    const data = allocData(dtype as DType, n);
    for (let i = 0; i < n; i++) data[i] = dtype === 'fp16' || dtype === 'fp32' ? roundToFp16(next() * 2 - 1) : Math.floor(next() * 4);
    store.add(name!, memorySource({ dtype: dtype as DType, shape, data }));
  }
  return store;
}

/**
 * Registers one test per golden file of a pass: parse the input, run the pass through a
 * PassManager (verified, numeric check on), print, compare exactly with the expected text.
 */
export function goldenTests(pass: string): void {
  for (const c of goldenCases(pass)) {
    it(`golden ${pass}/${c.file}`, () => {
      const input = parseProgram(c.input, storeFor(c.input), { file: c.file });
      const out = new PassManager().add(pass, c.options).run(input, { numericCheck: true }).program;
      expect(printProgram(out)).toBe(c.expected);
    });
  }
}

/** A FunctionBuilder with one-line helpers for tests. */
export class TestFn {
  readonly b: FunctionBuilder;

  constructor(name = 'main') {
    this.b = new FunctionBuilder(name);
  }

  input(name: string, dtype: DType, shape: readonly (number | string)[]): Value {
    return this.b.input(name, { dtype, shape });
  }

  op(kind: string, inputs: OpInputs, attrs: Attrs = {}, hint?: string): Value {
    return this.b.add(kind, inputs, attrs, hint !== undefined ? { hint } : {})[0]!;
  }

  ops(kind: string, inputs: OpInputs, attrs: Attrs = {}): Value[] {
    return this.b.add(kind, inputs, attrs);
  }

  c(dtype: DType, shape: readonly number[], values: readonly number[], hint = 'c'): Value {
    return this.op('const', {}, { dtype, shape: [...shape], value: [...values] }, hint);
  }

  scalar(v: number, dtype: DType = 'fp32'): Value {
    return this.c(dtype, [], [v]);
  }

  /** Sets the outputs and returns a one-function program over `weights`. */
  done(outputs: readonly Value[], weights: WeightStore = new WeightStore()): Program {
    this.b.output(...outputs);
    const p = new Program(weights);
    p.addFunction(this.b.fn);
    return p;
  }
}

/** Seeded values in [-range, range] for test constants. */
export function seeded(n: number, seed: number, range = 1): number[] {
  const next = lcg(seed * 2654435761 + 1);
  return Array.from({ length: n }, () => Math.round((next() * 2 - 1) * range * 64) / 64);
}
