import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Value } from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { TestFn, countKinds, expectSameOutputs, goldenTests, seeded } from '../testing/support.js';

describe('sink-transposes', () => {
  goldenTests('sink-transposes');

  it('moves a transpose through elementwise chains so its inverse cancels it (property)', () => {
    const step = fc.record({ kind: fc.constantFrom('relu', 'exp', 'cast', 'add-const', 'const-sub', 'mul-scalar', 'max-row'), seed: fc.nat() });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (steps) => {
        const t = new TestFn();
        const x = t.input('x', 'fp32', [2, 3, 4]);
        let v: Value = t.op('transpose', { x }, { perm: [2, 0, 1] });
        for (const s of steps) {
          if (s.kind === 'add-const') v = t.op('add', { x: v, y: t.c('fp32', [4, 2, 3], seeded(24, s.seed)) });
          else if (s.kind === 'const-sub') v = t.op('sub', { x: t.c('fp32', [2, 3], seeded(6, s.seed)), y: v });
          else if (s.kind === 'mul-scalar') v = t.op('mul', { x: v, y: t.c('fp32', [1, 1, 1], [1.5]) });
          else if (s.kind === 'max-row') v = t.op('maximum', { x: v, y: t.c('fp32', [3], seeded(3, s.seed)) });
          else if (s.kind === 'cast') v = t.op('cast', { x: t.op('cast', { x: v }, { dtype: 'fp16' }) }, { dtype: 'fp32' });
          else v = t.op(s.kind, { x: v });
        }
        const p = t.done([t.op('transpose', { x: v }, { perm: [1, 2, 0] }, 'y')]);
        const q = new PassManager().add('sink-transposes').add('cancel-transposes').add('fold-constants').run(p).program;
        expect(countKinds(q).transpose ?? 0).toBe(0);
        expectSameOutputs(p, q, { abs: 0, rel: 0 });
      }),
      { numRuns: 80 },
    );
  });
});
