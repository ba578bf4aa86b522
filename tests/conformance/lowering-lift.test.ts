/**
 * Reader completeness: MIL -> IR lifting.
 *
 * 1. For every op case (every dtype on ios18, fp32 also on ios15): emit -> read -> lift gives an
 *    IR program that emits again to the same IR text after another read + lift (a fixed
 *    point), with bit-identical weights; and the lifted program computes what the original
 *    does (our interpreter on both, seeded inputs): a numeric check of every decomposition
 *    (einsum, norms, rank-1 matmul, slices, late conv bias...).
 * 2. Packages written by coremltools' own `mb` builder from our op set are read, lifted and
 *    interpreted; outputs match numpy/torch references computed by the Python script.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DType, type Program, type Tensor, allocData, interpret, printProgram, tensor } from '@fastvlm/graph';
import { type Target, compileToMlPackage, liftProgram, readMlPackage, readWeightBin } from '@fastvlm/emit-coreml';
import { OP_CASES, buildCase } from './op-cases.js';
import { coremltoolsReady } from './lowering-oracle.js';
import { runPythonJson } from './venv-python.js';

const work = mkdtempSync(join(tmpdir(), 'lowering-lift-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
async function emitAndLift(p: Program, target: Target): Promise<{ path: string; lifted: Program }> {
  const path = join(work, `p${counter++}.mlpackage`);
  await compileToMlPackage(p, path, { target, fsync: false });
  const pkg = readMlPackage(path);
  return { path, lifted: liftProgram(pkg.model, pkg.weightsPath) };
}

function fileBytes(pkg: string, rel: string): Buffer {
  return readFileSync(join(pkg, 'Data', 'com.apple.CoreML', rel));
}

/** Content hashes of every blob of a package's weight.bin, sorted. */
function blobHashes(pkg: string): string[] {
  const file = join(pkg, 'Data', 'com.apple.CoreML', 'weights', 'weight.bin');
  const bytes = readFileSync(file);
  return readWeightBin(file)
    .blobs.map((b) => createHash('sha256').update(bytes.subarray(b.dataOffset, b.dataOffset + b.sizeInBytes)).update(b.dtype).digest('hex'))
    .sort();
}

/**
 * Deterministic inputs: floats in [-2, 2) ([0, 4) for casts to unsigned types), ints in [1, 4]
 * (no division by zero), ids in [0, 3).
 */
function inputsFor(p: Program, nonNegative: boolean): Record<string, Tensor> {
  const fn = [...p.functions.values()][0]!;
  const out: Record<string, Tensor> = {};
  fn.inputs.forEach((v, k) => {
    const shape = v.type.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    const data = allocData(v.type.dtype, n);
    for (let i = 0; i < n; i++) {
      const r = (((i + 1) * 0.6180339887 + k * 0.31) % 1 + 1) % 1;
      data[i] = v.type.dtype === 'int32' ? (v.name === 'ids' ? Math.floor(r * 3) : 1 + Math.floor(r * 4)) : r * 4 - (nonNegative ? 0 : 2);
    }
    out[v.name] = { dtype: v.type.dtype, shape, data };
  });
  return out;
}

function closeEnough(a: Tensor, b: Tensor, dtype: DType, fp16: boolean): string | undefined {
  if (a.data.length !== b.data.length) return `lengths ${a.data.length} vs ${b.data.length}`;
  const tol = fp16 ? 2e-2 : 2e-5;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i]!, y = b.data[i]!;
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue;
    if (dtype === 'int32' || dtype === 'bool') return `element ${i}: ${x} vs ${y}`;
    if (!(Math.abs(x - y) <= tol * (1 + Math.abs(y)))) return `element ${i}: ${x} vs ${y}`;
  }
  return undefined;
}

