import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Value } from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { TestFn, countKinds, expectSameOutputs, goldenTests } from '../testing/support.js';

const SHAPES = [[12], [2, 6], [3, 4], [1, 12], [2, 2, 3], [12, 1], [1, 3, 1, 4]];

describe('cancel-reshapes', () => {
  goldenTests('cancel-reshapes');

  it('with remove-noops, leaves one reshape per chain, none when it ends at the input shape (property)', () => {
    const step = fc.record({ kind: fc.constantFrom('reshape', 'expand', 'squeeze'), s: fc.nat() });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), fc.constantFrom(...SHAPES), (steps, start) => {
        const t = new TestFn();
        const x = t.input('x', 'fp32', start);
        let v: Value = t.op('exp', { x }, {}, 'e');
        for (const st of steps) {
          const shape = v.type.shape as number[];
          if (st.kind === 'reshape') v = t.op('reshape', { x: v }, { shape: SHAPES[st.s % SHAPES.length]! });
          else if (st.kind === 'expand') v = t.op('expand_dims', { x: v }, { axes: [st.s % (shape.length + 1)] });
          else if (shape.includes(1)) v = t.op('squeeze', { x: v });
        }
        const changed = v.type.shape.join() !== start.join();
        const p = t.done([t.op('relu', { x: v }, {}, 'y')]);
        const q = new PassManager().add('cancel-reshapes').add('remove-noops').run(p).program;
        const k = countKinds(q);
        expect((k.reshape ?? 0) + (k.squeeze ?? 0) + (k.expand_dims ?? 0)).toBe(changed ? 1 : 0);
        expectSameOutputs(p, q, { abs: 0, rel: 0 });
      }),
      { numRuns: 100 },
    );
  });
});
