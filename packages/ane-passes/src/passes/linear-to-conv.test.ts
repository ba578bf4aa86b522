import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Value } from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { TestFn, countKinds, expectSameOutputs, goldenTests, seeded } from '../testing/support.js';

describe('linear-to-conv', () => {
  goldenTests('linear-to-conv');

  it('turns every linear of rank 2 or 3 into a 1x1 conv with the same results (property)', () => {
    fc.assert(
      fc.property(
        fc.record({ rank3: fc.boolean(), b: fc.integer({ min: 1, max: 2 }), s: fc.integer({ min: 1, max: 4 }), c: fc.integer({ min: 1, max: 5 }), o: fc.integer({ min: 1, max: 5 }), bias: fc.boolean(), seed: fc.nat() }),
        (c) => {
          const t = new TestFn();
          const x = t.input('x', 'fp32', c.rank3 ? [c.b, c.s, c.c] : [c.s, c.c]);
          const w = t.c('fp32', [c.o, c.c], seeded(c.o * c.c, c.seed));
          const y = t.op('linear', { x, weight: w, ...(c.bias ? { bias: t.c('fp32', [c.o], seeded(c.o, c.seed + 1)) } : {}) }, {}, 'y');
          const p = t.done([y]);
          const q = new PassManager().add('linear-to-conv').run(p).program;
          expect(countKinds(q)).toMatchObject({ conv2d: 1, transpose: 2, expand_dims: 1, squeeze: 1 });
          expect(countKinds(q).linear).toBeUndefined();
          expectSameOutputs(p, q, { abs: 1e-6, rel: 1e-6 });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('with assign-layout, a stack of linears keeps transposes only at the function boundary (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('linear', 'gelu', 'residual', 'softmax', 'layer_norm'), { minLength: 2, maxLength: 10 }), fc.nat(), (steps, seed) => {
        const t = new TestFn();
        const x = t.input('x', 'fp32', [1, 5, 4]);
        let v: Value = x;
        for (const [i, s] of steps.entries()) {
          if (s === 'linear') v = t.op('linear', { x: v, weight: t.c('fp32', [4, 4], seeded(16, seed + i)) });
          else if (s === 'residual') v = t.op('add', { x: v, y: x });
          else if (s === 'layer_norm') v = t.op('layer_norm', { x: v }, { axes: [-1] });
          else v = t.op(s, { x: v });
        }
        const p = t.done([t.op('exp', { x: v }, {}, 'y')]);
        const q = new PassManager()
          .add('linear-to-conv')
          .add('assign-layout', { target: 'ane' })
          .add('cancel-reshapes')
          .add('cancel-transposes')
          .add('eliminate-dead-code')
          .run(p).program;
        const kinds = countKinds(q);
        expect(kinds.transpose ?? 0).toBeLessThanOrEqual(2);
        expect(kinds.linear).toBeUndefined();
        expectSameOutputs(p, q, { abs: 1e-5, rel: 1e-4 });
      }),
      { numRuns: 60 },
    );
  });
});
