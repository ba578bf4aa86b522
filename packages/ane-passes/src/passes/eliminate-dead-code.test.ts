import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type Func, type Op, type Value, WeightStore, memorySource, printProgram, tensor } from '@fastvlm/graph';
import { arbProgram } from '../../../graph/src/testing/random-graph.js';
import { PassManager } from '../manager.js';
import { TestFn, expectSameOutputs, goldenTests } from '../testing/support.js';

/** Independent reference: ops reachable backwards from the outputs. */
function liveOps(fn: Func): Set<Op> {
  const live = new Set<Op>();
  const stack: Value[] = [...fn.outputs];
  while (stack.length) {
    const v = stack.pop()!;
    const op = v.producer;
    if (!op || live.has(op)) continue;
    live.add(op);
    stack.push(...op.inputValues());
  }
  return live;
}

describe('eliminate-dead-code', () => {
  goldenTests('eliminate-dead-code');

  it('keeps exactly the ops the outputs depend on, in order (property)', () => {
    fc.assert(
      fc.property(arbProgram({ maxOps: 10, maxFunctions: 2 }), (p) => {
        const expected = [...p.functions.values()].map((fn) => {
          const live = liveOps(fn);
          return fn.body.ops.filter((o) => live.has(o)).map((o) => o.outputs.map((v) => v.name).join(','));
        });
        const q = new PassManager().add('eliminate-dead-code').run(p).program;
        const got = [...q.functions.values()].map((fn) => fn.body.ops.map((o) => o.outputs.map((v) => v.name).join(',')));
        expect(got).toEqual(expected);
        expectSameOutputs(p, q, { abs: 0, rel: 0 });
      }),
      { numRuns: 60 },
    );
  });

  it('prunes weights no const refers to when asked', () => {
    const store = new WeightStore();
    store.add('used', memorySource(tensor('fp32', [2], [1, 2])));
    store.add('orphan', memorySource(tensor('fp32', [2], [3, 4])));
    const t = new TestFn();
    const x = t.input('x', 'fp32', [2]);
    const w = t.op('const', {}, { dtype: 'fp32', shape: [2], weight: 'used' });
    const p = t.done([t.op('add', { x, y: w }, {}, 'y')], store);
    expect(new PassManager().add('eliminate-dead-code').run(p).program.weights.names()).toEqual(['used', 'orphan']);
    const q = new PassManager().add('eliminate-dead-code', { pruneWeights: true }).run(p).program;
    expect(q.weights.names()).toEqual(['used']);
    expect(store.names()).toEqual(['used', 'orphan']);
    expect(printProgram(q)).toBe(printProgram(p));
  });
});
