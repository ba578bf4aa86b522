import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Value } from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { TestFn, countKinds, expectSameOutputs, goldenTests, seeded } from '../testing/support.js';

describe('fuse-layer-norm', () => {
  goldenTests('fuse-layer-norm');

  it('fuses the decomposed forms over any axes, with the affine constants (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
          fc.record({
            shape: fc.constant(shape),
            axes: fc.subarray([...shape.keys()], { minLength: 1 }),
            negAxes: fc.boolean(),
            pow: fc.boolean(),
            divSqrt: fc.boolean(),
            eps: fc.constantFrom(1e-5, 1e-3, 0.1),
            gamma: fc.boolean(),
            beta: fc.boolean(),
            seed: fc.nat(),
          }),
        ),
        (c) => {
          const t = new TestFn();
          const rank = c.shape.length;
          const x = t.op('exp', { x: t.input('x', 'fp32', c.shape) });
          const axes = c.negAxes ? c.axes.map((a) => a - rank) : c.axes;
          const m = t.op('reduce_mean', { x }, { axes, keep_dims: true });
          const d = t.op('sub', { x, y: m });
          const sq = c.pow ? t.op('pow', { x: d, y: t.scalar(2) }) : t.op('mul', { x: d, y: d });
          const v = t.op('reduce_mean', { x: sq }, { axes: c.axes, keep_dims: true });
          const ve = t.op('add', { x: v, y: t.scalar(c.eps) });
          let n = c.divSqrt ? t.op('div', { x: d, y: t.op('sqrt', { x: ve }) }) : t.op('mul', { x: t.op('rsqrt', { x: ve }), y: d });
          // Affine constants vary along the normalized axes only (1 elsewhere), right-aligned.
          const pshape = c.shape.map((s, i) => (c.axes.includes(i) ? s : 1));
          const count = pshape.reduce((a, b) => a * b, 1);
          if (c.gamma) n = t.op('mul', { x: n, y: t.c('fp32', pshape, seeded(count, c.seed)) });
          if (c.beta) n = t.op('add', { x: t.c('fp32', pshape, seeded(count, c.seed + 1)), y: n });
          const p = t.done([t.op('neg', { x: n }, {}, 'y')]);
          const q = new PassManager().add('fuse-layer-norm').run(p).program;
          const kinds = countKinds(q);
          expect(kinds.layer_norm).toBe(1);
          expect(kinds.reduce_mean).toBeUndefined();
          expect(kinds.mul).toBeUndefined();
          expect(kinds.add).toBeUndefined();
          const ln = q.fn('main').body.ops.find((o) => o.kind === 'layer_norm')!;
          expect(ln.inputs.gamma !== undefined).toBe(c.gamma);
          expect(ln.inputs.beta !== undefined).toBe(c.beta);
          expectSameOutputs(p, q, { abs: 2e-4, rel: 2e-4 });
        },
      ),
      { numRuns: 80 },
    );
  });

  it('keeps the affine ops when a constant varies off the normalized axes', () => {
    const t = new TestFn();
    const x = t.input('x', 'fp32', [2, 3]);
    const m = t.op('reduce_mean', { x }, { axes: [1], keep_dims: true });
    const d = t.op('sub', { x, y: m });
    const v = t.op('reduce_mean', { x: t.op('mul', { x: d, y: d }) }, { axes: [1], keep_dims: true });
    const n: Value = t.op('mul', { x: d, y: t.op('rsqrt', { x: v }) });
    const g = t.op('mul', { x: n, y: t.c('fp32', [2, 1], [1, 2]) });
    const p = t.done([g]);
    const q = new PassManager().add('fuse-layer-norm').run(p).program;
    expect(countKinds(q)).toMatchObject({ layer_norm: 1, mul: 1 });
    expectSameOutputs(p, q, { abs: 1e-4, rel: 1e-4 });
  });
});
