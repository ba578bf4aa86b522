import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../ops/index.js';
import { isFastVlmError } from '../errors.js';
import { FIXTURE_PROGRAM_OPTIONS, registerFixtureOps } from '../testing/fixture-ops.js';
import { arbProgram } from '../testing/random-graph.js';
import { WeightStore } from '../weights/store.js';
import { FunctionBuilder } from './build.js';
import { type Func, Program, type Value } from './types.js';
import { computeUses, isUsed, removeOps, replaceAllUses } from './uses.js';
import { collectDiagnostics } from './verify.js';

registerFixtureOps();


function sample() {
  const b = new FunctionBuilder('main');
  const x = b.input('x', { dtype: 'fp32', shape: [2] });
  const [a] = b.add('test_relu', { x }, {}, { names: ['a'] });
  const [s] = b.add('test_add', { x: a!, y: x }, {}, { names: ['s'] });
  const [c] = b.add('test_concat', { values: [a!, s!, a!] }, { axis: 0 }, { names: ['c'] });
  const [d] = b.add('test_scale', { x }, { factor: 2 }, { names: ['d'] });
  b.output(c!, a!);
  const p = new Program(new WeightStore());
  p.addFunction(b.fn);
  return { p, fn: b.fn, x, a: a!, s: s!, c: c!, d: d!, ops: b.fn.body.ops };
}

/** Naive reference: count of appearances of `v` among every op's flattened inputs. */
function naiveUseCount(fn: Func, v: Value): number {
  let n = 0;
  for (const op of fn.body.ops) for (const u of op.inputValues()) if (u === v) n++;
  return n;
}

describe('computeUses', () => {
  it('lists each use with its op, input name and variadic position', () => {
    const { fn, x, a, s, c, d, ops } = sample();
    const uses = computeUses(fn);
    expect(uses.get(x)).toEqual([
      { op: ops[0], input: 'x' },
      { op: ops[1], input: 'y' },
      { op: ops[3], input: 'x' },
    ]);
    expect(uses.get(a)).toEqual([
      { op: ops[1], input: 'x' },
      { op: ops[2], input: 'values', index: 0 },
      { op: ops[2], input: 'values', index: 2 },
    ]);
    expect(uses.get(s)).toEqual([{ op: ops[2], input: 'values', index: 1 }]);
    // Unused values have an empty entry (function outputs are not op uses).
    expect(uses.get(c)).toEqual([]);
    expect(uses.get(d)).toEqual([]);
    expect(uses.size).toBe(5);
  });

  it('agrees with a naive count on random programs', () => {
    fc.assert(
      fc.property(arbProgram(FIXTURE_PROGRAM_OPTIONS), (p) => {
        for (const fn of p.functions.values()) {
          const uses = computeUses(fn);
          const defined = [...fn.inputs, ...fn.body.ops.flatMap((o) => o.outputs)];
          expect(uses.size).toBe(defined.length);
          for (const v of defined) {
            expect(uses.get(v)!.length).toBe(naiveUseCount(fn, v));
            expect(isUsed(fn, v)).toBe(naiveUseCount(fn, v) > 0 || fn.outputs.includes(v));
          }
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('replaceAllUses', () => {
  it('rewrites op inputs, variadic lists and function outputs', () => {
    const { p, fn, x, a, ops } = sample();
    const n = replaceAllUses(fn, a, x);
    expect(n).toBe(4); // relu result used by add.x, concat twice, and function output #1
    expect(ops[1]!.inputs['x']).toBe(x);
    expect(ops[2]!.inputs['values']).toEqual([x, ops[1]!.outputs[0], x]);
    expect(fn.outputs[1]).toBe(x);
    expect(naiveUseCount(fn, a)).toBe(0);
    expect(collectDiagnostics(p)).toEqual([]);
  });

  it('leaves unchanged ops untouched and returns 0 for self-replacement', () => {
    const { fn, a, ops } = sample();
    const before = ops[3]!.inputs;
    expect(replaceAllUses(fn, a, a)).toBe(0);
    replaceAllUses(fn, a, ops[1]!.outputs[0]!);
    expect(ops[3]!.inputs).toBe(before);
  });

  it('refuses a replacement of another type', () => {
    const { fn, a } = sample();
    const b = new FunctionBuilder('other');
    const y = b.input('y', { dtype: 'fp16', shape: [2] });
    const z = b.input('z', { dtype: 'fp32', shape: [3] });
    for (const bad of [y, z]) {
      let err: unknown;
      try {
        replaceAllUses(fn, a, bad);
      } catch (e) {
        err = e;
      }
      expect(isFastVlmError(err, 'E_VERIFY')).toBe(true);
    }
    expect(naiveUseCount(fn, a)).toBe(3);
  });
});

describe('removeOps', () => {
  it('removes matching ops in order and returns them', () => {
    const { p, fn, ops } = sample();
    const [relu, add, concat, scale] = ops;
    const removed = removeOps(fn, (op) => op.kind === 'test_scale');
    expect(removed).toEqual([scale]);
    expect(fn.body.ops).toEqual([relu, add, concat]);
    expect(collectDiagnostics(p)).toEqual([]);
    // Removing a live op leaves dangling uses, which the verifier reports.
    removeOps(fn, (_op, i) => i === 0);
    expect(collectDiagnostics(p).map((d) => d.details['check'])).toEqual(['dangling-use', 'dangling-use', 'dangling-use', 'function-output']);
  });

  it('dead-code elimination built on the utilities keeps random programs valid', () => {
    fc.assert(
      fc.property(arbProgram(FIXTURE_PROGRAM_OPTIONS), (p) => {
        for (const fn of p.functions.values()) {
          // Iterate to a fixpoint: remove ops none of whose results are used.
          for (;;) {
            const uses = computeUses(fn);
            const dead = (op: (typeof fn.body.ops)[number]): boolean => op.outputs.every((o) => uses.get(o)!.length === 0 && !fn.outputs.includes(o));
            if (removeOps(fn, dead).length === 0) break;
          }
          const uses = computeUses(fn);
          for (const op of fn.body.ops) expect(op.outputs.some((o) => uses.get(o)!.length > 0 || fn.outputs.includes(o))).toBe(true);
        }
        expect(collectDiagnostics(p)).toEqual([]);
      }),
      { numRuns: 50 },
    );
  });
});
