import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type Value, parseProgram } from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { TestFn, expectSameOutputs, goldenCases, goldenTests, storeFor } from '../testing/support.js';

describe('eliminate-common-subexpressions', () => {
  goldenTests('eliminate-common-subexpressions');

  it('leaves no two ops with the same kind, attributes and inputs, and keeps outputs (property)', () => {
    const step = fc.record({ kind: fc.constantFrom('exp', 'neg', 'add', 'mul', 'softmax', 'const'), a: fc.nat(), b: fc.nat(), k: fc.integer({ min: 0, max: 2 }) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 14 }), (steps) => {
        const t = new TestFn();
        const pool: Value[] = [t.input('x', 'fp32', [3]), t.input('z', 'fp32', [3])];
        for (const s of steps) {
          const a = pool[s.a % pool.length]!;
          const b = pool[s.b % pool.length]!;
          if (s.kind === 'const') pool.push(t.c('fp32', [3], [s.k, 1, 2]));
          else if (s.kind === 'add' || s.kind === 'mul') pool.push(t.op(s.kind, { x: a, y: b }));
          else if (s.kind === 'softmax') pool.push(t.op('softmax', { x: a }, { axis: s.k === 0 ? 0 : -1 }));
          else pool.push(t.op(s.kind, { x: a }));
        }
        const outs = [...new Set(pool.slice(-3))].filter((v) => v.producer !== null);
        if (outs.length === 0) outs.push(t.op('exp', { x: pool[0]! }));
        const p = t.done(outs);
        const q = new PassManager().add('eliminate-common-subexpressions').run(p).program;
        // Independent check: structural keys of the remaining ops are distinct, except for ops
        // kept because two different outputs hold equal values.
        const fn = q.fn('main');
        const keys = new Map<string, number>();
        const ids = new Map<Value, number>();
        fn.inputs.forEach((v, i) => ids.set(v, i));
        for (const op of fn.body.ops) {
          const key = JSON.stringify([op.kind, op.attrs, op.inputValues().map((v) => ids.get(v))]);
          const prev = keys.get(key);
          if (prev !== undefined) {
            expect(fn.outputs.includes(op.outputs[0]!)).toBe(true);
            ids.set(op.outputs[0]!, prev);
          } else {
            keys.set(key, ids.size);
            ids.set(op.outputs[0]!, ids.size);
          }
        }
        expect(fn.outputs.map((v) => v.name)).toEqual(p.fn('main').outputs.map((v) => v.name));
        expectSameOutputs(p, q, { abs: 0, rel: 0 });
      }),
      { numRuns: 80 },
    );
  });
  it('reports how many ops it merged', () => {
    // keys.mlir: %a2, %s2 and %c3 merge into earlier ops.
    const c = goldenCases('eliminate-common-subexpressions').find((g) => g.file.endsWith('keys.mlir'))!;
    const { stats } = new PassManager().add('eliminate-common-subexpressions').run(parseProgram(c.input, storeFor(c.input), { file: c.file }));
    expect(stats[0]!.notes).toEqual(['merged 3 ops']);
  });
});
