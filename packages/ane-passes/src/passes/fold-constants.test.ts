import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type Value, parseProgram } from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { TestFn, countKinds, expectSameOutputs, goldenCases, goldenTests, seeded, storeFor } from '../testing/support.js';

describe('fold-constants', () => {
  goldenTests('fold-constants');

  const step = fc.record({ kind: fc.constantFrom('add', 'mul', 'sub', 'exp', 'neg', 'transpose', 'reshape', 'concat', 'reduce_sum'), a: fc.nat(), b: fc.nat() });

  it('folds every op whose inputs are all constants and keeps the outputs exactly (property)', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 10 }), fc.integer({ min: 0, max: 8 }), fc.nat(), (steps, inlineMax, seed) => {
        const t = new TestFn();
        const x = t.input('x', 'fp32', [2, 3]);
        const pool: Value[] = [t.c('fp32', [2, 3], seeded(6, seed)), t.c('fp32', [2, 3], seeded(6, seed + 1)), t.scalar(0.5)];
        for (const s of steps) {
          const a = pool[s.a % pool.length]!;
          const b = pool[s.b % pool.length]!;
          const same = a.type.shape.join() === b.type.shape.join();
          const full = (v: Value): boolean => v.type.shape.join() === '2,3';
          if (s.kind === 'exp' || s.kind === 'neg') pool.push(t.op(s.kind, { x: a }));
          else if (s.kind === 'transpose' && full(a)) pool.push(t.op('reshape', { x: t.op('transpose', { x: a }, { perm: [1, 0] }) }, { shape: [2, 3] }));
          else if (s.kind === 'reshape' && full(a)) pool.push(t.op('reshape', { x: t.op('reshape', { x: a }, { shape: [6] }) }, { shape: [2, 3] }));
          else if (s.kind === 'concat' && full(a) && full(b)) pool.push(t.op('reduce_sum', { x: t.op('concat', { values: [a, b] }, { axis: 0 }) }, { axes: [0], keep_dims: true }));
          else if (s.kind === 'reduce_sum') pool.push(t.op('reduce_sum', { x: a }));
          else if (s.kind === 'add' || s.kind === 'mul' || s.kind === 'sub') pool.push(t.op(s.kind, { x: a, y: same || a.type.shape.length === 0 || b.type.shape.length === 0 ? b : a }));
        }
        const last = pool[pool.length - 1]!;
        const y = t.op('add', { x, y: last }, {}, 'y');
        const p = t.done([y]);
        const q = new PassManager().add('fold-constants', { inlineMaxElements: inlineMax }).run(p).program;
        const fn = q.fn('main');
        for (const op of fn.body.ops) {
          if (op.kind === 'const') continue;
          expect(op.inputValues().every((v) => v.producer?.kind === 'const')).toBe(false);
        }
        const { const: _consts, ...rest } = countKinds(q);
        expect(rest).toEqual({ add: 1 });
        const c = (fn.outputs[0]!.producer!.inputs.y as Value).producer!;
        expect(c.kind).toBe('const');
        const folded = last.producer!.kind !== 'const';
        if (folded) expect(c.attrs.weight !== undefined).toBe((last.type.shape as number[]).reduce((a, b) => a * b, 1) > inlineMax);
        expectSameOutputs(p, q, { abs: 0, rel: 0 });
      }),
      { numRuns: 80 },
    );
  });

  it('computes a folded weight lazily and equals the unfolded program', () => {
    const t = new TestFn();
    const x = t.input('x', 'fp32', [64]);
    const big = t.op('exp', { x: t.c('fp32', [64], seeded(64, 3)) });
    const p = t.done([t.op('mul', { x, y: big }, {}, 'y')]);
    const q = new PassManager().add('fold-constants').run(p).program;
    const w = q.fn('main').body.ops[0]!.attrs.weight as string;
    expect(w).toBe('folded.main.exp');
    expect(q.weights.info(w).source).toBe('folded exp');
    const direct = q.weights.read(w).data;
    seeded(64, 3).forEach((v, i) => expect(direct[i]).toBe(Math.fround(Math.exp(Math.fround(v)))));
    expectSameOutputs(p, q, { abs: 0, rel: 0 });
  });
  it('reports what it folded and each op it kept because evaluating it failed', () => {
    // The split folds; the gather's index 5 is outside [0, 3): kept, for the runtime to report.
    const t = new TestFn();
    const g = t.op('gather', { x: t.c('fp32', [3], [1, 2, 3]), indices: t.c('int32', [1], [5]) }, {}, 'g');
    const [e] = t.ops('split', { x: t.c('fp32', [4], [1, 2, 3, 4]) }, { axis: 0, num_splits: 2 });
    const { stats } = new PassManager().add('fold-constants').run(t.done([g, e!]));
    const notes = stats[0]!.notes;
    expect(notes).toHaveLength(2);
    expect(notes[0]).toBe('folded 1 ops');
    expect(notes[1]).toMatch(/^kept gather -> %g: .*5/);
  });
});
