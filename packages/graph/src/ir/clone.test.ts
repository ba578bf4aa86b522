import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../ops/index.js';
import { interpret } from '../interpret/interpreter.js';
import { FIXTURE_PROGRAM_OPTIONS, registerFixtureOps } from '../testing/fixture-ops.js';
import { arbProgram, randomInputs } from '../testing/random-graph.js';
import { printProgram } from '../text/print.js';
import { WeightStore } from '../weights/store.js';
import { FunctionBuilder } from './build.js';
import { cloneFunction, cloneProgram } from './clone.js';
import { type Op, Program, type Value } from './types.js';
import { collectDiagnostics } from './verify.js';

registerFixtureOps();


function objects(p: Program): { values: Set<Value>; ops: Set<Op> } {
  const values = new Set<Value>();
  const ops = new Set<Op>();
  for (const fn of p.functions.values()) {
    fn.inputs.forEach((v) => values.add(v));
    for (const op of fn.body.ops) {
      ops.add(op);
      op.outputs.forEach((v) => values.add(v));
    }
  }
  return { values, ops };
}

describe('cloneProgram', () => {
  it('copies every function, op and value, sharing only the weight store', () => {
    fc.assert(
      fc.property(arbProgram(FIXTURE_PROGRAM_OPTIONS), (p) => {
        const q = cloneProgram(p);
        expect(q.weights).toBe(p.weights);
        expect(printProgram(q)).toBe(printProgram(p));
        expect(collectDiagnostics(q)).toEqual([]);
        const a = objects(p);
        const b = objects(q);
        for (const v of b.values) expect(a.values.has(v)).toBe(false);
        for (const op of b.ops) expect(a.ops.has(op)).toBe(false);
        // Results point at their copied producers.
        for (const fn of q.functions.values()) for (const op of fn.body.ops) for (const o of op.outputs) expect(o.producer).toBe(op);
      }),
      { numRuns: 40 },
    );
  });

  it('is independent of the original under mutation', () => {
    fc.assert(
      fc.property(arbProgram(FIXTURE_PROGRAM_OPTIONS), (p) => {
        const before = printProgram(p);
        const q = cloneProgram(p);
        for (const fn of q.functions.values()) {
          fn.body.ops.reverse();
          for (const op of fn.body.ops) {
            op.outputs.forEach((o) => (o.name = `${o.name}_x`));
            const attrs = op.attrs as Record<string, unknown>;
            for (const v of Object.values(attrs)) if (Array.isArray(v)) v.push(99);
          }
        }
        expect(printProgram(p)).toBe(before);
      }),
      { numRuns: 30 },
    );
  });

  it('computes the same results as the original', () => {
    fc.assert(
      fc.property(arbProgram(FIXTURE_PROGRAM_OPTIONS), fc.nat(), (p, seed) => {
        const q = cloneProgram(p);
        for (const [name, fn] of p.functions) {
          const ins = randomInputs(fn, seed);
          const a = interpret(p, name, ins);
          const b = interpret(q, name, ins);
          expect([...b.keys()]).toEqual([...a.keys()]);
          for (const [k, t] of a) expect(Array.from(b.get(k)!.data)).toEqual(Array.from(t.data));
        }
      }),
      { numRuns: 30 },
    );
  });
});

describe('cloneFunction', () => {
  it('renames the copy and fills the value map', () => {
    const b = new FunctionBuilder('main');
    const x = b.input('x', { dtype: 'fp32', shape: [4] });
    const [y] = b.add('test_relu', { x });
    const [s0, s1] = b.add('test_split', { x: y! }, { num_splits: 2 });
    b.output(s0!, s1!);
    const map = new Map<Value, Value>();
    const c = cloneFunction(b.fn, 'copy', map);
    expect(c.name).toBe('copy');
    expect(map.size).toBe(4);
    expect(map.get(x)).toBe(c.inputs[0]);
    expect(map.get(s1!)).toBe(c.outputs[1]);
    expect(c.body.ops[1]!.inputs['x']).toBe(map.get(y!));
  });

  it('keeps a use-before-definition pointing at the copied value', () => {
    const b = new FunctionBuilder('main');
    const x = b.input('x', { dtype: 'fp32', shape: [4] });
    const [y] = b.add('test_relu', { x });
    const [z] = b.add('test_relu', { x: y! });
    b.output(z!);
    b.fn.body.ops.reverse();
    const c = cloneFunction(b.fn);
    expect(c.body.ops[0]!.inputs['x']).toBe(c.body.ops[1]!.outputs[0]);
    const p = new Program(new WeightStore());
    p.addFunction(c);
    expect(collectDiagnostics(p).map((d) => d.details['check'])).toEqual(['ssa-order']);
  });
});
