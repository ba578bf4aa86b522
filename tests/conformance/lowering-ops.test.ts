/**
 * Lowering conformance, op by op: every IR op (each lowering branch, see op-cases.ts) x every
 * target x its dtypes (fp32, fp16 and int32 where the op takes it) is compiled to an
 * .mlpackage, and ONE coremltools process opens them all: MLModel(skip_model_load) checks the
 * package, the milproto loader rebuilds each op through coremltools' builder (input names,
 * dtype domains, const-ness) and re-runs type inference; we then compare op types, names, output
 * dtypes and shapes, function I/O, features and every constant's bytes with what we emitted.
 * Targets older than a case's minimum must fail with E_LOWER_TARGET naming that minimum.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DType, type Tensor, allOps, allocData, interpret, isFastVlmError } from '@fastvlm/graph';
import { type LoweredModel, TARGETS, type Target, compileToMlPackage, hasLowering, lowerProgramPlan } from '@fastvlm/emit-coreml';
import { OP_CASES, type OpCase, buildCase } from './op-cases.js';
import { type PyPackage, checkPackages, comparePackage, coremltoolsReady } from './lowering-oracle.js';

const work = mkdtempSync(join(tmpdir(), 'lowering-ops-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Variant {
  readonly c: OpCase;
  readonly dt: DType;
  readonly target: Target;
  readonly key: string;
  lowered?: LoweredModel;
  error?: unknown;
  path?: string;
}

const order = (t: Target): number => TARGETS.indexOf(t);
const variants: Variant[] = OP_CASES.flatMap((c) => c.dtypes.flatMap((dt) => TARGETS.map((target) => ({ c, dt, target, key: `${c.name}-${dt}-${target}` }))));
let reports = new Map<string, PyPackage>();
let oracle = false;

beforeAll(async () => {
  for (const v of variants) {
    const program = buildCase(v.c, v.dt);
    try {
      v.lowered = lowerProgramPlan(program, { target: v.target });
    } catch (e) {
      v.error = e;
      continue;
    }
    v.path = join(work, `${v.key}.mlpackage`);
    await compileToMlPackage(program, v.path, { target: v.target, fsync: false });
  }
  oracle = coremltoolsReady('lowering-ops');
  if (oracle) reports = checkPackages(variants.flatMap((v) => (v.path ? [v.path] : [])), work);
});

describe('coverage', () => {
  it('every registered op has a lowering and at least one conformance case', () => {
    const covered = new Set(OP_CASES.flatMap((c) => c.covers));
    const ops = allOps().map((d) => d.name);
    expect(ops.length).toBeGreaterThan(40);
    expect(ops.filter((k) => !hasLowering(k))).toEqual([]);
    expect(ops.filter((k) => !covered.has(k))).toEqual([]);
  });

  it('every case runs on every target from its minimum, in fp32 and its other dtypes', () => {
    for (const v of variants) {
      if (order(v.target) >= order(v.c.minTarget ?? 'ios15')) expect(v.error, v.key).toBeUndefined();
    }
    expect(variants.filter((v) => v.path).length).toBeGreaterThan(300);
  });
});

describe.each(OP_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
  it.each(c.dtypes.flatMap((dt) => TARGETS.map((t) => [dt, t] as const)))('%s on %s', (dt, target) => {
    const v = variants.find((x) => x.c === c && x.dt === dt && x.target === target)!;
    const min = c.minTarget ?? 'ios15';
    if (order(target) < order(min)) {
      expect(isFastVlmError(v.error, 'E_LOWER_TARGET'), String(v.error)).toBe(true);
      expect((v.error as { details: { needs?: string } }).details.needs).toBe(min);
      return;
    }
    expect(v.error, String(v.error)).toBeUndefined();
    if (!oracle) return; // coremltoolsReady printed why the oracle did not run
    const report = reports.get(v.path!);
    expect(comparePackage(v.lowered!, report)).toEqual([]);
    // Compressed constants: coremltools' own decompression equals our reference kernel.
    const constexprs = report?.functions?.main?.ops.filter((o) => o.type.startsWith('constexpr_')) ?? [];
    if (constexprs.length > 0) {
      const program = buildCase(c, dt);
      const fn = program.fn('main');
      const dense = new Map<string, Tensor>();
      const zeros = Object.fromEntries(fn.inputs.map((x) => [x.name, { dtype: x.type.dtype, shape: x.type.shape as number[], data: allocData(x.type.dtype, (x.type.shape as number[]).reduce((a, b) => a * b, 1)) }]));
      interpret(program, 'main', zeros, { onOp: (_k, outs, vals) => outs.forEach((o, i) => dense.set(o.name, vals[i]!)) });
      for (const o of constexprs) {
        const want = dense.get(o.name)!;
        expect(o.materialized, o.name).toHaveLength(want.data.length);
        o.materialized!.forEach((x, i) => expect(Math.abs(x - want.data[i]!), `${o.name}[${i}]`).toBeLessThanOrEqual(2e-3 * (1 + Math.abs(want.data[i]!))));
      }
    }
  });
});
