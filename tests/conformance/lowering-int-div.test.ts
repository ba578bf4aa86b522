/**
 * int32 `div` without a device: the MIL composition the lowering emits for it (floor_div, mod,
 * comparisons, logical ops, cast, add) is evaluated by coremltools' own value inference
 * (py/mil_value_eval.py replays the package's ops through `mb` over constant inputs; each op's
 * `value_inference` is numpy) and must give trunc(x / y) exactly, on every target, for sign
 * combinations, exact and inexact divisions and int32 extremes (all but -2^31 / -1, whose
 * quotient 2^31 is not an int32). References: BigInt division (truncates) and our interpreter.
 *
 * The lift side: our packages lift back to one IR `div` (a fixed point of emit -> read -> lift);
 * with an intermediate of the composition exposed, and for lone `floor_div` / `mod` / logical
 * ops written by hand, each op lifts on its own and our interpreter of the lifted program
 * computes what coremltools computes. Everything but coremltools' value inference is pure
 * TypeScript and runs (against the BigInt references) even without the Python venv.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionBuilder, Program, type Tensor, WeightStore, interpret, printProgram, tensor } from '@fastvlm/graph';
import {
  type CoreMLModel, type MilOperation, TARGETS, type Target, arrayFeature, compileToMlPackage, constOp, immediateTensor, liftProgram, lowerProgram, milFunction, milOp,
  mlProgramModel, namedValue, readMlPackage, stringValue, tensorType, writeMlPackage,
} from '@fastvlm/emit-coreml';
import { coremltoolsReady } from './lowering-oracle.js';
import { runPythonJson } from './venv-python.js';

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** Every (x, y) pair of the edge values but -2^31 / -1, then seeded random int32 pairs. */
function pairs(): [number, number][] {
  const xs = [0, 1, -1, 2, -2, 3, -3, 5, -5, 6, -6, 7, -7, 2 ** 30, -(2 ** 30), 65536, -65536, INT_MAX - 1, INT_MAX, -INT_MAX, INT_MIN + 1, INT_MIN];
  const ys = [1, -1, 2, -2, 3, -3, 7, -7, 65536, -65536, 2 ** 30, INT_MAX, -INT_MAX, INT_MIN];
  const out: [number, number][] = [];
  for (const x of xs) for (const y of ys) if (!(x === INT_MIN && y === -1)) out.push([x, y]);
  const int32 = fc.integer({ min: INT_MIN, max: INT_MAX });
  const small = fc.integer({ min: -1000, max: 1000 });
  const pair = fc.oneof(fc.tuple(int32, int32), fc.tuple(int32, small), fc.tuple(small, small)).filter(([x, y]) => y !== 0 && !(x === INT_MIN && y === -1));
  out.push(...fc.sample(pair, { seed: 20240917, numRuns: 200 }));
  return out;
}

const PAIRS = pairs();
const N = PAIRS.length;
const X = PAIRS.map(([x]) => x);
const Y = PAIRS.map(([, y]) => y);
const K = -7;

const truncRef = (a: number, b: number): number => Number(BigInt(a) / BigInt(b));
const floorRef = (a: number, b: number): number => {
  const q = BigInt(a) / BigInt(b);
  const r = BigInt(a) % BigInt(b);
  return Number(r !== 0n && r < 0n !== BigInt(b) < 0n ? q - 1n : q);
};
const modRef = (a: number, b: number): number => Number(BigInt(a) - BigInt(floorRef(a, b)) * BigInt(b));

/** out = x / y, out_k = x / -7 (a constant divisor, broadcast). */
function divProgram(): Program {
  const p = new Program(new WeightStore());
  const f = new FunctionBuilder('main');
  const x = f.input('x', { dtype: 'int32', shape: [N] });
  const y = f.input('y', { dtype: 'int32', shape: [N] });
  const [k] = f.add('const', {}, { dtype: 'int32', shape: [1], value: [K] }, { names: ['k'] });
  const [q] = f.add('div', { x, y }, {}, { names: ['out'] });
  const [qk] = f.add('div', { x, y: k! }, {}, { names: ['out_k'] });
  f.output(q!, qk!);
  p.addFunction(f.fn);
  return p;
}

interface PyOut {
  readonly dtype: string;
  readonly numpyDtype: string;
  readonly shape: number[];
  readonly data: number[];
}
interface PyResult {
  readonly path: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly trace?: string;
  readonly opset?: string;
  readonly opTypes?: string[];
  readonly outputs?: Readonly<Record<string, PyOut>>;
}

const INPUTS = { x: { dtype: 'int32', shape: [N], data: X }, y: { dtype: 'int32', shape: [N], data: Y } };
const IR_INPUTS = { x: tensor('int32', [N], X), y: tensor('int32', [N], Y) };
const COMPOSITION = ['floor_div', 'mod', 'not_equal', 'less', 'less', 'logical_xor', 'logical_and', 'cast', 'add'];