const variants = OP_CASES.flatMap((c) => [
  ...c.dtypes.map((dt) => [c, dt, 'ios18'] as const),
  ...(c.dtypes.includes('fp32') && (c.minTarget ?? 'ios15') === 'ios15' ? [[c, 'fp32', 'ios15'] as const] : []),
]);

describe('emit -> read -> lift is a fixed point and keeps the numbers', () => {
  it.each(variants.map(([c, dt, t]) => [`${c.name} ${dt} ${t}`, c, dt, t] as const))('%s', async (_n, c, dt, target) => {
    const p0 = buildCase(c, dt);
    const a = await emitAndLift(p0, target);
    const text1 = printProgram(a.lifted);
    const b = await emitAndLift(a.lifted, target);
    expect(printProgram(b.lifted)).toBe(text1);
    const c3 = await emitAndLift(b.lifted, target);
    // Second and third emission: byte-identical packages.
    expect(fileBytes(c3.path, 'model.mlmodel').equals(fileBytes(b.path, 'model.mlmodel'))).toBe(true);
    expect(fileBytes(c3.path, 'weights/weight.bin').equals(fileBytes(b.path, 'weights/weight.bin'))).toBe(true);
    // First and second emission: the same weights, bit for bit.
    expect(blobHashes(b.path)).toEqual(blobHashes(a.path));
    // The lifted program computes what the original computes.
    const ins = inputsFor(p0, c.name.startsWith('cast_to_u'));
    const want = [...interpret(p0, undefined, ins).values()];
    const got = [...interpret(a.lifted, undefined, ins).values()];
    expect(got.length).toBe(want.length);
    want.forEach((w, i) => expect(closeEnough(got[i]!, w, w.dtype, dt === 'fp16'), `output ${i}`).toBeUndefined());
  });
});

interface MbPackage {
  readonly name: string;
  readonly path: string;
  readonly opTypes: readonly string[];
  readonly inputs: Readonly<Record<string, { shape: number[]; data: number[] }>>;
  readonly outputs: Readonly<Record<string, { shape: number[]; data: number[] }>>;
}

describe('packages written by coremltools (mb builder) lift and compute the reference outputs', () => {
  it('mlp, conv block, attention, data movement and arithmetic programs', async () => {
    if (!coremltoolsReady('lowering-lift (mb packages)')) return;
    const out = runPythonJson<{ packages: MbPackage[] }>('build_mb_programs.py', [join(work, 'mb')], 600_000);
    expect(out.packages.map((p) => p.name)).toEqual(['mlp', 'conv_block', 'attention', 'data_movement', 'arithmetic']);
    for (const mbp of out.packages) {
      const pkg = readMlPackage(mbp.path);
      const lifted = liftProgram(pkg.model, pkg.weightsPath);
      const fn = lifted.fn('main');
      // Every non-const MIL op came back as an IR op (identity aside).
      const kinds = fn.body.ops.map((o) => o.kind).filter((k) => k !== 'const');
      expect(kinds.length, mbp.name).toBe(mbp.opTypes.filter((t) => t !== 'const').length);
      const ins: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(mbp.inputs)) ins[k] = tensor('fp32', v.shape, v.data);
      const res = interpret(lifted, 'main', ins);
      const names = Object.keys(mbp.outputs);
      expect([...res.keys()]).toEqual(names);
      for (const n of names) {
        const want = mbp.outputs[n]!;
        const got = res.get(n)!;
        expect(got.shape, `${mbp.name}.${n}`).toEqual(want.shape);
        expect(closeEnough(got, { dtype: got.dtype, shape: want.shape, data: Float32Array.from(want.data) }, got.dtype, false), `${mbp.name}.${n}`).toBeUndefined();
      }
      // Once emitted by us, it is a fixed point of emit -> read -> lift.
      const once = await emitAndLift(lifted, 'ios18');
      const twice = await emitAndLift(once.lifted, 'ios18');
      expect(printProgram(twice.lifted), mbp.name).toBe(printProgram(once.lifted));
    }
  });
});