const work = mkdtempSync(join(tmpdir(), 'lowering-int-div-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const pathOf = (name: string): string => join(work, `${name}.mlpackage`);
let results = new Map<string, PyResult>();
let oracle = false;

/** Our int32-div package for ios18 with the composition's floor_div output also returned. */
function exposedModel(): { model: CoreMLModel; floorName: string } {
  const model = lowerProgram(divProgram(), { target: 'ios18' });
  const fn = model.mlProgram!.functions!.main!;
  const block = fn.blockSpecializations![fn.opset!]!;
  const floorName = block.operations!.find((o) => o.type === 'floor_div')!.outputs![0]!.name!;
  block.outputs = [...block.outputs!, floorName];
  const feature = arrayFeature(floorName, 'int32', [N]);
  model.description!.output = [...model.description!.output!, feature];
  for (const d of model.description!.functions ?? []) if (d.name === 'main') d.output = [...(d.output ?? []), feature];
  return { model, floorName };
}

/** A hand-written ios15 program of lone floor_div, mod and logical ops (bools cast to int32). */
function loneOpsModel(): CoreMLModel {
  const t = (dtype: 'int32' | 'bool', name: string): ReturnType<typeof namedValue> => namedValue(name, tensorType(dtype, [N]));
  const op = (type: string, name: string, inputs: Record<string, string>, dtype: 'int32' | 'bool' = 'int32'): MilOperation => milOp(type, { name, inputs, outputs: [t(dtype, name)] });
  const toInt = (name: string, from: string): MilOperation => milOp('cast', { name, inputs: { x: from, dtype: stringValue('int32') }, outputs: [t('int32', name)] });
  const ops: MilOperation[] = [
    constOp('zero', immediateTensor('int32', [], [0])),
    op('floor_div', 'fd', { x: 'x', y: 'y' }),
    op('mod', 'md', { x: 'x', y: 'y' }),
    op('less', 'xn', { x: 'x', y: 'zero' }, 'bool'),
    op('less', 'yn', { x: 'y', y: 'zero' }, 'bool'),
    op('logical_and', 'la', { x: 'xn', y: 'yn' }, 'bool'),
    op('logical_or', 'lo', { x: 'xn', y: 'yn' }, 'bool'),
    op('logical_xor', 'lx', { x: 'xn', y: 'yn' }, 'bool'),
    milOp('logical_not', { name: 'ln', inputs: { x: 'xn' }, outputs: [t('bool', 'ln')] }),
    toInt('la_i', 'la'),
    toInt('lo_i', 'lo'),
    toInt('lx_i', 'lx'),
    toInt('ln_i', 'ln'),
  ];
  const outputs = ['fd', 'md', 'la_i', 'lo_i', 'lx_i', 'ln_i'];
  return mlProgramModel({
    specificationVersion: 6,
    functions: { main: milFunction({ inputs: [t('int32', 'x'), t('int32', 'y')], opset: 'CoreML5', operations: ops, outputs }) },
    input: ['x', 'y'].map((n) => arrayFeature(n, 'int32', [N])),
    output: outputs.map((n) => arrayFeature(n, 'int32', [N])),
  });
}

beforeAll(async () => {
  // The packages are ours (pure TypeScript): written and lifted whether or not coremltools is
  // there; only the value inference below needs it.
  for (const target of TARGETS) await compileToMlPackage(divProgram(), pathOf(target), { target, fsync: false });
  await writeMlPackage(pathOf('exposed'), { model: exposedModel().model }, { fsync: false });
  await writeMlPackage(pathOf('lone'), { model: loneOpsModel() }, { fsync: false });
  oracle = coremltoolsReady('lowering-int-div');
  if (!oracle) return;
  const jobs = [...TARGETS, 'exposed', 'lone'].map((n) => ({ path: pathOf(n), inputs: INPUTS }));
  const jobFile = join(work, 'jobs.json');
  writeFileSync(jobFile, JSON.stringify({ jobs }));
  const out = runPythonJson<{ results: PyResult[] }>('mil_value_eval.py', [jobFile]);
  results = new Map(out.results.map((r) => [r.path, r]));
});

function result(name: string): PyResult {
  const r = results.get(pathOf(name));
  expect(r, name).toBeDefined();
  expect(r!.ok, `${r!.error}\n${r!.trace}`).toBe(true);
  return r!;
}

function irOutputs(p: Program): Map<string, Tensor> {
  return interpret(p, 'main', IR_INPUTS);
}

describe('the references agree', () => {
  it('BigInt trunc = our interpreter of IR div; the pairs cover every sign case, exact and inexact', () => {
    const got = irOutputs(divProgram());
    expect(Array.from(got.get('out')!.data)).toEqual(PAIRS.map(([x, y]) => truncRef(x, y)));
    expect(Array.from(got.get('out_k')!.data)).toEqual(X.map((x) => truncRef(x, K)));
    const kinds = new Set(PAIRS.map(([x, y]) => `${Math.sign(x)}${Math.sign(y)}${BigInt(x) % BigInt(y) === 0n ? 'exact' : 'inexact'}`));
    expect([...kinds].sort()).toEqual(['-1-1exact', '-1-1inexact', '-11exact', '-11inexact', '0-1exact', '01exact', '1-1exact', '1-1inexact', '11exact', '11inexact']);
    expect(N).toBeGreaterThan(450);
  });
});

describe('coremltools value inference of the emitted int32 div composition', () => {
  it.each(TARGETS.map((t) => [t] as const))('equals trunc(x / y) on %s', (target: Target) => {
    if (!oracle) return; // coremltoolsReady printed why
    const r = result(target);
    expect(r.opset).toBe(`iOS${target.slice(3)}`);
    // Two divisions, each the composition; no real_div on int32.
    expect(r.opTypes!.filter((t) => t !== 'const')).toEqual([...COMPOSITION, ...COMPOSITION]);
    const want = irOutputs(divProgram());
    for (const name of ['out', 'out_k']) {
      const o = r.outputs![name]!;
      expect([o.dtype, o.numpyDtype, o.shape], name).toEqual(['int32', 'int32', [N]]);
      expect(o.data, name).toEqual(Array.from(want.get(name)!.data));
    }
    expect(r.outputs!['out']!.data).toEqual(PAIRS.map(([x, y]) => truncRef(x, y)));
  });
});

describe('lifting', () => {
  it.each(TARGETS.map((t) => [t] as const))('our %s package lifts to one IR div per division, a fixed point', async (target: Target) => {
    const pkg = readMlPackage(pathOf(target));
    const lifted = liftProgram(pkg.model, pkg.weightsPath);
    expect(lifted.fn('main').body.ops.map((o) => o.kind)).toEqual(['div', 'const', 'div']);
    const again = join(work, `again-${target}.mlpackage`);
    await compileToMlPackage(lifted, again, { target, fsync: false });
    const re = readMlPackage(again);
    expect(printProgram(liftProgram(re.model, re.weightsPath))).toBe(printProgram(lifted));
    const got = irOutputs(lifted);
    expect(Array.from(got.get('out')!.data)).toEqual(PAIRS.map(([x, y]) => truncRef(x, y)));
    expect(Array.from(got.get('out_k')!.data)).toEqual(X.map((x) => truncRef(x, K)));
  });

  it('with an intermediate exposed, the ops lift one by one and compute what coremltools computes', () => {
    const { floorName } = exposedModel();
    const pkg = readMlPackage(pathOf('exposed'));
    const lifted = liftProgram(pkg.model, pkg.weightsPath);
    const kinds = lifted.fn('main').body.ops.map((o) => o.kind);
    // The first division is not folded (its floor_div is an output); the second still is.
    expect(kinds.filter((k) => k === 'div').length).toBe(3);
    expect(kinds).toContain('select');
    const got = irOutputs(lifted);
    // Our interpreter of the lifted ops against the BigInt references (no coremltools needed).
    expect([...got.keys()]).toEqual(['out', 'out_k', floorName]);
    expect(Array.from(got.get('out')!.data)).toEqual(PAIRS.map(([x, y]) => truncRef(x, y)));
    expect(Array.from(got.get('out_k')!.data)).toEqual(X.map((x) => truncRef(x, K)));
    expect(Array.from(got.get(floorName)!.data)).toEqual(PAIRS.map(([x, y]) => floorRef(x, y)));
    if (!oracle) return; // coremltoolsReady printed why
    const r = result('exposed');
    expect(Object.keys(r.outputs!)).toEqual(['out', 'out_k', floorName]);
    for (const [name, o] of Object.entries(r.outputs!)) expect(Array.from(got.get(name)!.data), name).toEqual(o.data);
    expect(r.outputs![floorName]!.data).toEqual(PAIRS.map(([x, y]) => floorRef(x, y)));
  });

  it('lone floor_div, mod and logical ops lift to IR compositions computing what coremltools computes', () => {
    const pkg = readMlPackage(pathOf('lone'));
    const got = irOutputs(liftProgram(pkg.model, pkg.weightsPath));
    // MIL's floor_div / mod are Python's floor division and modulo; the logical ops are
    // elementwise boolean algebra (cast to int32 here).
    const xn = X.map((x) => x < 0);
    const yn = Y.map((y) => y < 0);
    const want: Readonly<Record<string, readonly number[]>> = {
      fd: PAIRS.map(([x, y]) => floorRef(x, y)),
      md: PAIRS.map(([x, y]) => modRef(x, y)),
      la_i: xn.map((a, i) => Number(a && yn[i]!)),
      lo_i: xn.map((a, i) => Number(a || yn[i]!)),
      lx_i: xn.map((a, i) => Number(a !== yn[i]!)),
      ln_i: xn.map((a) => Number(!a)),
    };
    // Our lift and interpreter against the references (no coremltools needed).
    expect([...got.keys()]).toEqual(Object.keys(want));
    for (const [name, w] of Object.entries(want)) expect(Array.from(got.get(name)!.data), name).toEqual(w);
    if (!oracle) return; // coremltoolsReady printed why
    const r = result('lone');
    expect(r.opset).toBe('iOS15');
    for (const [name, o] of Object.entries(r.outputs!)) expect(Array.from(got.get(name)!.data), name).toEqual(o.data);
    for (const [name, w] of Object.entries(want)) expect(r.outputs![name]!.data, name).toEqual(w);
  });
});
